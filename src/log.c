// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

int log_kmsg_line(int level, const char *line)
{
	char rec[1024];
	int fd, len, ret = 0;

	len = snprintf(rec, sizeof(rec), "<%d>" PROG ": %s\n", 24 + level, line);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= sizeof(rec)) {
		len = sizeof(rec) - 1;
		rec[len - 1] = '\n';
	}
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (write(fd, rec, (size_t)len) < 0)
		ret = -errno;
	close(fd);
	return ret;
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
	snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64, ns / scale, (int)decimals, ns % scale);
	return buf;
}
