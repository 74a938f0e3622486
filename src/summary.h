/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * summary: what every sink shows, worked out once from the accounting and the source's
 * counts: which windows were measured, the totals, the notes, and the order of the rows.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "budget.h"
#include "source.h"

enum sort_key { SORT_PAGES, SORT_NAME, SORT_LOAD };

struct summary {
	const struct acct *a;
	struct source_stats stats;
	struct source_info src;
	bool complete;	       /* nothing lost, nothing malformed */
	size_t *order;	       /* window indexes in the order the user asked for */
	uint64_t pages, net;   /* of the measured windows */
	uint64_t work_pages, work_net; /* of their work items and threads */
	uint64_t kthread_pages;	       /* of those, their threads' */
	uint64_t late;		       /* rd.memdebug=5: pages their code took outside them */
	uint64_t image_kib;    /* of all modules, each rounded up */
	size_t loads;	       /* windows seen loading */
	size_t filtered, loading, failed, next_load, before, not_seen;
	size_t oom_loads;      /* loads in init while the OOM killer chose a victim */
	size_t bulk_unmatched; /* loads with bulk pages and frees of pages not theirs */
	const struct budget *budget; /* the whole kernel's memory, or NULL (offline) */
	struct estimate estimate;    /* with it, in a capture kernel: the crashkernel= it needs */
	bool estimate_from_low;	     /* from the watcher's low point, not the report's reading */
};

/* Sums up @a; returns 0 or -ENOMEM (reported). @a must outlive @s. */
int summary_make(struct summary *s, const struct acct *a, const struct source_stats *st,
		 const struct source_info *src, enum sort_key key);

void summary_free(struct summary *s);

/*
 * Adds the whole kernel's memory @b (borrowed) and works out its estimate, from the
 * watcher's low point where it sampled, else the report's own MemAvailable.
 */
void summary_budget(struct summary *s, const struct budget *b);

/*
 * rd.memdebug=5: the call sites of window @w with the most pages, at most @max, into
 * @out, most first; returns how many.
 */
size_t summary_sites(const struct summary *s, const struct window *w, const struct site **out,
		     size_t max);

/* Pages are known for traced windows whose page events were recorded. */
bool summary_measured(const struct summary *s, const struct window *w);

/* The init time is known for windows closed by an event, whose timestamps run forward. */
bool window_init_known(const struct window *w);

/* The names the sinks give a window's status and the way it ended. */
const char *window_status_name(enum win_status status);
const char *window_end_name(enum win_end end);

/* Bytes in KiB, rounded up, without overflow for any size /proc/modules may print. */
static inline uint64_t kib_up(uint64_t bytes)
{
	return bytes / 1024 + (bytes % 1024 != 0);
}
