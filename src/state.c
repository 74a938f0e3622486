// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "mdko-config.h"
#include "state.h"

#define MAGIC "MDKOSTAT"

/* How long report waits for a watcher to drain the buffer and hand over. */
#define TAKE_TIMEOUT_MS	 20000
#define TAKE_POLL_MS	 20
#define TAKE_RESIGNAL_MS 200

/* How long a report --once waits for a detached give-back to end. */
#define GIVE_BACK_TIMEOUT_MS 20000
#define GIVE_BACK_POLL_MS    50

struct state_header {
	char magic[8];
	char version[16]; /* the binary's version: both sides must be the same build */
	uint32_t window_size; /* sizeof(struct window) */
	uint32_t trace_saved;
	uint64_t nwin;
	struct source_stats st;
	struct acct_counts counts;
	uint64_t nsites;
	struct low_point low;
};

static char *run_path(char *out, const char *run_dir, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", run_dir, name);
	return out;
}

/* Makes the run directory if it is missing; returns 0 or -errno. */
static int make_run_dir(const char *run_dir)
{
	return mkdir(run_dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int state_mark(const char *run_dir, const char *name)
{
	char p[PATH_MAX];
	int fd, r = make_run_dir(run_dir);

	if (r < 0)
		return r;
	fd = open(run_path(p, run_dir, name), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return close(fd) < 0 ? -errno : 0;
}

bool state_marked(const char *run_dir, const char *name)
{
	char p[PATH_MAX];

	return access(run_path(p, run_dir, name), F_OK) == 0;
}

void state_unmark(const char *run_dir, const char *name)
{
	char p[PATH_MAX];

	unlink(run_path(p, run_dir, name));
}

int state_give_back_lock(const char *run_dir)
{
	char p[PATH_MAX];
	int fd, r = make_run_dir(run_dir);

	if (r < 0)
		return r;
	fd = open(run_path(p, run_dir, STATE_GIVE_BACK), O_RDWR | O_CREAT | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void state_give_back_wait(const char *run_dir)
{
	char p[PATH_MAX];
	int fd, waited;

	fd = open(run_path(p, run_dir, STATE_GIVE_BACK), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	     waited += GIVE_BACK_POLL_MS) {
		if (waited == 0)
			log_info("waiting for the buffer's give-back that the report started (up to %d s)",
				 GIVE_BACK_TIMEOUT_MS / 1000);
		if (waited >= GIVE_BACK_TIMEOUT_MS) {
			log_warn("the buffer's give-back that the report started still runs after %d s: going on",
				 GIVE_BACK_TIMEOUT_MS / 1000);
			break;
		}
		usleep(GIVE_BACK_POLL_MS * 1000);
	}
	close(fd);
}

int state_watch_lock(const char *run_dir)
{
	char p[PATH_MAX];
	int fd, r = make_run_dir(run_dir);

	if (r < 0)
		return r;
	fd = open(run_path(p, run_dir, "watch.lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The pid in RUNDIR/watch.pid, or 0 when there is none. */
static int pid_of(const char *run_dir)
{
	char p[PATH_MAX], v[24];
	int pid;

	if (io_read_small(run_path(p, run_dir, "watch.pid"), v, sizeof(v)) <= 0)
		return 0;
	pid = atoi(v);
	return pid > 0 ? pid : 0;
}

int state_watcher(const char *run_dir)
{
	int pid = pid_of(run_dir);

	return pid && kill(pid, 0) == 0 ? pid : 0;
}

int state_write_pid(const char *run_dir, int pid)
{
	char p[PATH_MAX], v[24];
	int fd, r, n;

	r = make_run_dir(run_dir);
	if (r < 0)
		return r;
	fd = open(run_path(p, run_dir, "watch.pid"),
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(v, sizeof(v), "%d\n", pid);
	r = io_write_all(fd, v, (size_t)n);
	if (close(fd) < 0 && !r)
		r = -errno;
	/* A stale state of an earlier watcher must not pass for this one's. */
	unlink(run_path(p, run_dir, "state"));
	return r;
}

int state_save(const char *run_dir, const struct acct *a, const struct low_point *low,
	       const struct source_stats *st, bool trace_saved)
{
	struct state_header h = {
		.magic = MAGIC,
		.window_size = sizeof(struct window),
		.trace_saved = trace_saved,
		.nwin = a->nwin,
		.st = *st,
		.counts = a->counts,
		.nsites = a->stacks.nsites,
		.low = *low,
	};
	char p[PATH_MAX], tmp[PATH_MAX];
	struct window w;
	size_t i;
	int fd, r;

	snprintf(h.version, sizeof(h.version), "%s", MEMDEBUG_KO_VERSION);
	fd = io_tmp_open(run_path(p, run_dir, "state"), tmp, 0600);
	if (fd < 0) {
		log_err("cannot write %s: %s", tmp, strerror(-fd));
		return fd;
	}
	r = io_write_all(fd, &h, sizeof(h));
	for (i = 0; !r && i < a->nwin; i++) {
		/* The live pages of open windows stay behind: no event follows the handover. */
		w = a->win[i];
		w.live = (struct pageset){ .chunk = NULL };
		w.work_live = (struct pageset){ .chunk = NULL };
		r = io_write_all(fd, &w, sizeof(w));
	}
	if (!r && a->stacks.nsites)
		r = io_write_all(fd, a->stacks.sites,
				 a->stacks.nsites * sizeof(a->stacks.sites[0]));
	r = io_tmp_commit(fd, tmp, p, r);
	if (r) {
		log_err("cannot write %s: %s", p, strerror(-r));
		return r;
	}
	unlink(run_path(p, run_dir, "watch.pid"));
	return 0;
}

/* Reads the state file @path into @a, @low and @st, then removes it. Returns 0 or -errno. */
static int load(const char *path, struct acct *a, struct low_point *low,
		struct source_stats *st, bool *trace_saved)
{
	struct state_header h;
	struct window *win = NULL;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = -EINVAL;

	if (fd < 0) {
		ret = -errno;
		log_err("cannot read %s: %s", path, strerror(errno));
		return ret;
	}
	r = io_read(fd, &h, sizeof(h));
	if (r != (ssize_t)sizeof(h) || memcmp(h.magic, MAGIC, 8) ||
	    strncmp(h.version, MEMDEBUG_KO_VERSION, sizeof(h.version)) ||
	    h.window_size != sizeof(struct window) || h.nwin > SIZE_MAX / sizeof(*win)) {
		log_err("%s is not a state this memdebug-ko %s wrote", path,
			MEMDEBUG_KO_VERSION);
		goto out;
	}
	win = malloc((h.nwin ? h.nwin : 1) * sizeof(*win));
	if (!win) {
		ret = -ENOMEM;
		log_err("out of memory reading %s", path);
		goto out;
	}
	r = h.nwin ? io_read(fd, win, h.nwin * sizeof(*win)) : 0;
	if (r != (ssize_t)(h.nwin * sizeof(*win))) {
		log_err("%s is cut short", path);
		free(win);
		goto out;
	}
	if (h.nsites) {
		struct site *sites = h.nsites <= SIZE_MAX / sizeof(*sites)
					     ? malloc(h.nsites * sizeof(*sites))
					     : NULL;

		if (!sites || io_read(fd, sites, h.nsites * sizeof(*sites)) !=
				      (ssize_t)(h.nsites * sizeof(*sites))) {
			log_err("%s is cut short", path);
			free(sites);
			free(win);
			goto out;
		}
		free(a->stacks.sites);
		a->stacks.sites = sites;
		a->stacks.nsites = a->stacks.capsites = h.nsites;
	}
	free(a->win);
	a->win = win;
	a->nwin = a->capwin = h.nwin;
	a->counts = h.counts;
	*low = h.low;
	low->loading[sizeof(low->loading) - 1] = '\0';
	if (low->nseries > LOW_SERIES_MAX)
		low->nseries = 0;
	*st = h.st;
	*trace_saved = h.trace_saved;
	unlink(path);
	ret = 0;
out:
	close(fd);
	return ret;
}

int state_take(const char *run_dir, struct acct *a, struct low_point *low,
	       struct source_stats *st, bool *taken, bool *trace_saved)
{
	char pidfile[PATH_MAX], statefile[PATH_MAX];
	struct stat sb;
	long waited;
	int pid = pid_of(run_dir), r;

	*taken = false;
	run_path(pidfile, run_dir, "watch.pid");
	run_path(statefile, run_dir, "state");
	if (!pid && stat(statefile, &sb) < 0)
		return 0; /* no watcher at this boot */
	for (waited = 0; pid > 0 && waited < TAKE_TIMEOUT_MS; waited += TAKE_POLL_MS) {
		if (stat(pidfile, &sb) < 0 && stat(statefile, &sb) == 0)
			break;
		/* Every signal interrupts the watcher's read; the first may come too early. */
		if (waited % TAKE_RESIGNAL_MS == 0 && kill(pid, SIGTERM) < 0 &&
		    errno == ESRCH)
			break;
		io_sleep_ms(TAKE_POLL_MS);
	}
	if (stat(statefile, &sb) < 0) {
		log_warn("the watcher (pid %d) left no state in %s: the events it read are lost",
			 pid, run_dir);
		st->gap = true;
		return 0;
	}
	r = load(statefile, a, low, st, trace_saved);
	if (r < 0) {
		st->gap = true;
		return r;
	}
	*taken = true;
	return 0;
}
