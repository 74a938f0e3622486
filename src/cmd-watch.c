// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko watch: a small resident reader of the buffer prepare set up. It consumes trace_pipe as
 * events come, so the buffer only holds what arrived since its last read, keeps the
 * accounting up to date and streams what a dying kernel must not take with it (see
 * sink-stream.c). It is unkillable by the OOM killer and keeps its memory locked. When
 * report signals it, it drains the buffer and hands its accounting over (state.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "account.h"
#include "cmd.h"
#include "io.h"
#include "live.h"
#include "lowpoint.h"
#include "log.h"
#include "proc.h"
#include "sink.h"
#include "source-raw.h"
#include "source-text.h"
#include "state.h"

/* trace_pipe hands out at most a page or so per read: a small buffer, locked. */
#define READ_BUF (64 * 1024)
/* A read that finds the end of the file (tracing was stopped) is retried after this. */
#define EOF_RETRY_MS 100
/*
 * Once it has read all there was, the watcher waits this long before it reads again.
 * trace_pipe wakes a waiting reader for every event, and a reader at real-time priority
 * that takes the CPU for every page allocation of a boot slowed a TCG boot by 10 %;
 * meanwhile the buffer holds what comes (at 30,000 page events a second, some 600).
 */
#define BATCH_MS 20
/* The descriptors a daemon keeps: a raw buffer of each CPU, the saved trace, the lock. */
#define KEEP_MAX 1026

struct watch_opts {
	struct cli_common common;
	const char *save_trace;
	const char *min_kib_arg;
	uint64_t min_kib;
	bool daemon;
	struct loaders loaders;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	printf("Usage: memdebug-ko watch [OPTION]...\n"
	       "Read the buffer that prepare set up as its events come, stream to the log\n"
	       "what must survive an out-of-memory death (finished loads, loads that grow,\n"
	       "OOM kills), and hand the accounting to report, which stops it.\n\n"
	       "  -t, --tracefs DIR     tracing directory (default: find it)\n"
	       "  -r, --run-dir DIR     pid and state files (default " DEFAULT_RUN_DIR
	       ")\n"
	       "  -T, --save-trace PATH also save the text trace to PATH\n"
	       "  -m, --min-kib N       stream finished loads from N KiB on (default 1024)\n"
	       "  -l, --loader NAME,..  comms the kmem filter recorded, besides the defaults\n"
	       "  -d, --daemon          go to the background once reading, with no standard\n"
	       "                        input or output: give --kmsg for the stream\n"
	       "  -k, --kmsg            stream and log to /dev/kmsg (for initramfs hooks)\n"
	       "  -q, --quiet           no informational messages\n"
	       "  -o, --once            nothing when this boot's report has run (the hooks)\n"
	       "  -h, --help            this help\n");
}

static int check_values(struct watch_opts *o)
{
	o->min_kib = 1024;
	if (o->min_kib_arg && cli_range(o->min_kib_arg, 0, UINT32_MAX, &o->min_kib) < 0) {
		o->min_kib = 1024;
		if (cli_bad_value(&o->common, "using 1024",
				  "--min-kib takes a number of KiB, not '%s'",
				  o->min_kib_arg) < 0)
			return -EINVAL;
	}
	loaders_init(&o->loaders);
	return cli_loaders(&o->common, &o->loaders);
}

/*
 * Not a victim of the OOM killer, no page of ours swapped or reclaimed, and first on the
 * CPU when events wait: in a one-CPU capture kernel a module's init that allocates in a
 * loop yields the CPU only at its preemption points, and with panic_on_oom the last line
 * the watcher wrote before the panic is all that is left.
 */
static void harden(void)
{
	struct sched_param prio = { .sched_priority = 1 };
	int r = tfs_write("/proc/self/oom_score_adj", "-1000");

	if (r < 0)
		log_warn("cannot set oom_score_adj: %s; the OOM killer may end the watcher",
			 strerror(-r));
	/*
	 * It sleeps in read(2) but for the moments it parses and writes a line. The system
	 * call itself: musl's sched_setscheduler() only says ENOSYS.
	 */
	if (syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &prio) < 0)
		log_info("the watcher runs at normal priority (SCHED_FIFO: %s): it may fall behind a loop that allocates",
			 strerror(errno));
#ifdef MCL_ONFAULT
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		return;
#endif
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("cannot lock the watcher's memory: %s", strerror(errno));
}

