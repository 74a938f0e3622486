/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io: reading files, whole or a small part, with interrupted reads retried; writing a
 * file whole, through a temporary file that replaces it only once it is complete.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One read(2), retried while a signal interrupts it; returns the count or -errno. */
ssize_t io_read(int fd, void *buf, size_t size);

/* Reads up to @size - 1 bytes of @path, NUL-terminated; returns the length or -errno. */
int io_read_small(const char *path, char *buf, size_t size);

/* Sleeps @ms milliseconds (less when a signal comes): between polls of a pipe or file. */
void io_sleep_ms(long ms);

/* CLOCK_MONOTONIC in nanoseconds: the clock of samples (and, near enough, the trace's). */
uint64_t io_now_ns(void);

/* Points standard input, output and error at /dev/null: a daemon's, which nobody reads. */
void io_std_null(void);

/* Reads all of @path into a NUL-terminated buffer for the caller to free; 0 or -errno. */
int io_read_all(const char *path, char **out);

/* Writes all of @buf to @fd; returns 0 or -errno. */
int io_write_all(int fd, const void *buf, size_t len);

/*
 * Opens @path's temporary file, PATH.tmp (its name into @tmp, PATH_MAX bytes), for
 * io_tmp_commit() to put in place. Returns the descriptor or -errno.
 */
int io_tmp_open(const char *path, char *tmp, mode_t mode);

/*
 * Closes @fd of io_tmp_open() (-1: the caller closed it, a stdio stream's, with its error
 * in @r). When the writing went well (@r is 0), renames @tmp to @path; else, or when that
 * fails, removes @tmp. Returns 0 or the first -errno.
 */
int io_tmp_commit(int fd, const char *tmp, const char *path, int r);
