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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "btf.h"
#include "catalog.h"
#include "claim.h"
#include "cmd.h"
#include "log.h"
#include "mdko-config.h"
#include "proc.h"
#include "setup.h"
#include "state.h"
#include "tfs.h"

#define DEFAULT_CMDLINES 4096

/* The first release whose text trace is right with options/hash-ptr off (6.1's is not). */
#define HASH_PTR_SINCE "6.12"

struct prepare_opts {
	struct cli_common common;
	const char *buffer_kb_arg;
	uint64_t buffer_kb;
	bool instance;
	bool stacks;
	bool no_late;
	const char *btf;
	struct loaders loaders;
};

static void usage(void)
{
	printf("Usage: memdebug-ko prepare [OPTION]...\n"
	       "Mount tracefs if needed, claim the top-level trace buffer while it is idle (else\n"
	       "create the instance instances/" INSTANCE_NAME
	       "), record module loads and the page\n"
	       "allocations of module loaders, start tracing. Running it again leaves a running\n"
	       "setup untouched.\n\n"
	       "  -t, --tracefs DIR     tracing directory (default: find or mount it)\n"
	       "  -b, --buffer-kb N     ring buffer per CPU in KiB (default %d)\n"
	       "  -i, --instance        trace in an instance even when the top level is idle\n"
	       "  -s, --stacks          record the kernel stack of each recorded page\n"
	       "                        allocation, for the call sites of rd.memdebug=5\n"
	       "  -n, --no-late         record no kernel stacks at all; by default those of\n"
	       "                        the allocations outside the loaders are, for the\n"
	       "                        late pages (a module's code after its load)\n"
	       "  -B, --btf FILE        the kernel's BTF, where kprobe arguments are looked up\n"
	       "                        (default " BTF_VMLINUX ")\n"
	       "  -r, --run-dir DIR     where the claim of the top-level buffer is kept for\n"
	       "                        report (default " DEFAULT_RUN_DIR ")\n"
	       "  -l, --loader NAME,..  also record page events of these comms (repeatable);\n",
	       DEFAULT_BUFFER_KB);
	loaders_print_defaults(24, 80);
	printf("  -k, --kmsg            log to /dev/kmsg (for initramfs hooks); a bad option\n"
	       "                        value then warns and the default is used\n"
	       "  -q, --quiet           no informational messages\n"
	       "  -o, --once            nothing when this boot's report has run (the hooks)\n"
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
			 "using the default, %d KiB (rd.memdebug_ko.buffer_kb=)",
			 DEFAULT_BUFFER_KB);
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
	return tfs_is_on(buf, "tracing_on") &&
	       tfs_is_on(buf, "events/module/module_load/enable");
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
		log_warn("cannot raise %s to %s: %s; loader names may show as <...>", p,
			 v, strerror(-r));
}

/* Optional settings: a failure costs precision, not the trace. */
static void set_optional(const char *buf, const char *file, const char *val,
			 const char *why)
{
	int r = tfs_set_changed(buf, file, val);

	if (r < 0)
		log_warn("cannot write %s to %s/%s: %s; %s", val, buf, file, strerror(-r),
			 why);
}

/*
 * Sets up buffer @buf (the top level or the instance) and starts tracing. Returns 0 or
 * -errno (reported).
 */
static int start(const struct prepare_opts *o, const struct tfs *t, const char *buf)
{
	char v[32], p[PATH_MAX];
	struct utsname u;
	int r;

	/* A new instance starts with tracing on: nothing is recorded before the events are set. */
	tfs_set(buf, "tracing_on", "0");
	snprintf(v, sizeof(v), "%" PRIu64, o->buffer_kb);
	set_optional(buf, "buffer_size_kb", v, "the default buffer may overflow");
	set_optional(buf, "trace_clock", "global", "init times may mix CPU clocks");
	/* When full, drop new events (counted) rather than overwrite the first loads. */
	set_optional(buf, "options/overwrite", "0",
		     "a full buffer overwrites the oldest events");
	/*
	 * The text trace prints the work addresses (%p) as they are (the raw buffers have
	 * them anyway): hashed, a kernel whose random pool is not ready yet (a capture
	 * kernel on a CPU without RDRAND) prints them all as (____ptrval____), and work
	 * could not be matched to the load that queued it. Not before 6.12: on 6.1 the
	 * option off garbles every %s field (a module_load line printed the next line).
	 */
	if (uname(&u) == 0 && catalog_release_at_least(u.release, HASH_PTR_SINCE) &&
	    access(tfs_path(p, buf, "options/hash-ptr"), F_OK) == 0)
		set_optional(buf, "options/hash-ptr", "0",
			     "the text trace may hide work addresses (____ptrval____)");
	raise_cmdlines(t);
	r = setup_events(t, buf, &o->loaders,
			 o->stacks    ? SETUP_STACKS_ALL
			 : o->no_late ? SETUP_STACKS_NONE
				      : SETUP_STACKS_LATE,
			 o->btf ? o->btf : BTF_VMLINUX);
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
	int r;

	if (o->instance)
		return -EAGAIN;
	r = claim_take(t, o->common.run_dir, &saved);
	if (r < 0)
		return r;
	r = start(o, t, t->dir);
	if (r < 0) {
		setup_disable(t->dir);
		claim_give_back(t, o->common.run_dir, &saved);
		setup_remove_probes(t);
		return r;
	}
	log_info("tracing module loads in the top-level buffer of %s (%" PRIu64
		 " KiB per CPU)",
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
			setup_remove_probes(t);
		}
		return r;
	}
	log_info("tracing module loads in %s (%" PRIu64 " KiB per CPU)", t->inst,
		 o->buffer_kb);
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

	if (access("/proc/modules", R_OK) < 0 ||
	    proc_modules_read("/proc/modules", &pm, &n) < 0)
		return;
	for (i = n; i-- > 0 && len < sizeof(list);)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					len ? " " : "", pm[i].name);
	if (n)
		log_info("%zu module%s loaded before tracing started: %s%s; the boot-parameter mode traces them (memdebug-ko(8))",
			 n, n == 1 ? " was" : "s were", list,
			 len >= sizeof(list) ? "..." : "");
	free(pm);
}

