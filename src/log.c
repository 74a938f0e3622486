// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define PROG "memdebug-ko"

static bool use_kmsg;
static bool quiet;

void log_use_kmsg(bool on)
{
	use_kmsg = on;
}

bool log_kmsg_enabled(void)
{
	return use_kmsg;
}

void log_set_quiet(bool on)
{
	quiet = on;
}

/*
 * /dev/kmsg lets each open file write KMSG_BURST records per KMSG_INTERVAL_MS and drops
 * the rest without a word (printk.devkmsg=ratelimit, the default), and each open costs
 * the kernel a 12 KiB allocation: in a capture kernel short of memory, that allocation is
 * what wakes the OOM killer. So the records go through a few open files, each used for at
 * most its burst in a window, and a new file is opened only when all of them are spent.
 * A window starts after its first write returns, so the kernel's starts no later; it is
 * over once KMSG_INTERVAL_MS and a margin for the kernel's ticks have passed.
 */
#define KMSG_BURST	 10
#define KMSG_INTERVAL_MS 5000
#define KMSG_MARGIN_MS	 100
#define KMSG_FILES	 4

struct kmsg_file {
	int fd;
	unsigned written;
	uint64_t begin_ms;
};

static struct kmsg_file kmsg_files[KMSG_FILES] = {
	{ .fd = -1 },
	{ .fd = -1 },
	{ .fd = -1 },
	{ .fd = -1 },
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Opens the file in slot @i. Returns 0 or -errno. */
static int kmsg_open(unsigned i)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (kmsg_files[i].fd >= 0)
		close(kmsg_files[i].fd);
	kmsg_files[i] = (struct kmsg_file){ .fd = fd };
	return 0;
}

/* A slot whose file may write one more record now, or -errno. */
static int kmsg_slot(void)
{
	uint64_t now = now_ms();
	unsigned i;
	int r;

	for (i = 0; i < KMSG_FILES; i++) {
		struct kmsg_file *f = &kmsg_files[i];

		if (f->fd < 0)
			continue;
		if (f->written && now - f->begin_ms > KMSG_INTERVAL_MS + KMSG_MARGIN_MS)
			f->written = 0;
		if (f->written < KMSG_BURST)
			return (int)i;
	}
	/* all spent: a new file in an empty slot, else in place of the first */
	for (i = 0; i < KMSG_FILES && kmsg_files[i].fd >= 0; i++)
		;
	if (i == KMSG_FILES)
		i = 0;
	r = kmsg_open(i);
	return r < 0 ? r : (int)i;
}

int log_kmsg_reserve(void)
{
	unsigned i;
	int r;

	for (i = 0; i < KMSG_FILES; i++) {
		if (kmsg_files[i].fd >= 0)
			continue;
		r = kmsg_open(i);
		if (r < 0)
			return r;
	}
	return 0;
}

void log_kmsg_close(void)
{
	unsigned i;

	for (i = 0; i < KMSG_FILES; i++) {
		if (kmsg_files[i].fd >= 0)
			close(kmsg_files[i].fd);
		kmsg_files[i] = (struct kmsg_file){ .fd = -1 };
	}
}

int log_kmsg_line(int level, const char *line)
{
	struct kmsg_file *f;
	char rec[1024];
	int len, slot;

	len = snprintf(rec, sizeof(rec), "<%d>" PROG ": %s\n", 24 + level, line);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= sizeof(rec)) {
		len = sizeof(rec) - 1;
		rec[len - 1] = '\n';
	}
	slot = kmsg_slot();
	if (slot < 0)
		return slot;
	f = &kmsg_files[slot];
	if (write(f->fd, rec, (size_t)len) < 0)
		return -errno;
	if (!f->written++)
		f->begin_ms = now_ms();
	return 0;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_LVL_ERR] = "error: ",
		[LOG_LVL_WARN] = "warning: ",
		[LOG_LVL_NOTICE] = "",
		[LOG_LVL_INFO] = "",
	};
	char msg[900];
	char line[1000];
	va_list ap;
	bool sent = false;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s%s", prefix[level], msg);
	if (use_kmsg)
		sent = log_kmsg_line(level, line) == 0;
	if (level <= LOG_LVL_WARN || (!sent && !quiet))
		fprintf(stderr, PROG ": %s\n", line);
}

char *ms_str(char *buf, size_t size, uint64_t ns, unsigned decimals)
{
	uint64_t unit = 1000000, scale = 1;
	unsigned i;

	for (i = 0; i < decimals; i++) {
		unit /= 10;
		scale *= 10;
	}
	ns = (ns + unit / 2) / unit;
	snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64, ns / scale, (int)decimals,
		 ns % scale);
	return buf;
}
