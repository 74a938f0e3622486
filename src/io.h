/* SPDX-License-Identifier: GPL-2.0-or-later */
/* io: reading files, whole or a small part, with interrupted reads retried. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* One read(2), retried while a signal interrupts it; returns the count or -errno. */
ssize_t io_read(int fd, void *buf, size_t size);

/* Reads up to @size - 1 bytes of @path, NUL-terminated; returns the length or -errno. */
int io_read_small(const char *path, char *buf, size_t size);

/* Sleeps @ms milliseconds (less when a signal comes): between polls of a pipe or file. */
void io_sleep_ms(long ms);

/* Reads all of @path into a NUL-terminated buffer for the caller to free; 0 or -errno. */
int io_read_all(const char *path, char **out);
