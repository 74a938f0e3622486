/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * source: where events come from. A source hands each event to a callback and keeps its
 * own counts, which it gives to the report once, at the end.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/* Takes one event; returns 0, or -errno to stop the source. */
typedef int (*event_fn)(void *ctx, const struct event *ev);

struct source_stats {
	uint64_t events; /* well-formed events read */
	uint64_t lost;	 /* events the ring buffer dropped or overwrote */
	/* lines or records that looked like events but could not be parsed */
	uint64_t malformed;
	bool gap; /* a reader that consumed events is gone without handing them over */
	/* kernel stacks of the raw buffers read where no module's addresses could be */
	uint64_t stacks_unplaced;
	unsigned page_size; /* what a saved trace says its machine's was; 0: nothing */
};

/* The first line of a trace memdebug-ko saves, before the page size in bytes. */
#define TRACE_PAGE_SIZE_LINE "# memdebug-ko: page_size="

/* The page sizes a trace may be of (--page-size, a saved trace's first line). */
#define PAGE_SIZE_MIN 1024
#define PAGE_SIZE_MAX (1u << 20)

/* Whether @v is a page size: a power of two from PAGE_SIZE_MIN to PAGE_SIZE_MAX. */
static inline bool source_page_size_ok(uint64_t v)
{
	return v >= PAGE_SIZE_MIN && v <= PAGE_SIZE_MAX && !(v & (v - 1));
}

/* What the report says about where its events came from. */
struct source_info {
	bool live;
	bool top;	    /* live: read from the top-level buffer */
	bool since_boot;    /* top: trace_event= on the kernel command line filled it */
	uint64_t buffer_kb; /* live: the per-CPU buffer, 0 when unknown */
	unsigned page_size;
	/* live: why nothing was traced at this boot (only /proc is reported), or NULL */
	const char *not_traced;
};
