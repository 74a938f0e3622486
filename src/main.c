// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko: which kernel module ate the memory while it loaded.
 *   prepare  sets up a private trace instance (dracut cmdline hook 00)
 *   report   reads it, prints the per-module table and frees it (pre-pivot 99),
 *            or replays a saved ftrace text trace with --input.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "backend.h"
#include "config.h"
#include "live.h"
#include "log.h"
#include "report.h"
#include "text.h"

#define EXIT_USAGE 2

static const char *const default_loaders[] = {
	"modprobe", "insmod", "kmod", "systemd-udevd", "(udev-worker)", "systemd-modules",
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct config *c);
	const char *help;
};

static int cmd_prepare(int argc, char **argv, struct config *c);
static int cmd_report(int argc, char **argv, struct config *c);

static const struct command commands[] = {
	{ "prepare", cmd_prepare, "set up and start the trace instance (early boot)" },
	{ "report", cmd_report, "print pages per module load, then free the instance" },
};

static void usage_main(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: memdebug-ko COMMAND [OPTION]...\n"
		   "Show which kernel module allocated how much memory while it loaded.\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n  -h, --help     this help; 'memdebug-ko COMMAND --help' for a command\n"
		   "  -V, --version  version and backend\n\n"
		   "Exit status: 0 ok, 1 runtime error, 2 usage error.\n"
		   "In a dracut initramfs, boot with rd.memdebug=4; see memdebug-ko(8).\n");
}

static void usage_prepare(FILE *f)
{
	fprintf(f, "Usage: memdebug-ko prepare [OPTION]...\n"
		   "Mount tracefs if needed, create the trace instance instances/" INSTANCE_NAME ",\n"
		   "record module loads and the page allocations of module loaders, start tracing.\n"
		   "Running it again leaves a running instance untouched.\n\n"
		   "  -t, --tracefs DIR     tracing directory (default: find or mount it)\n"
		   "  -b, --buffer-kb N     ring buffer per CPU in KiB (default %d)\n"
		   "  -l, --loader NAME,..  also record page events of these comms (repeatable);\n"
		   "                        always: modprobe insmod kmod systemd-udevd\n"
		   "                        (udev-worker) systemd-modules and PID 1\n"
		   "  -k, --kmsg            log to /dev/kmsg (for initramfs hooks)\n"
		   "  -q, --quiet           no informational messages\n"
		   "  -h, --help            this help\n",
		DEFAULT_BUFFER_KB);
}

static void usage_report(FILE *f)
{
	fprintf(f, "Usage: memdebug-ko report [OPTION]...\n"
		   "Attribute the pages allocated by each module loader between module_load and\n"
		   "the do_init_module module_put of the same pid; print one line per load.\n"
		   "Live (default): read instances/" INSTANCE_NAME ", then remove it to free its buffer.\n\n"
		   "  -i, --input FILE      replay a saved ftrace text trace ('-' = stdin)\n"
		   "  -t, --tracefs DIR     tracing directory (default: find it)\n"
		   "  -p, --proc DIR        proc root for modules (default /proc; live, or with\n"
		   "                        --input only when given)\n"
		   "  -f, --format FMT      text (default) or json, on stdout\n"
		   "  -j, --json-file PATH  also write the JSON report to PATH\n"
		   "  -T, --save-trace PATH live: save the instance's text trace to PATH\n"
		   "  -s, --sort KEY        pages (default), name or load\n"
		   "  -l, --loader NAME,..  comms the kmem filter recorded, besides the defaults\n"
		   "  -P, --page-size N     page size of a saved trace (default %d)\n"
		   "  -K, --keep            keep the instance and go on tracing\n"
		   "  -k, --kmsg            report and log to /dev/kmsg (for initramfs hooks)\n"
		   "  -q, --quiet           no informational messages\n"
		   "  -h, --help            this help\n",
		DEFAULT_PAGE_SIZE);
}

