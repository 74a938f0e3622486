/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tfs: finding (and in the initramfs mounting) tracefs, and its small files. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSTANCE_NAME "memdebug-ko"

struct tfs {
	char dir[PATH_MAX];  /* the tracing directory: /sys/kernel/tracing or a test tree */
	char inst[PATH_MAX]; /* dir/instances/memdebug-ko */
	bool found;	     /* report: the instance exists, so it must be cleaned up */
	bool top;	     /* report: inst is dir, the top-level buffer of boot parameters */
	bool was_on;	     /* top: tracing_on before report stopped it */
};

/*
 * Locates the tracing directory: @dir when given, else /sys/kernel/tracing, else
 * /sys/kernel/debug/tracing. With @mount_it, mounts tracefs (or debugfs on old kernels,
 * and sysfs when /sys is empty) with mount(2): no /proc or mount binary is needed.
 * Returns 0 or -errno (reported here).
 */
int tfs_locate(struct tfs *t, const char *dir, bool mount_it);

/* True when @path lies on a real tracefs or debugfs (not a test tree). */
bool tfs_is_kernel_fs(const char *path);

/* Writes @val to @path (an existing file); returns 0 or -errno, not reported. */
int tfs_write(const char *path, const char *val);

/* Reads up to @size - 1 bytes of @path, NUL-terminated; returns the length or -errno. */
int tfs_read(const char *path, char *buf, size_t size);

/* Reads a decimal number from @path; returns 0 or -errno. */
int tfs_read_u64(const char *path, uint64_t *out);

/* Formats dir/<fmt> into @out (PATH_MAX); returns @out. */
char *tfs_path(char *out, const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
