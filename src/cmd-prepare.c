// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko prepare: as early in the boot as possible, make the private trace instance,
 * size its buffer, enable the module and page events, filter the page events to module
 * loaders and start tracing. With trace_event= on the kernel command line the top-level
 * buffer has traced since boot: then no instance is made.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "mdko-config.h"
#include "proc.h"
#include "tfs.h"

#define DEFAULT_CMDLINES 4096

static const char *const page_events[] = { "mm_page_alloc", "mm_page_free" };

struct prepare_opts {
	struct cli_common common;
	const char *buffer_kb_arg;
	uint64_t buffer_kb;
	struct loaders loaders;
};

static void usage(void)
{
	printf("Usage: memdebug-ko prepare [OPTION]...\n"
	       "Mount tracefs if needed, create the trace instance instances/" INSTANCE_NAME ",\n"
	       "record module loads and the page allocations of module loaders, start tracing.\n"
	       "Running it again leaves a running instance untouched.\n\n"
	       "  -t, --tracefs DIR     tracing directory (default: find or mount it)\n"
	       "  -b, --buffer-kb N     ring buffer per CPU in KiB (default %d)\n"
	       "  -l, --loader NAME,..  also record page events of these comms (repeatable);\n",
	       DEFAULT_BUFFER_KB);
	loaders_print_defaults(24, 80);
	printf("  -k, --kmsg            log to /dev/kmsg (for initramfs hooks); a bad option\n"
	       "                        value then warns and the default is used\n"
	       "  -q, --quiet           no informational messages\n"
	       "  -h, --help            this help\n");
}

/* Checks the values of the options; returns 0 or -EINVAL (explained). */
static int check_values(struct prepare_opts *o)
{
	char fallback[64];

	o->buffer_kb = DEFAULT_BUFFER_KB;
	if (o->buffer_kb_arg &&
	    cli_range(o->buffer_kb_arg, 1, BUFFER_KB_MAX, &o->buffer_kb) < 0) {
		o->buffer_kb = DEFAULT_BUFFER_KB;
		snprintf(fallback, sizeof(fallback),
			 "using the default, %d KiB (rd.memdebug_ko.buffer_kb=)", DEFAULT_BUFFER_KB);
		if (cli_bad_value(&o->common, fallback,
				  "--buffer-kb takes a number of KiB from 1 to %d, not '%s'",
				  BUFFER_KB_MAX, o->buffer_kb_arg) < 0)
			return -EINVAL;
	}
	loaders_init(&o->loaders);
	return cli_loaders(&o->common, &o->loaders);
}

/* Whether the instance already traces module loads (an earlier prepare). */
static bool instance_active(const struct tfs *t)
{
	return tfs_is_on(t->inst, "tracing_on") &&
	       tfs_is_on(t->inst, "events/module/module_load/enable");
}

/* Raises the global saved_cmdlines_size so loader pids keep their names; never lowers it. */
static void raise_cmdlines(const struct tfs *t)
{
	char p[PATH_MAX], v[24];
	uint64_t cur;
	int r;

	tfs_path(p, t->dir, "saved_cmdlines_size");
	if (tfs_read_u64(p, &cur) == 0 && cur >= DEFAULT_CMDLINES)
		return;

	snprintf(v, sizeof(v), "%d", DEFAULT_CMDLINES);
	r = tfs_write(p, v);
	if (r < 0)
		log_warn("cannot raise %s to %s: %s; loader names may show as <...>", p, v,
			 strerror(-r));
}

/* Optional settings: a failure costs precision, not the trace. */
static void set_optional(const struct tfs *t, const char *file, const char *val,
			 const char *why)
{
	int r = tfs_set(t->inst, file, val);

	if (r < 0)
		log_warn("cannot write %s to %s/%s: %s; %s", val, t->inst, file, strerror(-r),
			 why);
}