/* Parses a whole decimal number in [min, max]; returns 0 or -EINVAL. */
static int parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;

	if (!s[0] || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Adds comma-separated loader names; they end up inside a quoted tracefs filter. */
static int add_loaders(struct config *c, char *list)
{
	char *name, *save = NULL;

	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(name), i;

		if (!len || len > COMM_MAX) {
			fprintf(stderr, "memdebug-ko: loader name '%s' must have 1 to %d characters\n",
				name, COMM_MAX);
			return -EINVAL;
		}
		for (i = 0; i < len; i++) {
			if (name[i] == '"' || name[i] == '\\' || (unsigned char)name[i] < 0x20) {
				fprintf(stderr, "memdebug-ko: loader name '%s' may not contain quotes, backslashes or control characters\n",
					name);
				return -EINVAL;
			}
		}
		for (i = 0; i < c->nloaders && strcmp(c->loaders[i], name); i++)
			;
		if (i < c->nloaders)
			continue;
		if (c->nloaders == MAX_LOADERS) {
			fprintf(stderr, "memdebug-ko: more than %d loader names\n", MAX_LOADERS);
			return -E2BIG;
		}
		c->loaders[c->nloaders++] = name;
	}
	c->loaders[c->nloaders] = NULL;
	return 0;
}

/* The values of --format and --sort, in the order of their enums. */
static const char *const format_names[] = { [FMT_TEXT] = "text", [FMT_JSON] = "json", NULL };
static const char *const sort_names[] = {
	[SORT_PAGES] = "pages", [SORT_NAME] = "name", [SORT_LOAD] = "load", NULL
};

/* The index of @s in the NULL-terminated @names, or -1. */
static int choice(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int usage_error(const char *cmd)
{
	fprintf(stderr, "Try 'memdebug-ko %s--help' for more information.\n", cmd);
	return EXIT_USAGE;
}

/*
 * Options both commands take (-t -l -k -q); logging follows -k and -q at once.
 * Returns 0, or -EINVAL for an unknown option or a bad value (already explained).
 */
static int common_option(int o, struct config *c)
{
	switch (o) {
	case 't':
		c->tracefs = optarg;
		return 0;
	case 'l':
		return add_loaders(c, optarg);
	case 'k':
		c->kmsg = true;
		log_use_kmsg(true);
		return 0;
	case 'q':
		c->quiet = true;
		log_set_quiet(true);
		return 0;
	}
	return -EINVAL;
}

static int cmd_prepare(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "tracefs", required_argument, NULL, 't' },
		{ "buffer-kb", required_argument, NULL, 'b' },
		{ "loader", required_argument, NULL, 'l' },
		{ "kmsg", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "t:b:l:kqh", opts, NULL)) != -1) {
		switch (o) {
		case 'b':
			if (parse_range(optarg, 1, 4194304, &c->buffer_kb) < 0) {
				fprintf(stderr, "memdebug-ko: --buffer-kb takes a number of KiB from 1 to 4194304, not '%s'\n",
					optarg);
				return usage_error("prepare ");
			}
			break;
		case 'h':
			usage_prepare(stdout);
			return 0;
		default:
			if (common_option(o, c) < 0)
				return usage_error("prepare ");
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memdebug-ko: prepare takes no argument '%s'\n", argv[optind]);
		return usage_error("prepare ");
	}
	return live_prepare(c) < 0 ? EXIT_FAILURE : 0;
}

/* Opens the saved trace, or stdin for "-"; returns the fd or -errno (reported). */
static int open_input(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		log_err("cannot open %s: %s", path, strerror(errno));
	}
	return fd;
}

