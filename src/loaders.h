/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loaders: the tasks that load modules, whose page events prepare records, and the kmem
 * filter that says so: prepare builds it, report reads it back.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

#define MAX_LOADERS 64
#define FILTER_MAX  4096

struct loaders {
	const char *name[2 * MAX_LOADERS + 1]; /* NULL-terminated; borrowed strings */
	size_t n;
	char filter[FILTER_MAX]; /* a filter read back: the storage of its names */
};

/* Starts @l with the default loaders (meson.build lists them). */
void loaders_init(struct loaders *l);

/*
 * Adds the comma-separated names of @list (modified in place), all or none: each name
 * must fit a comm and a quoted tracefs filter. On error returns -EINVAL or -E2BIG with
 * the reason in @why.
 */
int loaders_add(struct loaders *l, char *list, char *why, size_t why_size);

/* True when @comm (@len bytes) is a kworker's: the filter records them, for the work column. */
bool loaders_is_kworker(const char *comm, size_t len);

/* True when @comm (@len bytes, not NUL-terminated) is one of @l. */
bool loaders_has(const struct loaders *l, const char *comm, size_t len);

/* Prints the default loaders for --help, wrapped after column @width, lines indented by @indent. */
void loaders_print_defaults(int indent, int width);

/*
 * The kmem filter for @l: their comms, PID 1, which loads modules in systemd initrds, and
 * the kworkers, which run the work that loads queue.
 */
int loaders_filter(const struct loaders *l, char *buf, size_t size);

/* The tasks that load modules, as a filter: @l's comms (not PID 1 nor the kworkers). */
int loaders_tasks_filter(const struct loaders *l, char *buf, size_t size);

/*
 * Adds the comms named by a filter that loaders_filter() wrote (read from the instance
 * into l->filter, which @l keeps); *active tells whether it filters by comm at all.
 */
void loaders_from_filter(struct loaders *l, bool *active);
