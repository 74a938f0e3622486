// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko report: the one pipeline of every mode. A source (the live buffer, or a
 * saved text trace with --input) feeds the accounting; /proc/modules completes it; the
 * summary is worked out once and the sinks render it: the table on stdout or the kernel
 * log, the JSON on stdout or in a file. Live, the buffer is freed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "cmd.h"
#include "live.h"
#include "log.h"
#include "proc.h"
#include "sink.h"
#include "source-text.h"
#include "state.h"
#include "summary.h"
#include "tfs.h"

#define DEFAULT_PAGE_SIZE 4096

enum out_format { FMT_TEXT, FMT_JSON };

struct report_opts {
	struct cli_common common;
	const char *input; /* --input FILE, "-" for stdin; NULL: live */
	const char *proc;  /* --proc DIR */
	bool proc_given;
	const char *root; /* --root DIR: the system's /sys for the budget and the stacks */
	const char *json_file;	/* --json-file PATH */
	const char *save_trace; /* --save-trace PATH */
	bool keep;
	bool detach;
	const char *format_arg, *sort_arg, *page_size_arg;
	enum out_format format;
	enum sort_key sort;
	unsigned page_size;
	struct loaders loaders;
};

/* The values of --format and --sort, in the order of their enums. */
static const char *const format_names[] = {
	[FMT_TEXT] = "text", [FMT_JSON] = "json", NULL
};
static const char *const sort_names[] = {
	[SORT_PAGES] = "pages", [SORT_NAME] = "name", [SORT_LOAD] = "load", NULL
};

static void usage(void)
{
	printf("Usage: memdebug-ko report [OPTION]...\n"
	       "Attribute the pages allocated by each module loader between module_load and\n"
	       "the do_init_module module_put of the same pid; print one line per load.\n"
	       "Live (default): read the buffer prepare set up (the top-level one it claimed, or\n"
	       "instances/" INSTANCE_NAME "), then give it back to free its memory.\n\n"
	       "  -i, --input FILE      replay a saved ftrace text trace ('-' = stdin)\n"
	       "  -t, --tracefs DIR     tracing directory (default: find it)\n"
	       "  -p, --proc DIR        proc root for modules (default /proc; live, or with\n"
	       "                        --input only when given)\n"
	       "  -R, --root DIR        with --input and --proc, or live with --tracefs: the\n"
	       "                        system root whose /sys the budget reads too (fadump),\n"
	       "                        and whose /sys/module places the stacks' frames\n"
	       "  -f, --format FMT      text (default) or json, on stdout\n"
	       "  -j, --json-file PATH  also write the JSON report to PATH\n"
	       "  -T, --save-trace PATH live: save the buffer's text trace to PATH\n"
	       "  -r, --run-dir DIR     live: prepare's claim and the watcher's hand-over\n"
	       "                        (default " DEFAULT_RUN_DIR ")\n"
	       "  -s, --sort KEY        pages (default), name or load\n"
	       "  -l, --loader NAME,..  comms the kmem filter recorded, besides the defaults\n"
	       "  -P, --page-size N     page size of a saved trace (default: what memdebug-ko\n"
	       "                        wrote into it, else %d)\n"
	       "  -K, --keep            keep the buffer and go on tracing\n"
	       "  -D, --detach          give the buffer back in a process of its own once the\n"
	       "                        report is out: the root switch does not wait for it\n"
	       "                        (not in a capture kernel: its dump step needs the memory)\n"
	       "  -k, --kmsg            report and log to /dev/kmsg (for initramfs hooks); a bad\n"
	       "                        option value then warns and the default is used\n"
	       "  -q, --quiet           no informational messages\n"
	       "  -o, --once            nothing when this boot's report has run (the hooks)\n"
	       "  -h, --help            this help\n",
	       DEFAULT_PAGE_SIZE);
}

/*
 * A kdump capture kernel, whose dump step comes next and needs the memory: --detach
 * gives the buffer back before returning there, not beside the dump.
 */
static bool capture_kernel(const char *proc)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/vmcore", proc) >= (int)sizeof(path) ||
	    access(path, F_OK) < 0)
		return false;
	log_info("a capture kernel (%s): the buffer goes back before the dump step, not beside it",
		 path);
	return true;
}