/* The one pipeline: a source feeds the accounting, the accounting feeds the output. */
static int run_report(struct config *c)
{
	struct report_src src = { .page_size = c->page_size };
	struct acct a;
	struct tfs t = { .found = false };
	char path[PATH_MAX];
	struct timespec t0, t1;
	char ms[32];
	int r, out;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	acct_init(&a, c->loaders);
	if (c->input) {
		int fd = open_input(c->input);

		if (fd < 0)
			return EXIT_FAILURE;
		r = text_read(fd, !strcmp(c->input, "-") ? "standard input" : c->input, &a);
		if (fd != STDIN_FILENO)
			close(fd);
	} else {
		r = live_collect(&t, c, &a, &src);
	}
	if (r < 0)
		goto out;
	acct_finish(&a);
	if (!c->input || c->proc_given) {
		snprintf(path, sizeof(path), "%s/modules", c->proc);
		if (acct_apply_proc_modules(&a, path) < 0)
			log_warn("without %s no status says failed or before-tracing, and image sizes are unknown",
				 path);
	}
	if (c->format == FMT_JSON)
		out = report_json(&a, &src, stdout);
	else
		out = report_text(&a, c, &src);
	if (out < 0)
		log_err("cannot write the report: %s", strerror(-out));
	if (c->json_file && report_json_file(&a, &src, c->json_file) < 0)
		out = -EIO;
	r = out;
out:
	if (!c->input) {
		live_finish(&t, c);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		log_info("report took %s ms",
			 ms_str(ms, sizeof(ms),
				(uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
					(uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec,
				1));
	}
	acct_free(&a);
	return r < 0 ? EXIT_FAILURE : 0;
}

static int cmd_report(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "tracefs", required_argument, NULL, 't' },
		{ "proc", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "json-file", required_argument, NULL, 'j' },
		{ "save-trace", required_argument, NULL, 'T' },
		{ "sort", required_argument, NULL, 's' },
		{ "loader", required_argument, NULL, 'l' },
		{ "page-size", required_argument, NULL, 'P' },
		{ "keep", no_argument, NULL, 'K' },
		{ "kmsg", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int o, r;

	while ((o = getopt_long(argc, argv, "i:t:p:f:j:T:s:l:P:Kkqh", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			c->input = optarg;
			break;
		case 'p':
			c->proc = optarg;
			c->proc_given = true;
			break;
		case 'f':
			r = choice(optarg, format_names);
			if (r < 0) {
				fprintf(stderr, "memdebug-ko: --format is text or json, not '%s'\n",
					optarg);
				return usage_error("report ");
			}
			c->format = (enum out_format)r;
			break;
		case 'j':
			c->json_file = optarg;
			break;
		case 'T':
			c->save_trace = optarg;
			break;
		case 's':
			r = choice(optarg, sort_names);
			if (r < 0) {
				fprintf(stderr, "memdebug-ko: --sort is pages, name or load, not '%s'\n",
					optarg);
				return usage_error("report ");
			}
			c->sort = (enum sort_key)r;
			break;
		case 'P':
			if (parse_range(optarg, 1024, 1 << 20, &v) < 0 || (v & (v - 1))) {
				fprintf(stderr, "memdebug-ko: --page-size is a power of two from 1024 to 1048576, not '%s'\n",
					optarg);
				return usage_error("report ");
			}
			c->page_size = (unsigned)v;
			break;
		case 'K':
			c->keep = true;
			break;
		case 'h':
			usage_report(stdout);
			return 0;
		default:
			if (common_option(o, c) < 0)
				return usage_error("report ");
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memdebug-ko: report takes no argument '%s' (a trace file goes with --input)\n",
			argv[optind]);
		return usage_error("report ");
	}
	if (c->input && (c->tracefs || c->keep || c->save_trace)) {
		fprintf(stderr, "memdebug-ko: --input replays a saved trace: --tracefs, --keep and --save-trace are for live reports\n");
		return usage_error("report ");
	}
	return run_report(c);
}

int main(int argc, char **argv)
{
	struct config c = {
		.proc = "/proc",
		.buffer_kb = DEFAULT_BUFFER_KB,
		.page_size = DEFAULT_PAGE_SIZE,
	};
	const struct command *cmd = NULL;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(default_loaders) / sizeof(default_loaders[0]); i++)
		c.loaders[c.nloaders++] = default_loaders[i];
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("memdebug-ko %s (%s backend)\n", MEMDEBUG_KO_VERSION, be_name);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "memdebug-ko: unknown command '%s'\n", argv[1]);
		return usage_error("");
	}
	optind = 1;
	ret = cmd->fn(argc - 1, argv + 1, &c);
	if (fflush(stdout) == EOF && !ret) {
		fprintf(stderr, "memdebug-ko: cannot write to standard output: %s\n",
			strerror(errno));
		ret = EXIT_FAILURE;
	}
	return ret;
}
