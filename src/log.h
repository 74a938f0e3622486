/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log: messages to stderr and, in the initramfs, to /dev/kmsg as dracut writes them, and
 * the format of the durations they and the reports print.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* syslog levels; /dev/kmsg records carry the daemon facility, as dracut's do (<27> etc). */
#define LOG_LVL_ERR    3
#define LOG_LVL_WARN   4
#define LOG_LVL_NOTICE 5
#define LOG_LVL_INFO   6

/* Sends messages to /dev/kmsg too (errors and warnings still reach stderr). */
void log_use_kmsg(bool on);
bool log_kmsg_enabled(void);

/* Mutes info messages on stderr. */
void log_set_quiet(bool on);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)  log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)

/*
 * One record in the kernel log at @level, "memdebug-ko: " + @line, written within the
 * rate limit of /dev/kmsg (see log.c). Returns 0 or -errno.
 */
int log_kmsg_line(int level, const char *line);

/*
 * Opens the files log_kmsg_line() writes through now, so that a resident process logs
 * without allocating later, when memory may be short. Returns 0 or -errno.
 */
int log_kmsg_reserve(void);

/* Closes those files (a daemon does before it closes every descriptor). */
void log_kmsg_close(void);

/*
 * Formats @ns as milliseconds with @decimals (1 to 6) digits after the point, rounded half
 * up, in integers: the musl build then needs no floating-point printf. Returns @buf.
 */
char *ms_str(char *buf, size_t size, uint64_t ns, unsigned decimals);
