// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "tfs.h"

#define TRACEFS_MAGIC_NR 0x74726163
#define DEBUGFS_MAGIC_NR 0x64626720

#define SYS_TRACING "/sys/kernel/tracing"
#define SYS_DEBUG   "/sys/kernel/debug"

char *tfs_path(char *out, const char *dir, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(out, PATH_MAX, "%s/", dir);

	va_start(ap, fmt);
	if (n > 0 && n < PATH_MAX)
		vsnprintf(out + n, PATH_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return out;
}

/* Writes @val to the existing file @path, opened with @flags besides O_WRONLY. */
static int write_str(const char *path, const char *val, int flags)
{
	size_t len = strlen(val);
	ssize_t r;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	r = write(fd, val, len);
	if (r < 0)
		ret = -errno;
	else if ((size_t)r != len)
		ret = -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int tfs_write(const char *path, const char *val)
{
	return write_str(path, val, O_TRUNC);
}

/* Appends @val to @path: kprobe_events, which a truncating open would empty. */
static int append(const char *path, const char *val)
{
	return write_str(path, val, O_APPEND);
}

bool tfs_event_exists(const char *buf, const char *sys, const char *event)
{
	char p[PATH_MAX];

	return access(tfs_path(p, buf, "events/%s/%s", sys, event), F_OK) == 0;
}

int tfs_kprobe_add(const struct tfs *t, const char *def)
{
	char p[PATH_MAX], line[512];

	if (snprintf(line, sizeof(line), "%s\n", def) >= (int)sizeof(line))
		return -E2BIG;
	return append(tfs_path(p, t->dir, "kprobe_events"), line);
}

int tfs_kprobe_remove(const struct tfs *t, const char *sys, const char *event)
{
	char p[PATH_MAX], def[256];

	if (!tfs_event_exists(t->dir, sys, event))
		return 0;
	snprintf(def, sizeof(def), "-:%s/%s\n", sys, event);
	return append(tfs_path(p, t->dir, "kprobe_events"), def);
}

int tfs_trigger_clear(const char *buf, const char *sys, const char *event,
		      const char *trigger)
{
	char p[PATH_MAX], v[256], off[64];

	if (io_read_small(tfs_path(p, buf, "events/%s/%s/trigger", sys, event), v,
			  sizeof(v)) <= 0 ||
	    !strstr(v, trigger))
		return 0;
	snprintf(off, sizeof(off), "!%s", trigger);
	return tfs_write(p, off);
}

int tfs_set(const char *buf, const char *file, const char *val)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, buf, "%s", file), val);
}

int tfs_set_changed(const char *buf, const char *file, const char *val)
{
	char p[PATH_MAX], v[256], want[80];
	size_t n;

	if (io_read_small(tfs_path(p, buf, "%s", file), v, sizeof(v)) > 0) {
		n = strcspn(v, "\n");
		v[n] = '\0';
		snprintf(want, sizeof(want), "[%s]", val);
		if (!strcmp(v, val) || strstr(v, want))
			return 0;
	}
	return tfs_write(p, val);
}

#define RCU_EXPEDITED "/sys/kernel/rcu_expedited"

bool tfs_rcu_expedite(const char *dir)
{
	char v[16];

	return tfs_is_kernel_fs(dir) && io_read_small(RCU_EXPEDITED, v, sizeof(v)) > 0 &&
	       v[0] == '0' && tfs_write(RCU_EXPEDITED, "1") == 0;
}

void tfs_rcu_normal(bool expedited)
{
	int r;

	if (!expedited)
		return;
	r = tfs_write(RCU_EXPEDITED, "0");
	if (r < 0)
		log_warn("cannot write 0 to " RCU_EXPEDITED
			 " again: %s; RCU stays expedited",
			 strerror(-r));
}