/* Checks the values of the options; returns 0 or -EINVAL (explained). */
static int check_values(struct report_opts *o)
{
	uint64_t v;
	int r;

	if (o->format_arg) {
		r = cli_choice(o->format_arg, format_names);
		if (r >= 0)
			o->format = (enum out_format)r;
		else if (cli_bad_value(&o->common, "using text",
				       "--format is text or json, not '%s'",
				       o->format_arg) < 0)
			return -EINVAL;
	}
	if (o->sort_arg) {
		r = cli_choice(o->sort_arg, sort_names);
		if (r >= 0)
			o->sort = (enum sort_key)r;
		else if (cli_bad_value(&o->common, "using pages",
				       "--sort is pages, name or load, not '%s'",
				       o->sort_arg) < 0)
			return -EINVAL;
	}
	if (o->page_size_arg) {
		if (cli_range(o->page_size_arg, PAGE_SIZE_MIN, PAGE_SIZE_MAX, &v) == 0 &&
		    source_page_size_ok(v))
			o->page_size = (unsigned)v;
		else if (cli_bad_value(
				 &o->common, "using 4096",
				 "--page-size is a power of two from 1024 to 1048576, not '%s'",
				 o->page_size_arg) < 0)
			return -EINVAL;
	}
	loaders_init(&o->loaders);
	return cli_loaders(&o->common, &o->loaders);
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

/* Reads the saved trace of --input into the accounting. */
static int read_input(const struct report_opts *o, struct acct *a,
		      struct source_stats *st)
{
	int fd, r;

	fd = open_input(o->input);
	if (fd < 0)
		return fd;
	r = text_read(fd, !strcmp(o->input, "-") ? "standard input" : o->input,
		      acct_event, a, st);
	if (fd != STDIN_FILENO)
		close(fd);
	return r;
}

/* Reads the live buffer, or takes what the watcher that consumed it counted (and @low). */
static int read_live(const struct report_opts *o, struct live *l, struct acct *a,
		     struct low_point *low, struct source_stats *st)
{
	bool taken = false, saved = false;
	int r = 0;

	if (!l->top || l->ours)
		r = state_take(o->common.run_dir, a, low, st, &taken, &saved);
	if (taken) {
		if (o->save_trace && !saved)
			log_warn("the watcher read the trace as it came, without saving it: nothing to save to %s",
				 o->save_trace);
	} else if (r == 0) {
		r = live_read(l, o->keep, o->save_trace, acct_event, a, st);
	}
	if (r == 0)
		live_lost(l, st);
	return r;
}

/* Completes the accounting with the modules in memory now, when they are to be read. */
static void apply_modules(const struct report_opts *o, struct acct *a, bool lost)
{
	struct proc_module *pm = NULL;
	char path[PATH_MAX];
	size_t n = 0;
	int r;

	if (o->input && !o->proc_given)
		return;
	snprintf(path, sizeof(path), "%s/modules", o->proc);
	r = proc_modules_read(path, &pm, &n);
	if (r == 0) {
		r = acct_apply_modules(a, pm, n, lost);
		if (r < 0)
			log_err("out of memory reading %s", path);
	}
	if (r < 0 && r != -ENOMEM)
		log_warn("cannot read %s (%s): no status says failed or before-tracing, and image sizes are unknown",
			 path, strerror(-r));
	else if (r < 0)
		log_warn("without %s no status says failed or before-tracing, and image sizes are unknown",
			 path);
	free(pm);
}

/* The sinks: the table or JSON on stdout (or the table in the kernel log), the JSON file. */
static int render(const struct report_opts *o, const struct summary *s)
{
	int r;

	if (o->format == FMT_JSON)
		r = sink_json(s, stdout);
	else
		r = sink_text(s, log_kmsg_enabled());
	if (r < 0)
		log_err("cannot write the report: %s", strerror(-r));
	if (o->json_file && sink_json_file(s, o->json_file) < 0)
		r = -EIO;
	return r;
}

/*
 * Why a prepare that failed at this boot could not trace, when /proc still makes a
 * report worth printing: kernel lockdown (confidentiality) forbids tracefs. NULL for
 * any other failure, whose error prepare printed.
 */
static const char *forbidden(void)
{
	char mode[32];

	tfs_lockdown_mode(mode, sizeof(mode));
	return strcmp(mode, "confidentiality")
		       ? NULL
		       : "tracing was forbidden at this boot (see above)";
}

/*
 * A saved trace's pages are of the machine that saved it: the page size it names, unless
 * --page-size says otherwise; a trace that names none is of DEFAULT_PAGE_SIZE.
 */
static void input_page_size(const struct report_opts *o, const struct source_stats *st,
			    struct source_info *info)
{
	if (!st->page_size || st->page_size == info->page_size)
		return;
	if (o->page_size_arg)
		log_warn("%s was saved with pages of %u bytes: counting them as %u (--page-size)",
			 o->input, st->page_size, info->page_size);
	else
		info->page_size = st->page_size;
}

static int report(const struct report_opts *o)
{
	struct source_info info = { .page_size = o->page_size };
	struct source_stats st = { 0 };
	struct low_point low = { .samples = 0 };
	struct summary s;
	struct timespec t0, t1;
	struct live l = { .open = false };
	struct budget budget;
	struct acct a;
	struct acct_facts f;
	char ms[32], sys_module[PATH_MAX];
	int r;

	if (!o->input && cli_once_done(&o->common, "not again")) {
		/* the machine may power off next: not before the earlier give-back is done */
		state_give_back_wait(o->common.run_dir);
		return 0;
	}
	if (!o->input && o->common.once &&
	    state_marked(o->common.run_dir, STATE_PREPARE_FAILED)) {
		/* lockdown: no trace, but what /proc shows; else prepare said it all */
		info.not_traced = forbidden();
		if (!info.not_traced) {
			log_info(
				"prepare failed at this boot (its error is above): no module memory report");
			state_mark(o->common.run_dir, STATE_REPORTED);
			return 0;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	f = (struct acct_facts){ .loaders = &o->loaders };
	acct_init(&a, &f);
	if (o->input) {
		r = read_input(o, &a, &st);
		input_page_size(o, &st, &info);
	} else if (info.not_traced) {
		info.live = true;
		info.page_size = (unsigned)sysconf(_SC_PAGESIZE);
		r = 0;
	} else {
		r = live_open(&l, o->common.tracefs, o->common.run_dir);
		if (r < 0)
			goto out;
		if (o->root) {
			snprintf(sys_module, sizeof(sys_module), "%s/sys/module",
				 o->root);
			l.sys_module = sys_module;
		}
		live_facts(&l, &o->loaders, &f, &info);
		acct_init(&a, &f);
		r = read_live(o, &l, &a, &low, &st);
	}
	if (r < 0)
		goto out;
	acct_finish(&a);
	apply_modules(o, &a, st.lost);
	r = summary_make(&s, &a, &st, &info, o->sort);
	if (r == 0)
		summary_low(&s, &low);
	if (r == 0 && (!o->input || o->proc_given)) {
		/* live, the initramfs's files too; offline, what --proc holds */
		budget_read(&budget, o->proc, o->input || o->root ? o->root : "/");
		summary_budget(&s, &budget);
	}
	if (r == 0) {
		r = render(o, &s);
		summary_free(&s);
	} else {
		log_err("cannot write the report: %s", strerror(-r));
	}
out:
	if (!o->input) {
		if (o->detach && !o->keep && !capture_kernel(o->proc))
			live_close_detached(&l, o->proc);
		else
			live_close(&l, o->keep, o->proc);
		/* whatever came of it: nothing of this boot arms or reports again (--once) */
		if (state_mark(o->common.run_dir, STATE_REPORTED) < 0)
			log_warn("cannot write %s/reported: an emergency round may trace again",
				 o->common.run_dir);
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

static const struct cli_opt report_opts[] = {
	CLI_VALUE("input", 'i', struct report_opts, input),
	CLI_TRACEFS(struct report_opts),
	CLI_VALUE("proc", 'p', struct report_opts, proc),
	CLI_VALUE("root", 'R', struct report_opts, root),
	CLI_VALUE("format", 'f', struct report_opts, format_arg),
	CLI_VALUE("json-file", 'j', struct report_opts, json_file),
	CLI_VALUE("save-trace", 'T', struct report_opts, save_trace),
	CLI_RUN_DIR(struct report_opts),
	CLI_VALUE("sort", 's', struct report_opts, sort_arg),
	CLI_LOADERS(struct report_opts),
	CLI_VALUE("page-size", 'P', struct report_opts, page_size_arg),
	CLI_FLAG("keep", 'K', struct report_opts, keep),
	CLI_FLAG("detach", 'D', struct report_opts, detach),
	CLI_KMSG(struct report_opts),
	CLI_QUIET(struct report_opts),
	CLI_ONCE(struct report_opts),
	CLI_END,
};

static const struct cli_cmd report_cli = {
	"report", usage, report_opts, 0, NULL, " (a trace file goes with --input)", true
};

static int run(int argc, char **argv)
{
	struct report_opts o = { .common.run_dir = DEFAULT_RUN_DIR,
				 .page_size = DEFAULT_PAGE_SIZE };
	int status;

	if (cli_parse(&report_cli, &o, argc, argv, &status) < 0)
		return status;
	o.proc_given = o.proc != NULL;
	if (!o.proc)
		o.proc = "/proc";
	if (check_values(&o) < 0)
		return cli_usage_error("report ");
	if (o.root && (o.input ? !o.proc_given : !o.common.tracefs)) {
		fprintf(stderr,
			"memdebug-ko: --root goes with --input and --proc, or live with --tracefs: live, the root is /\n");
		return cli_usage_error("report ");
	}
	if (o.input && (o.common.tracefs || o.keep || o.save_trace || o.detach)) {
		fprintf(stderr,
			"memdebug-ko: --input replays a saved trace: --tracefs, --keep, --detach and --save-trace are for live reports\n");
		return cli_usage_error("report ");
	}
	return report(&o);
}

const struct command cmd_report = {
	"report", run, "print pages per module load, then free the trace buffer"
};
