/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * source-raw: the instance's raw per-cpu ring buffers (trace_pipe_raw), decoded by
 * libtraceevent and merged in timestamp order. Reading consumes the buffers. Builds
 * without libtracefs have no raw source: raw_open() says so and the text trace is read.
 */
#pragma once

#include <errno.h>

#include "catalog.h"
#include "mdko-config.h"
#include "source.h"

struct raw_source;

#if HAVE_LIBTRACEFS
/*
 * Prepares to read the instance @name of the tracing directory @dir. Returns 0, or
 * -EOPNOTSUPP when the raw buffers cannot be attributed as the text trace can (event
 * formats unreadable, no pfn field, do_init_module not in kallsyms): read the text.
 */
int raw_open(struct raw_source **rs, const char *dir, const char *name);

/* Feeds every event to @fn, counting into @st; returns 0 or -errno (reported). */
int raw_read(struct raw_source *rs, event_fn fn, void *ctx, struct source_stats *st);

void raw_close(struct raw_source *rs);

/* The decoders of each event's fields, as the catalog names them. */
bool raw_module(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev); /* module_load, _put (its call site), _free */
bool raw_page(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
	      struct event *ev); /* mm_page_alloc, _free */
bool raw_bulk_enter(const struct raw_source *rs, struct tep_event *e,
		    struct tep_record *rec, struct event *ev);
bool raw_bulk_exit(const struct raw_source *rs, struct tep_event *e,
		   struct tep_record *rec, struct event *ev);
bool raw_work(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
	      struct event *ev); /* the three workqueue events */
bool raw_rename(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev);
bool raw_newtask(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		 struct event *ev);
bool raw_waking(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev);
bool raw_victim(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev);
#else
static inline int raw_open(struct raw_source **rs, const char *dir, const char *name)
{
	(void)rs;
	(void)dir;
	(void)name;
	return -EOPNOTSUPP;
}

static inline int raw_read(struct raw_source *rs, event_fn fn, void *ctx,
			   struct source_stats *st)
{
	(void)rs;
	(void)fn;
	(void)ctx;
	(void)st;
	return -EOPNOTSUPP;
}

static inline void raw_close(struct raw_source *rs)
{
	(void)rs;
}
#endif