int tfs_read_u64(const char *path, uint64_t *out)
{
	char buf[64], *end;
	int r = io_read_small(path, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

bool tfs_is_on(const char *buf, const char *file)
{
	char p[PATH_MAX], v[8];

	return io_read_small(tfs_path(p, buf, "%s", file), v, sizeof(v)) > 0 &&
	       v[0] == '1';
}

bool tfs_is_kernel_fs(const char *path)
{
	struct statfs s;

	if (statfs(path, &s) < 0)
		return false;
	return (unsigned long)s.f_type == TRACEFS_MAGIC_NR ||
	       (unsigned long)s.f_type == DEBUGFS_MAGIC_NR;
}

/* A mounted tracing directory has an instances/ subdirectory. */
static bool is_tracing_dir(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	return stat(tfs_path(p, dir, "instances"), &st) == 0 && S_ISDIR(st.st_mode);
}

void tfs_lockdown_mode(char *mode, size_t n)
{
	char v[128], *open, *close;

	mode[0] = '\0';
	if (io_read_small("/sys/kernel/security/lockdown", v, sizeof(v)) <= 0)
		return;
	open = strchr(v, '[');
	close = open ? strchr(open, ']') : NULL;
	if (close && (size_t)(close - open) < n) {
		*close = '\0';
		snprintf(mode, n, "%s", open + 1);
	}
}

/*
 * Mounts @type on @target and checks that it gives a tracing directory at @target/@sub.
 * Returns 0, or -errno with what went wrong in @why (@n bytes); a mount that gave no
 * tracing directory is undone.
 */
static int mount_one(const char *type, const char *target, const char *sub, char *why,
		     size_t n)
{
	char dir[PATH_MAX];
	struct stat st;
	bool mounted;

	snprintf(dir, sizeof(dir), "%s%s", target, sub);
	if (stat(target, &st) < 0) {
		snprintf(why, n, "%s on %s: %s", type, target, strerror(errno));
		return -ENOENT;
	}
	mounted = mount(type, target, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0;
	/* EBUSY: mounted already, by a race with another mounter: fine if it has the files */
	if (!mounted && errno != EBUSY) {
		snprintf(why, n, "%s on %s: %s", type, target, strerror(errno));
		return -errno;
	}
	if (is_tracing_dir(dir)) {
		if (mounted)
			log_info("mounted %s on %s", type, target);
		return 0;
	}
	snprintf(why, n, "%s on %s has no tracing files", type, target);
	if (mounted)
		umount2(target, MNT_DETACH);
	return -ENOENT;
}

/* Mounts whatever is missing on the way to a tracing directory; returns 0 or -errno. */
static int mount_tracing(void)
{
	char why_tfs[PATH_MAX], why_dbg[PATH_MAX], mode[32];
	struct stat st;
	int r;

	if (stat("/sys/kernel", &st) < 0 &&
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		log_err("cannot mount sysfs on /sys: %s; tracefs lies below it",
			strerror(errno));
		return -errno;
	}
	if (mount_one("tracefs", SYS_TRACING, "", why_tfs, sizeof(why_tfs)) == 0)
		return 0;
	/* Kernels before 4.1 have tracing only inside debugfs. */
	r = mount_one("debugfs", SYS_DEBUG, "/tracing", why_dbg, sizeof(why_dbg));
	if (r == 0)
		return 0;
	/* why: the lockdown mode, which the initramfs may not have mounted securityfs for */
	tfs_lockdown_mode(mode, sizeof(mode));
	if (!mode[0] && mount("securityfs", "/sys/kernel/security", "securityfs",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		tfs_lockdown_mode(mode, sizeof(mode));
	if (!strcmp(mode, "confidentiality"))
		log_err("kernel lockdown (confidentiality, /sys/kernel/security/lockdown) forbids tracefs: nothing can be traced at this boot");
	else
		log_err("no tracing directory: %s; %s", why_tfs, why_dbg);
	return r;
}

/* Sets t->dir to the first known tracing directory; returns false when none is mounted. */
static bool find_known(struct tfs *t)
{
	static const char *const known[] = { SYS_TRACING, SYS_DEBUG "/tracing" };
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (is_tracing_dir(known[i])) {
			snprintf(t->dir, sizeof(t->dir), "%s", known[i]);
			return true;
		}
	}
	return false;
}

int tfs_locate(struct tfs *t, const char *dir, bool mount_it)
{
	int r;

	if (dir) {
		if (!is_tracing_dir(dir)) {
			log_err("%s is not a tracing directory (it has no instances/)",
				dir);
			return -ENOENT;
		}
		snprintf(t->dir, sizeof(t->dir), "%s", dir);
	} else if (!find_known(t)) {
		if (!mount_it) {
			log_err("tracefs is not mounted (neither " SYS_TRACING
				" nor " SYS_DEBUG
				"/tracing has instances/): was 'memdebug-ko prepare' run?");
			return -ENOENT;
		}
		r = mount_tracing();
		if (r < 0)
			return r;
		if (!find_known(t)) {
			log_err("no tracing directory after mounting tracefs and debugfs");
			return -ENOENT;
		}
	}
	tfs_path(t->inst, t->dir, "instances/" INSTANCE_NAME);
	return 0;
}

int tfs_instance_create(const struct tfs *t, bool *existed)
{
	*existed = false;
	if (mkdir(t->inst, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	*existed = true;
	return 0;
}

int tfs_instance_remove(const struct tfs *t)
{
	return rmdir(t->inst) < 0 ? -errno : 0;
}

int tfs_event_enable(const char *buf, const char *sys, const char *event)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, buf, "events/%s/%s/enable", sys, event), "1");
}

int tfs_gfp_flag(const char *buf, const char *name, uint64_t *val)
{
	char p[PATH_MAX], key[64], *fmt, *hit, *open, *v, *end;
	unsigned long long n;
	int r;

	snprintf(key, sizeof(key), "\"%s\"}", name);
	r = io_read_all(tfs_path(p, buf, "events/kmem/mm_page_alloc/format"), &fmt);
	if (r < 0)
		return r;
	r = -ENOENT;
	hit = strstr(fmt, key);
	if (!hit)
		goto out;
	*hit = '\0';
	open = strrchr(fmt, '{');
	r = -EINVAL;
	if (!open)
		goto out;
	errno = 0;
	if ((v = strstr(open, "<< ("))) {
		n = strtoull(v + 4, &end, 10);
		if (!errno && end != v + 4 && n < 64) {
			*val = 1ull << n;
			r = 0;
		}
	} else if ((v = strstr(open, "0x"))) {
		n = strtoull(v + 2, &end, 16);
		if (!errno && end != v + 2 && n && !(n & (n - 1))) {
			*val = n;
			r = 0;
		}
	}
out:
	free(fmt);
	return r;
}

int tfs_event_filter(const char *buf, const char *sys, const char *event,
		     const char *filter)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, buf, "events/%s/%s/filter", sys, event), filter);
}