static int enable_events(const struct tfs *t, const struct loaders *l)
{
	char filter[FILTER_MAX], bad[PATH_MAX];
	bool have_filter;
	size_t i;
	int r;

	r = tfs_event_enable(t->inst, "module", "module_load");
	if (r < 0) {
		log_err("cannot enable module:module_load in %s: %s (kernel without CONFIG_MODULES or tracepoints?)",
			t->inst, strerror(-r));
		return r;
	}
	r = tfs_event_enable(t->inst, "module", "module_put");
	if (r < 0)
		log_warn("cannot enable module:module_put: %s (kernel without CONFIG_MODULE_UNLOAD?); load windows will close at the loader's next load",
			 strerror(-r));
	/* module_free tells failed inits apart; kernels have had it as long as module_load. */
	tfs_event_enable(t->inst, "module", "module_free");
	/* The OOM killer's choices: rare, and what a report of an OOM death must show. */
	if (tfs_event_enable(t->inst, "oom", "mark_victim") < 0)
		log_info("no oom:mark_victim event (a kernel before 4.13?): OOM kills will not be reported");
	have_filter = loaders_filter(l, filter, sizeof(filter)) == 0;
	if (!have_filter)
		log_warn("the loader names do not fit a tracefs filter: recording the page events of every task");
	for (i = 0; i < 2; i++) {
		if (have_filter) {
			r = tfs_event_filter(t->inst, "kmem", page_events[i], filter);
			/* a missing event is reported once, by the enable below */
			if (r < 0 && r != -ENOENT) {
				log_warn("the kernel refused the filter on kmem:%s (%s): recording the page events of every task",
					 page_events[i], strerror(-r));
				tfs_event_filter(t->inst, "kmem", page_events[i], "0");
			}
		}
		r = tfs_event_enable(t->inst, "kmem", page_events[i]);
		if (r < 0) {
			tfs_path(bad, t->inst, "events/kmem/%s", page_events[i]);
			log_warn("cannot enable %s: %s; pages cannot be measured", bad, strerror(-r));
		}
	}
	return 0;
}

/* Sets up and starts the instance; a second run leaves a running one untouched. */
static int prepare(const struct prepare_opts *o)
{
	long long before, after, pcp_before, pcp_after;
	struct tfs t;
	char v[32];
	bool existed;
	int r;

	r = tfs_locate(&t, o->common.tracefs, !o->common.tracefs);
	if (r < 0)
		return r;
	if (tfs_top_traces_loads(&t)) {
		raise_cmdlines(&t);
		log_info("the kernel command line traces module loads into the top-level buffer of %s since boot: report reads it, no instance is made",
			 t.dir);
		return 0;
	}
	before = proc_mem_free_kb("/proc");
	pcp_before = proc_pcp_free_kb("/proc");
	r = tfs_instance_create(&t, &existed);
	if (r < 0) {
		log_err("cannot create the trace instance %s: %s", t.inst, strerror(-r));
		return r;
	}
	if (existed && instance_active(&t)) {
		log_info("%s is already tracing module loads: left as it is", t.inst);
		return 0;
	}
	/* New instances start with tracing on; nothing is recorded before the events are set. */
	tfs_set(t.inst, "tracing_on", "0");
	snprintf(v, sizeof(v), "%" PRIu64, o->buffer_kb);
	set_optional(&t, "buffer_size_kb", v, "the default buffer may overflow");
	set_optional(&t, "trace_clock", "global", "init times may mix CPU clocks");
	/* When full, drop new events (counted) rather than overwrite the first loads. */
	set_optional(&t, "options/overwrite", "0", "a full buffer overwrites the oldest events");
	raise_cmdlines(&t);
	r = enable_events(&t, &o->loaders);
	if (r < 0)
		goto out_remove;
	r = tfs_set(t.inst, "tracing_on", "1");
	if (r < 0) {
		log_err("cannot turn tracing on in %s: %s", t.inst, strerror(-r));
		goto out_remove;
	}
	log_info("tracing module loads in %s (%s KiB per CPU)", t.inst, v);
	after = proc_mem_free_kb("/proc");
	pcp_after = proc_pcp_free_kb("/proc");
	/* The buffer, and on kernels before 6.6 a dentry and inode per event file. */
	if (!existed && before >= 0 && after >= 0 && pcp_before >= 0 && pcp_after >= 0)
		log_info("the instance took %lld KiB of MemFree (%lld KiB before, %lld KiB after); with the per-CPU page lists, %lld KiB (%lld KiB before, %lld KiB after)",
			 before - after, before, after, before + pcp_before - after - pcp_after,
			 before + pcp_before, after + pcp_after);
	else if (!existed && before >= 0 && after >= 0)
		log_info("the instance took %lld KiB of MemFree (%lld KiB before, %lld KiB after)",
			 before - after, before, after);
	return 0;
out_remove:
	if (!existed)
		tfs_instance_remove(&t);
	return r;
}

static int run(int argc, char **argv)
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
	struct prepare_opts o = { .buffer_kb_arg = NULL };
	int c;

	while ((c = getopt_long(argc, argv, "t:b:l:kqh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.buffer_kb_arg = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			if (cli_common_option(c, &o.common) < 0)
				return cli_usage_error("prepare ");
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memdebug-ko: prepare takes no argument '%s'\n", argv[optind]);
		return cli_usage_error("prepare ");
	}
	if (check_values(&o) < 0)
		return cli_usage_error("prepare ");
	return prepare(&o) < 0 ? EXIT_FAILURE : 0;
}

const struct command cmd_prepare = {
	"prepare", run, "set up and start the trace instance (early boot)"
};
