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

int tfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t r;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
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

int tfs_set(const char *buf, const char *file, const char *val)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, buf, "%s", file), val);
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

	return io_read_small(tfs_path(p, buf, "%s", file), v, sizeof(v)) > 0 && v[0] == '1';
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

/* mount(2) that explains itself; returns 0 or -errno. */
static int do_mount(const char *type, const char *target)
{
	if (mount(type, target, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		log_info("mounted %s on %s", type, target);
		return 0;
	}
	if (errno == EBUSY) /* already mounted: a race with another mounter is fine */
		return 0;
	return -errno;
}

/* Mounts whatever is missing on the way to a tracing directory; returns 0 or -errno. */
static int mount_tracing(void)
{
	struct stat st;
	int r;

	if (stat("/sys/kernel", &st) < 0) {
		r = do_mount("sysfs", "/sys");
		if (r < 0) {
			log_err("cannot mount sysfs on /sys: %s", strerror(-r));
			return r;
		}
	}
	if (stat(SYS_TRACING, &st) == 0) {
		r = do_mount("tracefs", SYS_TRACING);
		if (r == 0 && is_tracing_dir(SYS_TRACING))
			return 0;
		log_warn("cannot mount tracefs on " SYS_TRACING ": %s; trying debugfs",
			 strerror(-r));
	}
	/* Kernels before 4.1 have tracing only inside debugfs. */
	r = do_mount("debugfs", SYS_DEBUG);
	if (r == 0 && is_tracing_dir(SYS_DEBUG "/tracing"))
		return 0;
	log_err("cannot mount debugfs on " SYS_DEBUG ": %s", strerror(r ? -r : ENOENT));
	return r ? r : -ENOENT;
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
			log_err("%s is not a tracing directory (it has no instances/)", dir);
			return -ENOENT;
		}
		snprintf(t->dir, sizeof(t->dir), "%s", dir);
	} else if (!find_known(t)) {
		if (!mount_it) {
			log_err("tracefs is not mounted (neither " SYS_TRACING " nor " SYS_DEBUG
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

int tfs_event_filter(const char *buf, const char *sys, const char *event, const char *filter)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, buf, "events/%s/%s/filter", sys, event), filter);
}

int tfs_lost_events(const char *buf, uint64_t *lost)
{
	char p[PATH_MAX], stats[2048], *l, *save;
	struct dirent *d;
	DIR *dir;
	int found = 0;

	*lost = 0;
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
		for (l = strtok_r(stats, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(l, "overrun: ", 9))
				*lost += strtoull(l + 9, NULL, 10);
			else if (!strncmp(l, "dropped events: ", 16))
				*lost += strtoull(l + 16, NULL, 10);
		}
	}
	closedir(dir);
	return found ? 0 : -ENOENT;
}

bool tfs_top_traces_loads(const struct tfs *t)
{
	return tfs_is_on(t->dir, "events/module/module_load/enable") &&
	       tfs_is_on(t->dir, "events/kmem/mm_page_alloc/enable") &&
	       tfs_is_on(t->dir, "events/kmem/mm_page_free/enable");
}