/*
 * Adds up the counts that follow @key ("overrun: ") in the per-CPU stats of @buf: @nkeys
 * keys, their sum in *@sum. Returns 0, or -errno when no CPU's stats could be read.
 */
static int sum_cpu_stats(const char *buf, const char *const *keys, size_t nkeys,
			 uint64_t *sum)
{
	char p[PATH_MAX], stats[2048], *l, *save;
	struct dirent *d;
	size_t k;
	DIR *dir;
	int found = 0;

	*sum = 0;
	dir = opendir(tfs_path(p, buf, "per_cpu"));
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "cpu", 3))
			continue;
		if (io_read_small(tfs_path(p, buf, "per_cpu/%s/stats", d->d_name), stats,
				  sizeof(stats)) < 0)
			continue;
		found++;
		for (l = strtok_r(stats, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			for (k = 0; k < nkeys; k++) {
				if (!strncmp(l, keys[k], strlen(keys[k])))
					*sum += strtoull(l + strlen(keys[k]), NULL, 10);
			}
		}
	}
	closedir(dir);
	return found ? 0 : -ENOENT;
}

int tfs_lost_events(const char *buf, uint64_t *lost)
{
	static const char *const keys[] = { "overrun: ", "dropped events: " };

	return sum_cpu_stats(buf, keys, 2, lost);
}

int tfs_entries(const char *buf, uint64_t *entries)
{
	static const char *const keys[] = { "entries: " };

	return sum_cpu_stats(buf, keys, 1, entries);
}