/* Sets up and starts tracing; a second run leaves a running setup untouched. */
static int prepare(const struct prepare_opts *o)
{
	struct proc_free before, after;
	struct tfs_top saved;
	struct stat st;
	struct tfs t;
	bool fast;
	int r;

	if (cli_once_done(&o->common, "nothing is traced again"))
		return 0;
	r = tfs_locate(&t, o->common.tracefs, !o->common.tracefs);
	if (r < 0)
		return r;
	if (stat(t.inst, &st) == 0 && tracing_loads(t.inst)) {
		log_info("%s is already tracing module loads: left as it is", t.inst);
		return 0;
	}
	if (claim_read(o->common.run_dir, &saved) > 0) {
		log_info("the top-level buffer of %s is already claimed for module loads: left as it is",
			 t.dir);
		return 0;
	}
	if (setup_traced_since_boot(&t)) {
		raise_cmdlines(&t);
		log_info("the kernel command line traces module loads into the top-level buffer of %s since boot: report reads it, nothing is set up",
			 t.dir);
		setup_check_since_boot(&t);
		return 0;
	}
	proc_free_read("/proc", &before);
	/* the resize, the emptying and the kprobes wait for grace periods */
	fast = tfs_rcu_expedite(t.dir);
	r = claim_top(o, &t);
	if (r == -EAGAIN)
		r = make_instance(o, &t);
	tfs_rcu_normal(fast);
	if (r < 0)
		return r;
	/* The buffer, and in an instance on kernels before 6.6 a dentry and inode per event file. */
	proc_free_read("/proc", &after);
	proc_free_log("setting up tracing", &before, &after);
	log_loaded_before();
	return 0;
}

static const struct cli_opt prepare_opts[] = {
	CLI_TRACEFS(struct prepare_opts),
	CLI_VALUE("buffer-kb", 'b', struct prepare_opts, buffer_kb_arg),
	CLI_FLAG("instance", 'i', struct prepare_opts, instance),
	CLI_FLAG("stacks", 's', struct prepare_opts, stacks),
	CLI_FLAG("no-late", 'n', struct prepare_opts, no_late),
	CLI_VALUE("btf", 'B', struct prepare_opts, btf),
	CLI_RUN_DIR(struct prepare_opts),
	CLI_LOADERS(struct prepare_opts),
	CLI_KMSG(struct prepare_opts),
	CLI_QUIET(struct prepare_opts),
	CLI_ONCE(struct prepare_opts),
	CLI_END,
};

static const struct cli_cmd prepare_cli = { "prepare", usage, prepare_opts, 0,
					    NULL,      NULL,  true };

static int run(int argc, char **argv)
{
	struct prepare_opts o = { .common.run_dir = DEFAULT_RUN_DIR };
	int status;

	if (cli_parse(&prepare_cli, &o, argc, argv, &status) < 0)
		return status;
	if (check_values(&o) < 0)
		return cli_usage_error("prepare ");
	/* report --once then says in one line that there is nothing to report */
	if (prepare(&o) < 0) {
		state_mark(o.common.run_dir, STATE_PREPARE_FAILED);
		return EXIT_FAILURE;
	}
	state_unmark(o.common.run_dir, STATE_PREPARE_FAILED);
	return 0;
}

const struct command cmd_prepare = { "prepare", run,
				     "set up and start tracing (early boot)" };