/*
 * Logs the memory the watcher holds of its own: its private pages (the file pages of
 * its binary are the initramfs's, counted before it ran) and page tables, besides a
 * kernel stack and task of some 20 KiB.
 */
static void log_footprint(void)
{
	long long anon = proc_self_kb("RssAnon:"), pte = proc_self_kb("VmPTE:");

	if (anon >= 0 && pte >= 0)
		log_info("the watcher holds %lld KiB: %lld KiB of its own pages, %lld KiB of page tables",
			 anon + pte, anon, pte);
}

/* Closes every descriptor of the daemon but the standard ones and those in @keep. */
static void close_others(const int *keep, size_t n)
{
	size_t i;
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		for (i = 0; i < n && keep[i] != fd; i++)
			;
		if (i == n)
			close(fd);
	}
}

/*
 * Goes to the background, keeping the descriptors @keep. The child writes its pid file
 * before it reads a single event, and tells the parent how that went: a watcher that
 * could not hand over must not consume the trace. Returns 1 in the parent once the
 * child runs, 0 in the child, -errno (reported) when there is no watcher.
 */
static int daemonize(const char *run_dir, const int *keep, size_t nkeep)
{
	int ready[2], r;
	pid_t pid;

	if (pipe(ready) < 0) {
		r = -errno;
		log_err("cannot start the watcher: pipe: %s", strerror(errno));
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		log_err("cannot start the watcher: fork: %s", strerror(errno));
		close(ready[0]);
		close(ready[1]);
		return r;
	}
	if (pid > 0) {
		close(ready[1]);
		if (io_read(ready[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
			r = -ECHILD;
		close(ready[0]);
		if (r < 0) {
			log_err("cannot write %s/watch.pid: %s; no watcher", run_dir,
				strerror(-r));
			return r;
		}
		log_info("watching the trace (pid %d)", pid);
		return 1;
	}
	close(ready[0]);
	r = state_write_pid(run_dir, getpid());
	if (write(ready[1], &r, sizeof(r)) != (ssize_t)sizeof(r) || r < 0)
		_exit(EXIT_FAILURE);
	close(ready[1]);
	setsid();
	log_kmsg_close();
	close_others(keep, nkeep);
	if (chdir("/") < 0)
		log_warn("cannot change to /: %s", strerror(errno));
	/* Nobody waits for the daemon's output: with --kmsg it goes to the kernel log. */
	io_std_null();
	return 0;
}

/* Whether @fd has more to read right now. */
static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* How often the watcher looks at MemAvailable for the low point. */
#define SAMPLE_MS 100

/* What the watcher samples: /proc/meminfo and /proc/zoneinfo, open (-1: not). */
struct probes {
	int meminfo, zoneinfo;
};

/*
 * Samples MemAvailable every SAMPLE_MS into @low, beside @a; at a new low, also the free
 * pages of the per-CPU lists, which MemAvailable leaves out (zoneinfo is long: only then).
 */
static void sample(struct low_point *low, const struct acct *a, const struct probes *p,
		   uint64_t *next)
{
	uint64_t t;

	if (p->meminfo < 0)
		return;
	t = io_now_ns();
	if (t < *next)
		return;
	*next = t + SAMPLE_MS * 1000000ull;
	if (low_sample(low, a, proc_available_fd(p->meminfo), t) && p->zoneinfo >= 0)
		low->pcp_kib = proc_pcp_free_fd(p->zoneinfo);
}

/*
 * What the watcher reads: the raw buffers, or trace_pipe's text where the raw buffers
 * cannot serve (rd.memdebug=5's stacks want the kernel's symbols).
 */
struct reader {
	struct raw_source *raw; /* NULL: the text */
	struct text_stream ts;	/* the text */
	int fd;			/* the text: trace_pipe */
	char path[PATH_MAX];
	struct acct *a;
	struct source_stats st;
	unsigned long rounds; /* times it read the buffers */
	/* --save-trace: the file; of the raw buffers, their events as text lines */
	int tee_fd;
	struct trace_tee tee;
};

/* An event of the raw buffers: to the saved trace, then to the accounting. */
static int raw_event(void *ctx, const struct event *ev)
{
	struct reader *rd = ctx;

	if (rd->tee.buf) {
		char gfp[512];

		if (ev->type != EV_PAGE_ALLOC ||
		    raw_gfp_str(rd->raw, ev->gfp, gfp, sizeof(gfp)) < 0)
			gfp[0] = '\0';
		trace_tee_event(&rd->tee, ev, gfp[0] ? gfp : NULL);
	}
	return acct_event(rd->a, ev);
}

/*
 * Reads the raw buffers until stopped: what they hold, then a wait for more, up to the
 * next sample of MemAvailable. Each wakeup costs the kernel more than the events it
 * hands over, so the watcher does not wake for each event: the kernel wakes it when a
 * buffer is buffer_percent full, and a wait that ends sooner (a kernel that wakes on any
 * event, a test's file) is a pause of BATCH_MS all the same. Then drains what is left.
 * Returns 0 or -errno (reported).
 */
static int raw_loop(struct reader *rd, struct low_point *low, const struct probes *p)
{
	uint64_t next = 0, t;
	long n;

	while (!stop) {
		sample(low, rd->a, p, &next);
		n = raw_drain(rd->raw, raw_event, rd, &rd->st);
		trace_tee_flush(&rd->tee);
		rd->rounds++;
		if (n < 0)
			return (int)n;
		t = io_now_ns();
		raw_wait(rd->raw, SAMPLE_MS);
		t = (io_now_ns() - t) / 1000000u;
		if (t < BATCH_MS && !stop)
			io_sleep_ms(BATCH_MS - (long)t);
	}
	n = raw_drain(rd->raw, raw_event, rd, &rd->st);
	trace_tee_flush(&rd->tee);
	next = 0;
	sample(low, rd->a, p, &next);
	return n < 0 ? (int)n : 0;
}

/*
 * Reads trace_pipe until stopped, in batches (BATCH_MS), then drains what is left
 * without waiting; samples MemAvailable on the way. Returns 0 or -errno.
 */
static int text_loop(struct reader *rd, struct low_point *low, const struct probes *p)
{
	struct text_stream *ts = &rd->ts;
	uint64_t next = 0;
	int flags, fd = rd->fd;
	ssize_t r;

	while (!stop) {
		sample(low, rd->a, p, &next);
		r = text_stream_read(ts, fd);
		rd->rounds++;
		if (r == 0)
			io_sleep_ms(EOF_RETRY_MS);
		else if (r > 0 && !readable(fd))
			io_sleep_ms(BATCH_MS);
		else if (r < 0 && r != -EINTR && r != -EAGAIN)
			goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while ((r = text_stream_read(ts, fd)) > 0 || r == -EINTR)
		;
	next = 0;
	sample(low, rd->a, p, &next);
	if (r < 0 && r != -EAGAIN)
		goto fail;
	r = text_stream_end(ts);
	if (r < 0)
		goto fail;
	return 0;
fail:
	if (ts->fn_err < 0)
		log_err("out of memory reading %s", rd->path);
	else
		log_err("cannot read %s: %s", rd->path, strerror((int)-r));
	return (int)r;
}

/*
 * At most one watcher: it holds RUNDIR/watch.lock as long as it lives. Returns the
 * descriptor that holds it, -EWOULDBLOCK (said) when another watcher runs, or -1 when
 * there is no lock to take (said): this one runs all the same.
 */
static int take_lock(const char *run_dir)
{
	int lock = state_watch_lock(run_dir), pid = state_watcher(run_dir);

	if (lock == -EWOULDBLOCK && pid <= 0)
		log_info("a watcher already reads the trace (it holds %s/watch.lock): left as it is",
			 run_dir);
	else if (lock == -EWOULDBLOCK || (lock < 0 && pid > 0))
		log_info("a watcher already reads the trace (pid %d): left as it is",
			 pid);
	else if (lock < 0)
		log_warn("cannot lock %s/watch.lock: %s; another watcher could start beside this one",
			 run_dir, strerror(-lock));
	if (lock == -EWOULDBLOCK || (lock < 0 && pid > 0))
		return -EWOULDBLOCK;
	return lock < 0 ? -1 : lock;
}

/*
 * Logs what reading cost the watcher: its CPU time, the kernel's part of it (formatting
 * and copying the trace) apart, for the events it read.
 */
static void log_cpu(const struct reader *rd)
{
	const struct source_stats *st = &rd->st;
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	log_info("the watcher read %llu events in %lu rounds with %ld ms of CPU (%ld ms in the kernel)",
		 (unsigned long long)st->events, rd->rounds,
		 (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
			 (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000,
		 (long)ru.ru_stime.tv_sec * 1000 + (long)ru.ru_stime.tv_usec / 1000);
}

/* The watcher's life once it has its pid file: hardened, reading until it is stopped. */
static int run_watcher(struct reader *rd, struct low_point *low)
{
	struct probes p;
	int r;

	harden();
	if (log_kmsg_enabled()) {
		r = log_kmsg_reserve();
		if (r < 0)
			log_warn("cannot open /dev/kmsg ahead: %s", strerror(-r));
	}
	log_footprint();
	/* opened once, here: the samples read them again from their start */
	p.meminfo = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	p.zoneinfo = open("/proc/zoneinfo", O_RDONLY | O_CLOEXEC);
	r = rd->raw ? raw_loop(rd, low, &p) : text_loop(rd, low, &p);
	if (p.meminfo >= 0)
		close(p.meminfo);
	if (p.zoneinfo >= 0)
		close(p.zoneinfo);
	log_cpu(rd);
	return r;
}

/*
 * Opens what the watcher reads in @l: the raw buffers where they serve, else
 * trace_pipe. Returns 0 or -errno (reported).
 */
static int reader_open(struct reader *rd, struct live *l, struct acct *a)
{
	int r;

	rd->a = a;
	rd->fd = -1;
	rd->tee_fd = -1;
	/* Test trees have no ring buffer behind their files, unless they give raw ones. */
	if (!live_stacks(l) && (tfs_is_kernel_fs(l->buf) || live_has_raw(l)) &&
	    raw_open(&rd->raw, l->t.dir, l->buf, l->sys_module) == 0)
		return 0;
	rd->raw = NULL;
	/* Not blocking in open(2): a FIFO (a test's trace_pipe) would wait for a writer. */
	rd->fd = open(tfs_path(rd->path, l->buf, "trace_pipe"),
		      O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rd->fd < 0) {
		r = -errno;
		log_err("cannot open %s: %s", rd->path, strerror(errno));
		return r;
	}
	fcntl(rd->fd, F_SETFL, fcntl(rd->fd, F_GETFL) & ~O_NONBLOCK);
	r = text_stream_init(&rd->ts, READ_BUF, acct_event, a, &rd->st);
	if (r < 0) {
		log_err("out of memory starting the watcher");
		close(rd->fd);
		return r;
	}
	rd->ts.stop_on_eintr = true;
	return 0;
}

/* Saves what the reader reads to @path too. */
static void reader_tee(struct reader *rd, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = fd < 0 ? -errno : sink_trace_header(fd);

	if (r < 0) {
		log_warn("cannot save the trace to %s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!rd->raw) {
		rd->ts.tee_fd = fd;
		rd->tee_fd = fd;
		return;
	}
	if (trace_tee_init(&rd->tee, fd) < 0) {
		log_warn("cannot save the trace to %s: %s", path, strerror(ENOMEM));
		close(fd);
		return;
	}
	rd->tee_fd = fd;
}

/* The first error of saving the trace, 0 when it went well. */
static int reader_tee_err(const struct reader *rd)
{
	return rd->raw ? rd->tee.err : rd->ts.tee_err;
}

static void reader_close(struct reader *rd)
{
	if (rd->tee_fd >= 0)
		close(rd->tee_fd);
	trace_tee_free(&rd->tee);
	if (rd->raw) {
		raw_close(rd->raw);
		return;
	}
	text_stream_free(&rd->ts);
	close(rd->fd);
}

/* The descriptors a daemon keeps: the reader's, and @lock. */
static size_t reader_fds(const struct reader *rd, int lock, int *fds, size_t max)
{
	size_t n = rd->raw ? raw_fds(rd->raw, fds, max - 2) : 0;

	if (!rd->raw)
		fds[n++] = rd->fd;
	fds[n++] = rd->tee_fd;
	fds[n++] = lock;
	return n;
}

static int watch(struct watch_opts *o)
{
	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: reads end */
	struct low_point low = { .samples = 0 };
	struct reader rd = { .raw = NULL };
	struct source_info info;
	struct acct_facts f;
	struct stream stream;
	struct live l;
	struct acct a;
	int lock, r;

	if (cli_once_done(&o->common, "no watcher starts"))
		return 0;
	lock = take_lock(o->common.run_dir);
	if (lock == -EWOULDBLOCK)
		return 0;
	r = live_find(&l, o->common.tracefs, o->common.run_dir);
	if (r < 0)
		goto out_unlock;
	if (l.top && !l.ours) {
		log_info(
			"the top-level buffer of trace_event= is not ours to consume: no watcher");
		r = 0;
		goto out_unlock;
	}
	live_facts(&l, &o->loaders, &f, &info);
	acct_init(&a, &f);
	r = reader_open(&rd, &l, &a);
	if (r < 0)
		goto out_free;
	stream_init(&stream, log_kmsg_enabled(), o->min_kib, info.page_size);
	acct_observe(&a, &stream.obs);
	if (o->save_trace)
		reader_tee(&rd, o->save_trace);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o->daemon) {
		int keep[KEEP_MAX];
		size_t n = reader_fds(&rd, lock, keep, KEEP_MAX);

		r = daemonize(o->common.run_dir, keep, n);
		if (r != 0) /* the parent, or an error */
			goto out_close;
	} else {
		r = state_write_pid(o->common.run_dir, getpid());
		if (r < 0) {
			log_err("cannot write %s/watch.pid: %s", o->common.run_dir,
				strerror(-r));
			goto out_close;
		}
	}
	r = run_watcher(&rd, &low);
	if (reader_tee_err(&rd))
		log_warn("cannot save the trace to %s: %s", o->save_trace,
			 strerror(reader_tee_err(&rd)));
	/* Whatever the reading did, what was counted goes to report. */
	r = state_save(o->common.run_dir, &a, &low, &rd.st,
		       rd.tee_fd >= 0 && !reader_tee_err(&rd));
out_close:
	reader_close(&rd);
out_free:
	acct_free(&a);
out_unlock:
	if (lock >= 0)
		close(lock);
	return r < 0 ? r : 0;
}

static const struct cli_opt watch_opts[] = {
	CLI_TRACEFS(struct watch_opts),
	CLI_RUN_DIR(struct watch_opts),
	CLI_VALUE("save-trace", 'T', struct watch_opts, save_trace),
	CLI_VALUE("min-kib", 'm', struct watch_opts, min_kib_arg),
	CLI_LOADERS(struct watch_opts),
	CLI_FLAG("daemon", 'd', struct watch_opts, daemon),
	CLI_KMSG(struct watch_opts),
	CLI_QUIET(struct watch_opts),
	CLI_ONCE(struct watch_opts),
	CLI_END,
};

static const struct cli_cmd watch_cli = {
	"watch", usage, watch_opts, 0, NULL, NULL, true
};

static int run(int argc, char **argv)
{
	struct watch_opts o = { .common.run_dir = DEFAULT_RUN_DIR };
	int status;

	if (cli_parse(&watch_cli, &o, argc, argv, &status) < 0)
		return status;
	if (check_values(&o) < 0)
		return cli_usage_error("watch ");
	return watch(&o) < 0 ? EXIT_FAILURE : 0;
}

const struct command cmd_watch = {
	"watch", run,
	"stream loads while they happen, survive OOM (early boot, after prepare)"
};
