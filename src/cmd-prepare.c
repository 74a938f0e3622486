// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko prepare: as early in the boot as possible, take a trace buffer, size it,
 * enable the module and page events, filter the page events to module loaders and start
 * tracing. The buffer is the top-level one while nobody uses it: it costs only its pages,
 * where a new instance on kernels before 6.6 also costs 8 MB and more of event files.
 * When the top level is busy (or with --instance), a private instance. With trace_event=
 * on the kernel command line the top-level buffer has traced since boot: then nothing is
 * set up.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "mdko-config.h"
#include "proc.h"
#include "state.h"
#include "tfs.h"

#define DEFAULT_CMDLINES 4096

static const char *const page_events[] = { "mm_page_alloc", "mm_page_free" };

struct prepare_opts {
	struct cli_common common;
	const char *buffer_kb_arg;
	uint64_t buffer_kb;
	bool instance;
	bool stacks;
	struct loaders loaders;
};

static void usage(void)
{
	printf("Usage: memdebug-ko prepare [OPTION]...\n"
	       "Mount tracefs if needed, claim the top-level trace buffer while it is idle (else\n"
	       "create the instance instances/" INSTANCE_NAME "), record module loads and the page\n"
	       "allocations of module loaders, start tracing. Running it again leaves a running\n"
	       "setup untouched.\n\n"
	       "  -t, --tracefs DIR     tracing directory (default: find or mount it)\n"
	       "  -b, --buffer-kb N     ring buffer per CPU in KiB (default %d)\n"
	       "  -i, --instance        trace in an instance even when the top level is idle\n"
	       "  -s, --stacks          record the kernel stack of each recorded page\n"
	       "                        allocation, for the call sites of rd.memdebug=5\n"
	       "  -r, --run-dir DIR     where the claim of the top-level buffer is kept for\n"
	       "                        report (default " DEFAULT_RUN_DIR ")\n"
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

/* Whether @buf already traces module loads (an earlier prepare). */
static bool tracing_loads(const char *buf)
{
	return tfs_is_on(buf, "tracing_on") && tfs_is_on(buf, "events/module/module_load/enable");
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
static void set_optional(const char *buf, const char *file, const char *val, const char *why)
{
	int r = tfs_set(buf, file, val);

	if (r < 0)
		log_warn("cannot write %s to %s/%s: %s; %s", val, buf, file, strerror(-r), why);
}

/*
 * The kprobes on the bulk allocator, filtered as the page events: without them the pages
 * of vmalloc are not seen, and the report says so.
 */
static void enable_bulk(const struct tfs *t, const char *buf)
{
	static const char *const events[] = { BULK_ENTER, BULK_EXIT };
	char func[64];
	size_t i;
	int r = tfs_bulk_add(t, func, sizeof(func));

	if (r < 0) {
		log_warn("cannot add kprobe events on the bulk page allocator (%s): pages of vmalloc will not be counted",
			 strerror(-r));
		return;
	}
	/* every task's: bulk calls are few, and work and threads of loads make them too */
	for (i = 0; i < 2; i++) {
		r = tfs_event_enable(buf, BULK_SYSTEM, events[i]);
		if (r < 0) {
			log_warn("cannot enable %s/events/%s/%s (%s): pages of vmalloc will not be counted",
				 buf, BULK_SYSTEM, events[i], strerror(-r));
			tfs_set(buf, "events/" BULK_SYSTEM "/enable", "0");
			tfs_bulk_remove(t);
			return;
		}
	}
	log_info("counting the bulk allocator's pages (vmalloc) with kprobes on %s", func);
}

/*
 * The workqueue events, filtered as the page events (which let kworkers through): the
 * work a load queues and its run in a kworker. Without them the report says so.
 */
static void enable_work(const char *buf, const char *filter)
{
	static const char *const events[] = { "workqueue_queue_work", "workqueue_execute_start",
					      "workqueue_execute_end" };
	size_t i;
	int r;

	for (i = 0; i < 3; i++) {
		if (filter && tfs_event_filter(buf, "workqueue", events[i], filter) < 0)
			tfs_event_filter(buf, "workqueue", events[i], "0");
		r = tfs_event_enable(buf, "workqueue", events[i]);
		if (r < 0) {
			log_warn("cannot enable %s/events/workqueue/%s (%s): pages of the work that loads queue will not be counted",
				 buf, events[i], strerror(-r));
			tfs_set(buf, "events/workqueue/enable", "0");
			return;
		}
	}
}

/* Enables @sys/@event with @filter (unfiltered if the kernel refuses it). */
static int enable_filtered(const char *buf, const char *sys, const char *event,
			   const char *filter)
{
	if (filter && tfs_event_filter(buf, sys, event, filter) < 0)
		tfs_event_filter(buf, sys, event, "0");
	return tfs_event_enable(buf, sys, event);
}

/*
 * sched_waking of every task but the busiest kernel threads, which no load starts (a
 * boot's few thousand wakeups, most of them RCU's and the workqueues').
 */
#define WAKE_FILTER                                                                       \
	"!(comm ~ \"rcu*\") && !(comm ~ \"kworker/*\") && !(comm ~ \"ksoftirqd/*\") && " \
	"!(comm ~ \"swapper/*\") && !(comm ~ \"migration/*\")"

/*
 * Kernel threads that loads start, and who started them. Up to Linux 6.1 kthread_create
 * renames the thread kthreadd forked, from its caller (task_rename). From 6.2 kthreadd
 * forks it under its name (task_newtask by kthreadd), and the first wakeup between the
 * thread and another task (sched_waking: it wakes its caller, or its caller wakes it)
 * names the caller. Their pages pass the page filter as kernel allocations.
 */
static void enable_threads(const char *buf)
{
	int r, r2, r3;

	r = enable_filtered(buf, "task", "task_rename", "oldcomm == \"kthreadd\"");
	r2 = enable_filtered(buf, "task", "task_newtask", "common_pid == 2");
	r3 = enable_filtered(buf, "sched", "sched_waking", WAKE_FILTER);
	if (r < 0 && (r2 < 0 || r3 < 0))
		log_warn("cannot enable the task events in %s (%s): pages of kernel threads that loads start will not be counted",
			 buf, strerror(r2 < 0 ? -r2 : -r3));
}

/*
 * rd.memdebug=5: a stacktrace trigger on the page allocations prepare records (and the
 * bulk allocator's returns), filtered as they are, and function+offset in the frames.
 */
static void enable_stacks(const char *buf, const char *filter)
{
	char trigger[FILTER_MAX + 128];
	int r;

	snprintf(trigger, sizeof(trigger), "stacktrace%s%s", filter ? " if " : "",
		 filter ? filter : "");
	r = tfs_set(buf, "events/kmem/mm_page_alloc/trigger", trigger);
	if (r < 0) {
		log_warn("cannot set a stacktrace trigger on kmem:mm_page_alloc (%s): no call sites",
			 strerror(-r));
		return;
	}
	tfs_set(buf, "events/" BULK_SYSTEM "/" BULK_EXIT "/trigger", "stacktrace");
	set_optional(buf, "options/sym-offset", "1", "call sites without their offsets");
	log_info("recording the kernel stack of each page allocation (rd.memdebug=5)");
}

/*
 * The page filters: frees of the loaders (and PID 1, kworkers); allocations of those,
 * and the kernel's own allocations of every task: unmovable, without __GFP_ACCOUNT
 * (which marks what user space asks for: page tables, pipes). A kernel thread a load
 * starts has a name of its own; this lets its pages through. The first filter the
 * kernel takes wins: without "!" or "&" (before 4.15), the loaders' alone.
 */
static int filter_allocs(const char *buf, const char *filter, char *alloc_filter, size_t size)
{
	uint64_t account;
	int r = -EINVAL, n;

	if (tfs_gfp_flag(buf, "__GFP_ACCOUNT", &account) == 0) {
		n = snprintf(alloc_filter, size, "%s || (migratetype == 0 && !(gfp_flags & 0x%" PRIx64 "))",
			     filter, account);
		if (n > 0 && (size_t)n < size)
			r = tfs_event_filter(buf, "kmem", "mm_page_alloc", alloc_filter);
	}
	if (r < 0 && r != -ENOENT) {
		n = snprintf(alloc_filter, size, "%s || migratetype == 0", filter);
		if (n > 0 && (size_t)n < size)
			r = tfs_event_filter(buf, "kmem", "mm_page_alloc", alloc_filter);
	}
	if (r < 0 && r != -ENOENT) {
		log_info("the kernel refused the filter of kernel allocations on kmem:mm_page_alloc: pages of kernel threads that loads start are left out");
		n = snprintf(alloc_filter, size, "%s", filter);
		r = n > 0 && (size_t)n < size ?
			    tfs_event_filter(buf, "kmem", "mm_page_alloc", alloc_filter) : -E2BIG;
	}
	return r;
}

static int enable_events(const struct tfs *t, const char *buf, const struct loaders *l,
			 bool stacks)
{
	char filter[FILTER_MAX], alloc_filter[FILTER_MAX + 96], bad[PATH_MAX];
	bool have_filter;
	size_t i;
	int r;

	r = tfs_event_enable(buf, "module", "module_load");
	if (r < 0) {
		log_err("cannot enable module:module_load in %s: %s (kernel without CONFIG_MODULES or tracepoints?)",
			buf, strerror(-r));
		return r;
	}
	r = tfs_event_enable(buf, "module", "module_put");
	if (r < 0)
		log_warn("cannot enable module:module_put: %s (kernel without CONFIG_MODULE_UNLOAD?); load windows will close at the loader's next load",
			 strerror(-r));
	/* module_free tells failed inits apart; kernels have had it as long as module_load. */
	tfs_event_enable(buf, "module", "module_free");
	/* The OOM killer's choices: rare, and what a report of an OOM death must show. */
	if (tfs_event_enable(buf, "oom", "mark_victim") < 0)
		log_info("no oom:mark_victim event (a kernel before 4.13?): OOM kills will not be reported");
	have_filter = loaders_filter(l, filter, sizeof(filter)) == 0;
	if (!have_filter)
		log_warn("the loader names do not fit a tracefs filter: recording the page events of every task");
	for (i = 0; i < 2; i++) {
		if (have_filter) {
			r = i == 0 ? filter_allocs(buf, filter, alloc_filter, sizeof(alloc_filter)) :
				     tfs_event_filter(buf, "kmem", page_events[i], filter);
			/* a missing event is reported once, by the enable below */
			if (r < 0 && r != -ENOENT) {
				log_warn("the kernel refused the filter on kmem:%s (%s): recording the page events of every task",
					 page_events[i], strerror(-r));
				tfs_event_filter(buf, "kmem", page_events[i], "0");
			}
		}
		r = tfs_event_enable(buf, "kmem", page_events[i]);
		if (r < 0) {
			tfs_path(bad, buf, "events/kmem/%s", page_events[i]);
			log_warn("cannot enable %s: %s; pages cannot be measured", bad, strerror(-r));
		}
	}
	enable_bulk(t, buf);
	enable_work(buf, have_filter ? filter : NULL);
	enable_threads(buf);
	if (stacks)
		enable_stacks(buf, have_filter ? alloc_filter : NULL);
	return 0;
}

/*
 * Sets up buffer @buf (the top level or the instance) and starts tracing. Returns 0 or
 * -errno (reported).
 */
static int start(const struct prepare_opts *o, const struct tfs *t, const char *buf)
{
	char v[32];
	int r;

	/* A new instance starts with tracing on: nothing is recorded before the events are set. */
	tfs_set(buf, "tracing_on", "0");
	snprintf(v, sizeof(v), "%" PRIu64, o->buffer_kb);
	set_optional(buf, "buffer_size_kb", v, "the default buffer may overflow");
	set_optional(buf, "trace_clock", "global", "init times may mix CPU clocks");
	/* When full, drop new events (counted) rather than overwrite the first loads. */
	set_optional(buf, "options/overwrite", "0", "a full buffer overwrites the oldest events");
	raise_cmdlines(t);
	r = enable_events(t, buf, &o->loaders, o->stacks);
	if (r < 0)
		return r;
	r = tfs_set(buf, "tracing_on", "1");
	if (r < 0)
		log_err("cannot turn tracing on in %s: %s", buf, strerror(-r));
	return r;
}

/*
 * Claims the idle top-level buffer: its settings saved in the run directory first, so
 * that report can give it back. Returns 0, -EAGAIN when it cannot be claimed (an
 * instance then), or -errno of a failed start (reported, the buffer given back).
 */
static int claim_top(const struct prepare_opts *o, const struct tfs *t)
{
	struct tfs_top saved;
	char why[PATH_MAX + 64];
	int r;

	if (o->instance)
		return -EAGAIN;
	if (!tfs_top_idle(t, why, sizeof(why))) {
		log_info("the top-level buffer of %s cannot be claimed (%s): tracing in an instance, which costs more memory",
			 t->dir, why);
		return -EAGAIN;
	}
	r = tfs_top_save(t, &saved);
	if (r == 0) {
		r = state_claim(o->common.run_dir, &saved);
		if (r < 0)
			log_warn("cannot write the claim of the top-level buffer in %s: %s; tracing in an instance, which costs more memory",
				 o->common.run_dir, strerror(-r));
	} else {
		log_warn("cannot read the settings of the top-level buffer of %s: %s; tracing in an instance, which costs more memory",
			 t->dir, strerror(-r));
	}
	if (r < 0)
		return -EAGAIN;
	/*
	 * It was idle, but may hold the lines of a trace_marker writer: start() setting the
	 * global clock empties it, and when the clock is global already, this does.
	 */
	if (!strcmp(saved.clock, "global"))
		tfs_set(t->dir, "trace", "");
	r = start(o, t, t->dir);
	if (r < 0) {
		if (tfs_top_restore(t, &saved) == 0)
			state_unclaim(o->common.run_dir);
		tfs_bulk_remove(t);
		return r;
	}
	log_info("tracing module loads in the top-level buffer of %s (%" PRIu64 " KiB per CPU)",
		 t->dir, o->buffer_kb);
	return 0;
}

/* Makes the instance, or takes over one that does not trace, and starts it. */
static int make_instance(const struct prepare_opts *o, const struct tfs *t)
{
	bool existed;
	int r;

	r = tfs_instance_create(t, &existed);
	if (r < 0) {
		log_err("cannot create the trace instance %s: %s", t->inst, strerror(-r));
		return r;
	}
	r = start(o, t, t->inst);
	if (r < 0) {
		if (!existed) {
			tfs_instance_remove(t);
			tfs_bulk_remove(t);
		}
		return r;
	}
	log_info("tracing module loads in %s (%" PRIu64 " KiB per CPU)", t->inst, o->buffer_kb);
	return 0;
}

/*
 * Names the modules in memory when tracing started: the report can show only their
 * images (before-tracing). On 6.12 the kernel itself loads some (cryptd, crypto_simd,
 * gf128mul) before the first initramfs hook.
 */
static void log_loaded_before(void)
{
	struct proc_module *pm;
	char list[512];
	size_t i, n, len = 0;

	if (access("/proc/modules", R_OK) < 0 || proc_modules_read("/proc/modules", &pm, &n) < 0)
		return;
	for (i = n; i-- > 0 && len < sizeof(list);)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? " " : "",
					pm[i].name);
	if (n)
		log_info("%zu module%s loaded before tracing started: %s%s; the boot-parameter mode traces them (memdebug-ko(8))",
			 n, n == 1 ? " was" : "s were", list, len >= sizeof(list) ? "..." : "");
	free(pm);
}

/* Sets up and starts tracing; a second run leaves a running setup untouched. */
static int prepare(const struct prepare_opts *o)
{
	struct proc_free before, after;
	struct tfs_top saved;
	struct stat st;
	struct tfs t;
	int r;

	r = tfs_locate(&t, o->common.tracefs, !o->common.tracefs);
	if (r < 0)
		return r;
	if (stat(t.inst, &st) == 0 && tracing_loads(t.inst)) {
		log_info("%s is already tracing module loads: left as it is", t.inst);
		return 0;
	}
	if (state_claimed(o->common.run_dir, &saved) > 0) {
		log_info("the top-level buffer of %s is already claimed for module loads: left as it is",
			 t.dir);
		return 0;
	}
	if (tfs_top_traces_loads(&t)) {
		raise_cmdlines(&t);
		log_info("the kernel command line traces module loads into the top-level buffer of %s since boot: report reads it, nothing is set up",
			 t.dir);
		return 0;
	}
	proc_free_read("/proc", &before);
	r = claim_top(o, &t);
	if (r == -EAGAIN)
		r = make_instance(o, &t);
	if (r < 0)
		return r;
	/* The buffer, and in an instance on kernels before 6.6 a dentry and inode per event file. */
	proc_free_read("/proc", &after);
	proc_free_log("setting up tracing", &before, &after);
	log_loaded_before();
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tracefs", required_argument, NULL, 't' },
		{ "buffer-kb", required_argument, NULL, 'b' },
		{ "instance", no_argument, NULL, 'i' },
		{ "stacks", no_argument, NULL, 's' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "loader", required_argument, NULL, 'l' },
		{ "kmsg", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct prepare_opts o = { .common.run_dir = DEFAULT_RUN_DIR };
	int c;

	while ((c = getopt_long(argc, argv, "t:b:isr:l:kqh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.buffer_kb_arg = optarg;
			break;
		case 'i':
			o.instance = true;
			break;
		case 's':
			o.stacks = true;
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
	"prepare", run, "set up and start tracing (early boot)"
};
