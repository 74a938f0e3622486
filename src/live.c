// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claim.h"
#include "io.h"
#include "live.h"
#include "log.h"
#include "proc.h"
#include "setup.h"
#include "sink.h"
#include "source-raw.h"
#include "source-text.h"
#include "state.h"

int live_find(struct live *l, const char *tracefs, const char *run_dir)
{
	struct stat st;
	int r;

	*l = (struct live){ .run_dir = run_dir };
	r = tfs_locate(&l->t, tracefs, false);
	if (r < 0)
		return r;
	l->buf = l->t.inst;
	if (stat(l->t.inst, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		r = -errno;
		log_err("cannot look at %s: %s", l->t.inst, strerror(errno));
		return r;
	}
	l->buf = l->t.dir;
	l->top = true;
	r = claim_read(run_dir, &l->saved);
	if (r < 0)
		return r;
	l->ours = r > 0;
	if (l->ours)
		return 0;
	if (!setup_traced_since_boot(&l->t)) {
		log_err("no trace buffer of prepare (no claim of the top-level buffer in %s, no instance %s): was 'memdebug-ko prepare' run at this boot?",
			run_dir, l->t.inst);
		return -ENOENT;
	}
	/* Boot parameters: the top-level buffer is read, never consumed or cleared. */
	l->was_on = tfs_is_on(l->t.dir, "tracing_on");
	return 0;
}

int live_open(struct live *l, const char *tracefs, const char *run_dir)
{
	int r = live_find(l, tracefs, run_dir);

	if (r < 0)
		return r;
	if (l->top && !l->ours)
		log_info("reading the top-level buffer of %s (trace_event= on the kernel command line)",
			 l->t.dir);
	l->open = true;
	/* Stop first: the buffer must not change while it is read. */
	r = tfs_set(l->buf, "tracing_on", "0");
	if (r < 0)
		log_warn("cannot stop tracing in %s: %s", l->buf, strerror(-r));
	return 0;
}

void live_facts(struct live *l, const struct loaders *given, struct acct_facts *f,
		struct source_info *info)
{
	char p[PATH_MAX];
	struct stat st;
	long psz = sysconf(_SC_PAGESIZE);

	*info = (struct source_info){ .live = true,
				      .top = l->top,
				      .since_boot = l->top && !l->ours,
				      .page_size = psz > 0 ? (unsigned)psz : 4096 };
	tfs_read_u64(tfs_path(p, l->buf, "buffer_size_kb"), &info->buffer_kb);
	*f = (struct acct_facts){ .loaders = &l->loaders };
	/* The filter names the loaders, so that report needs no --loader repeated. */
	l->loaders = *given;
	if (io_read_small(tfs_path(p, l->buf, "events/kmem/mm_page_alloc/filter"),
			  l->loaders.filter, sizeof(l->loaders.filter)) >= 0) {
		f->filter_known = true;
		loaders_from_filter(&l->loaders, &f->filter_active);
	} /* else unknown: the accounting infers it from the events */
	f->no_put_events = stat(tfs_path(p, l->buf, "events/module/module_put"), &st) < 0;
}

/* Copies the text trace to @path (through a temporary file) for a later replay. */
static int save_trace(struct live *l, const char *path)
{
	char src[PATH_MAX], tmp[PATH_MAX], buf[65536];
	int in, out, r = 0;
	ssize_t n = 0;

	in = open(tfs_path(src, l->buf, "trace"), O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		r = -errno;
		log_warn("cannot save the trace: %s: %s", src, strerror(errno));
		return r;
	}
	out = io_tmp_open(path, tmp, 0644);
	if (out < 0) {
		r = out;
		log_warn("cannot save the trace: %s.tmp: %s", path, strerror(-r));
		goto out_in;
	}
	r = sink_trace_header(out);
	while (!r && (n = io_read(in, buf, sizeof(buf))) > 0) {
		r = io_write_all(out, buf, (size_t)n);
		if (r < 0)
			break;
	}
	if (n < 0 && !r)
		r = (int)n;
	r = io_tmp_commit(out, tmp, path, r);
	if (r)
		log_warn("cannot save the trace to %s: %s", path, strerror(-r));
out_in:
	close(in);
	return r;
}

/* Reads the buffer's text trace file, which leaves the buffer as it is. */
static int read_text(struct live *l, event_fn fn, void *ctx, struct source_stats *st)
{
	char p[PATH_MAX];
	int fd, r;

	fd = open(tfs_path(p, l->buf, "trace"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err("cannot open %s: %s", p, strerror(errno));
		return r;
	}
	r = text_read(fd, p, fn, ctx, st);
	close(fd);
	return r;
}

bool live_stacks(const struct live *l)
{
	char p[PATH_MAX], trig[512];
	const char *line;

	if (io_read_small(tfs_path(p, l->buf, "options/sym-offset"), trig,
			  sizeof(trig)) <= 0 ||
	    trig[0] != '1')
		return false;
	if (io_read_small(tfs_path(p, l->buf, "events/kmem/mm_page_alloc/trigger"), trig,
			  sizeof(trig)) <= 0)
		return false;
	/* a trigger set is a line of its own; "# Available triggers:" lists them all */
	for (line = trig; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, "stacktrace", 10))
			return true;
	return false;
}

bool live_has_raw(const struct live *l)
{
	char p[PATH_MAX];

	return access(tfs_path(p, l->buf, "per_cpu/cpu0/trace_pipe_raw"), R_OK) == 0;
}

/* The raw buffers' events, on their way to the accounting, saved as trace lines too. */
struct raw_tee {
	struct raw_source *rs;
	struct trace_tee tee;
	event_fn fn;
	void *ctx;
};

static int raw_tee_event(void *ctx, const struct event *ev)
{
	struct raw_tee *rt = ctx;
	char gfp[512];

	if (ev->type != EV_PAGE_ALLOC ||
	    raw_gfp_str(rt->rs, ev->gfp, gfp, sizeof(gfp)) < 0)
		gfp[0] = '\0';
	trace_tee_event(&rt->tee, ev, gfp[0] ? gfp : NULL);
	return rt->fn(rt->ctx, ev);
}

/*
 * Drains the raw buffers of @rs into @fn, and with @save_path saves their events as
 * trace lines there (through a temporary file): unlike the kernel's text, they keep the
 * work addresses that a kernel without a ready random pool prints as (____ptrval____).
 */
static int read_raw(struct raw_source *rs, const char *save_path, event_fn fn, void *ctx,
		    struct source_stats *st)
{
	struct raw_tee rt = { .rs = rs, .fn = fn, .ctx = ctx };
	char tmp[PATH_MAX];
	int out = -1, r;
	long n;

	if (save_path) {
		out = io_tmp_open(save_path, tmp, 0644);
		if (out < 0)
			log_warn("cannot save the trace: %s.tmp: %s", save_path,
				 strerror(-out));
		else if ((r = sink_trace_header(out)) < 0 ||
			 (r = trace_tee_init(&rt.tee, out)) < 0) {
			log_warn("cannot save the trace to %s: %s", save_path,
				 strerror(-r));
			io_tmp_commit(out, tmp, save_path, r);
			out = -1;
		}
	}
	n = out < 0 ? raw_drain(rs, fn, ctx, st) : raw_drain(rs, raw_tee_event, &rt, st);
	if (out >= 0) {
		trace_tee_flush(&rt.tee);
		trace_tee_free(&rt.tee);
		r = io_tmp_commit(out, tmp, save_path, -rt.tee.err);
		if (r)
			log_warn("cannot save the trace to %s: %s", save_path,
				 strerror(-r));
	}
	return n < 0 ? (int)n : 0;
}

int live_read(struct live *l, bool keep, const char *save_path, event_fn fn, void *ctx,
	      struct source_stats *st)
{
	struct raw_source *rs = NULL;
	int r;

	/*
	 * The one choice of source: the raw buffers, which reading consumes, unless the
	 * buffer must stay as it is or its stacks want the kernel's symbols. Test trees have
	 * no ring buffer behind their files.
	 */
	if (!keep && !live_stacks(l) && (tfs_is_kernel_fs(l->buf) || live_has_raw(l)) &&
	    raw_open(&rs, l->t.dir, l->buf, l->sys_module) == 0) {
		r = read_raw(rs, save_path, fn, ctx, st);
		raw_close(rs);
	} else {
		if (save_path)
			save_trace(l, save_path);
		r = read_text(l, fn, ctx, st);
	}
	return r;
}

void live_lost(struct live *l, struct source_stats *st)
{
	uint64_t lost;

	/* The per-cpu stats are the ring buffer's own count; the text header may double it. */
	if (tfs_lost_events(l->buf, &lost) == 0)
		st->lost = lost;
	else
		log_warn("cannot read %s/per_cpu/*/stats: lost events are counted from the trace only",
			 l->buf);
}

/*
 * Gives the buffer back: the top level as it was before prepare claimed it (forgetting
 * the claim in @run_dir, when given), or the instance removed. @shown names the tracing
 * directory in messages; @what gets what was done. 0 or -errno (said).
 *
 * The free-memory figure of the callers brackets this alone: turning the top level's
 * events off (setup_disable, again in claim_give_back at no cost) comes before it, and
 * removing the kprobes after (an instance's rmdir turns its events off itself). Both
 * wait for RCU grace periods, long under QEMU TCG, and on one CPU the tasks that ran
 * meanwhile took the freed pages again (a systemd capture initrd: +28 and -12 KiB
 * where the buffer was 513 KiB).
 */
static int give_back(struct live *l, const char *run_dir, const char *shown, char *what,
		     size_t n)
{
	int r;

	if (l->ours) {
		r = claim_give_back(&l->t, run_dir, &l->saved);
		snprintf(what, n, "gave back the top-level buffer of %s", shown);
	} else {
		r = tfs_instance_remove(&l->t);
		if (r < 0)
			log_warn("cannot remove %s/instances/" INSTANCE_NAME
				 ": %s; its buffer stays allocated",
				 shown, strerror(-r));
		snprintf(what, n, "removed %s/instances/" INSTANCE_NAME, shown);
	}
	return r;
}

int live_close(struct live *l, bool keep, const char *proc)
{
	struct proc_free before, after;
	char what[PATH_MAX + 64];
	bool fast;
	int r = 0;

	if (!l->open)
		return 0;
	if (l->top && !l->ours) {
		/* Not ours: its data and size stay, and tracing goes on as it was. */
		if (l->was_on)
			r = tfs_set(l->buf, "tracing_on", "1");
		if (r < 0)
			log_warn("cannot turn tracing back on in %s: %s", l->buf,
				 strerror(-r));
		log_info("the top-level buffer stays allocated as the kernel command line asked; write 0 to %s/buffer_size_kb to free it",
			 l->t.dir);
		return r;
	}
	if (keep) {
		r = tfs_set(l->buf, "tracing_on", "1");
		if (r < 0)
			log_warn("cannot turn tracing back on in %s: %s", l->buf,
				 strerror(-r));
		return r;
	}
	fast = tfs_rcu_expedite(l->buf);
	if (l->ours)
		setup_disable(l->buf);
	proc_free_read(proc, &before);
	r = give_back(l, l->run_dir, l->t.dir, what, sizeof(what));
	if (r == 0) {
		proc_free_read(proc, &after);
		proc_free_log(what, &before, &after);
		setup_remove_probes(&l->t);
	}
	tfs_rcu_normal(fast);
	return r;
}

/* proc_free_read() of the /proc that @procfd holds open, back in @cwd after. */
static void free_read_at(int procfd, int cwd, struct proc_free *f)
{
	f->mem_free = f->pcp = -1;
	if (fchdir(procfd) == 0)
		proc_free_read(".", f);
	if (fchdir(cwd) < 0)
		log_warn("cannot return to the tracing directory: %s", strerror(errno));
}

int live_close_detached(struct live *l, const char *proc)
{
	struct proc_free before, after;
	char what[PATH_MAX + 64], shown[PATH_MAX];
	int procfd, tfsfd, runfd, lockfd, r;
	pid_t pid;

	if (!l->open || (l->top && !l->ours))
		return live_close(l, false, proc);
	procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	tfsfd = open(l->t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	runfd = open(l->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* the child holds it to its end: a report --once of an emergency round waits */
	lockfd = state_give_back_lock(l->run_dir);
	pid = procfd < 0 || tfsfd < 0 || lockfd < 0 ||
			      (log_kmsg_enabled() && log_kmsg_reserve() < 0)
		      ? -1
		      : fork();
	if (pid != 0) {
		if (procfd >= 0)
			close(procfd);
		if (tfsfd >= 0)
			close(tfsfd);
		if (runfd >= 0)
			close(runfd);
		if (lockfd >= 0)
			close(lockfd);
		/* no child: now, and the caller waits */
		return pid < 0 ? live_close(l, false, proc) : 0;
	}
	/*
	 * The child: switch_root moves /sys, /proc and /run away from the initramfs's paths
	 * meanwhile, so it works in the tracing directory it entered and reads /proc and
	 * the run directory through descriptors.
	 */
	setsid();
	signal(SIGHUP, SIG_IGN);
	snprintf(shown, sizeof(shown), "%s", l->t.dir);
	if (fchdir(tfsfd) < 0) {
		log_warn("cannot enter %s: %s; the buffer stays allocated", shown,
			 strerror(errno));
		_exit(EXIT_FAILURE);
	}
	snprintf(l->t.dir, sizeof(l->t.dir), ".");
	snprintf(l->t.inst, sizeof(l->t.inst), "./instances/" INSTANCE_NAME);
	l->buf = l->top ? l->t.dir : l->t.inst;
	if (l->ours)
		setup_disable(l->buf);
	free_read_at(procfd, tfsfd, &before);
	r = give_back(l, NULL, shown, what, sizeof(what));
	if (r == 0 && l->ours && runfd >= 0)
		claim_forget_at(runfd);
	free_read_at(procfd, tfsfd, &after);
	/* what the root's switch freed meanwhile (the initramfs's files) counts too */
	if (r == 0 && strlen(what) + 40 < sizeof(what))
		strcat(what, ", while the root was switched");
	if (r == 0) {
		proc_free_log(what, &before, &after);
		setup_remove_probes(&l->t);
	}
	_exit(r < 0 ? EXIT_FAILURE : 0);
}
