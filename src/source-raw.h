/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * source-raw: the per-CPU ring buffers (per_cpu/cpuN/trace_pipe_raw) read as the kernel
 * wrote them, without text: the kernel formats nothing, work addresses are real where
 * the text shows (____ptrval____), and each event costs a few bytes to copy. Events of
 * the CPUs are merged in time order. Reading consumes the buffers. The same reader in
 * every build; the text trace remains for what it cannot do (rd.memdebug=5's stacks,
 * kernels whose page events carry no pfn, a buffer that must be kept).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rawfmt.h"
#include "source.h"

struct raw_source;

/* One record as the catalog's decoders see it: its bytes and its event's format. */
struct raw_rec {
	const unsigned char *data; /* common_type first */
	size_t len;
	struct rawfmt *fmt;
};

/*
 * Prepares to read the buffers of @buf (the tracing directory @dir, or an instance of
 * it), with the event formats of @dir. The frames of its kernel stacks are placed in
 * the modules of sysfs directory @sys_module (NULL: /sys/module for a kernel's tracefs,
 * none for a test's). Returns 0, or -EOPNOTSUPP when the text trace must be read instead
 * (said why, as information), or -ENOMEM.
 */
int raw_open(struct raw_source **rs, const char *dir, const char *buf,
	     const char *sys_module);

/*
 * Hands every event the buffers hold now to @fn, in time order, counting into @st.
 * Returns the number of records read, or -errno (reported): of reading, or of @fn.
 */
long raw_drain(struct raw_source *rs, event_fn fn, void *ctx, struct source_stats *st);

/*
 * Waits up to @ms milliseconds for a buffer to have something to read (the kernel may
 * wake the reader only once a buffer is buffer_percent full). Returns at once on a signal.
 */
void raw_wait(struct raw_source *rs, int ms);

/*
 * @gfp as the kernel's text prints mm_page_alloc's gfp_flags, with the names of its
 * format ("GFP_KERNEL|__GFP_ZERO", "none"); returns the length, -1 when it does not fit.
 */
int raw_gfp_str(const struct raw_source *rs, uint64_t gfp, char *out, size_t size);

/* The descriptors of the per-CPU buffers, for a daemon that closes all others. */
size_t raw_fds(const struct raw_source *rs, int *fds, size_t max);

void raw_close(struct raw_source *rs);

/* The decoders of each event's fields, as the catalog names them. */
bool raw_module(struct raw_source *rs, const struct raw_rec *r,
		struct event *ev); /* module_load, _free */
bool raw_module_put(struct raw_source *rs, const struct raw_rec *r, struct event *ev);
bool raw_page(struct raw_source *rs, const struct raw_rec *r,
	      struct event *ev); /* mm_page_alloc, _free */
bool raw_bulk_enter(struct raw_source *rs, const struct raw_rec *r, struct event *ev);
bool raw_bulk_exit(struct raw_source *rs, const struct raw_rec *r, struct event *ev);
bool raw_work(struct raw_source *rs, const struct raw_rec *r,
	      struct event *ev); /* the three workqueue events */
bool raw_rename(struct raw_source *rs, const struct raw_rec *r, struct event *ev);
bool raw_newtask(struct raw_source *rs, const struct raw_rec *r, struct event *ev);
bool raw_waking(struct raw_source *rs, const struct raw_rec *r, struct event *ev);
bool raw_victim(struct raw_source *rs, const struct raw_rec *r, struct event *ev);
