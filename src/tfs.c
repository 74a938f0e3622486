// SPDX-License-Identifier: GPL-2.0-or-later
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

int tfs_read(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t r = read(fd, buf + len, size - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}

int tfs_read_u64(const char *path, uint64_t *out)
{
	char buf[64], *end;
	int r = tfs_read(path, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
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
	t->found = false;
	t->top = false;
	tfs_path(t->inst, t->dir, "instances/" INSTANCE_NAME);
	return 0;
}