bool tfs_top_idle(const struct tfs *t, char *why, size_t n)
{
	char p[PATH_MAX], v[64];
	uint64_t entries;
	int r;

	r = io_read_small(tfs_path(p, t->dir, "current_tracer"), v, sizeof(v));
	if (r < 0) {
		snprintf(why, n, "cannot read %s: %s", p, strerror(-r));
		return false;
	}
	v[strcspn(v, "\n")] = '\0';
	if (strcmp(v, "nop")) {
		snprintf(why, n, "the %s tracer runs in it", v);
		return false;
	}
	r = io_read_small(tfs_path(p, t->dir, "set_event"), v, sizeof(v));
	if (r < 0) {
		snprintf(why, n, "cannot read %s: %s", p, strerror(-r));
		return false;
	}
	if (r > 0) {
		v[strcspn(v, "\n")] = '\0';
		snprintf(why, n, "events are enabled in it (%s...)", v);
		return false;
	}
	r = tfs_entries(t->dir, &entries);
	if (r < 0) {
		snprintf(why, n, "cannot read %s/per_cpu/*/stats: %s", t->dir,
			 strerror(-r));
		return false;
	}
	if (entries) {
		snprintf(why, n, "it holds %" PRIu64 " events", entries);
		return false;
	}
	return true;
}

/* Reads the first word of @file of the top level into @out (@size), or the bracketed one. */
static int read_word(const struct tfs *t, const char *file, bool bracketed, char *out,
		     size_t size)
{
	char p[PATH_MAX], v[256], *w = v;
	int r = io_read_small(tfs_path(p, t->dir, "%s", file), v, sizeof(v));

	if (r < 0)
		return r;
	if (bracketed) {
		w = strchr(v, '[');
		if (!w)
			return -EINVAL;
		w++;
	}
	w[strcspn(w, bracketed ? "]" : " \n")] = '\0';
	if (!*w || strlen(w) >= size)
		return -EINVAL;
	memcpy(out, w, strlen(w) + 1);
	return 0;
}

int tfs_top_save(const struct tfs *t, struct tfs_top *s)
{
	int r;

	r = read_word(t, "buffer_size_kb", false, s->buffer_kb, sizeof(s->buffer_kb));
	if (r == 0)
		r = read_word(t, "trace_clock", true, s->clock, sizeof(s->clock));
	if (r == 0)
		r = read_word(t, "options/overwrite", false, s->overwrite,
			      sizeof(s->overwrite));
	if (r == 0)
		r = read_word(t, "tracing_on", false, s->tracing_on,
			      sizeof(s->tracing_on));
	if (r == 0 && read_word(t, "options/sym-offset", false, s->sym_offset,
				sizeof(s->sym_offset)))
		strcpy(s->sym_offset, "-");
	if (r == 0 &&
	    read_word(t, "options/hash-ptr", false, s->hash_ptr, sizeof(s->hash_ptr)))
		strcpy(s->hash_ptr, "-");
	return r;
}

/* Keeps the first error of a sequence of steps that all run. */
static void step(int *first, int r)
{
	if (r < 0 && !*first)
		*first = r;
}

int tfs_top_restore(const struct tfs *t, const struct tfs_top *s)
{
	int first = 0;

	step(&first, tfs_set(t->dir, "tracing_on", "0"));
	step(&first, tfs_set(t->dir, "buffer_size_kb", s->buffer_kb));
	/* Setting another clock empties the buffer; with the same clock, empty it here. */
	if (!strcmp(s->clock, "global"))
		step(&first, tfs_set(t->dir, "trace", ""));
	step(&first, tfs_set_changed(t->dir, "trace_clock", s->clock));
	step(&first, tfs_set(t->dir, "options/overwrite", s->overwrite));
	if (strcmp(s->sym_offset, "-"))
		step(&first, tfs_set(t->dir, "options/sym-offset", s->sym_offset));
	if (strcmp(s->hash_ptr, "-"))
		step(&first, tfs_set(t->dir, "options/hash-ptr", s->hash_ptr));
	step(&first, tfs_set(t->dir, "tracing_on", s->tracing_on));
	return first;
}
