/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * summary: what every sink shows, worked out once from the accounting and the source's
 * counts: which windows were measured, each row's figures (known, or why not), the
 * totals, the bound on net, the notes under the table, and the order of the rows. The
 * sinks render it and decide nothing, so the table and JSON cannot disagree.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "budget.h"
#include "lowpoint.h"
#include "source.h"

enum sort_key { SORT_PAGES, SORT_NAME, SORT_LOAD };

/* A figure of the report: known, or why not. */
enum fig_state {
	FIG_NONE,  /* there is no such figure: not traced, not applicable ("-", null) */
	FIG_NA,	   /* the load was traced, its pages were not measured ("n/a", null) */
	FIG_KNOWN, /* v holds it */
};

struct fig {
	enum fig_state state;
	uint64_t v;
};

/* rd.memdebug=5: the call sites a row carries, most pages first. */
#define SUMMARY_SITES 5

/* One window as the sinks show it. */
struct summary_row {
	const char *name, *comm;
	int pid;	 /* -1 for modules never seen loading */
	bool traced;	 /* seen loading: pid, comm and the load time mean something */
	bool untraced;	 /* nothing was traced at this boot: pages not measured (n/a) */
	bool measured;	 /* its pages were measured */
	bool init_known; /* init_ns is its init time */
	bool filtered;	 /* the kmem filter hid the loader's allocations */
	bool loaded;	 /* its init returned: end_ns is when */
	bool before;	 /* in /proc/modules, loaded before tracing began */
	uint64_t load_ns, end_ns,
		init_ns; /* on the trace's clock; init_ns = end - load */
	const char *status, *closed_by;
	struct fig pages, kib, net;
	struct fig bulk_pages, freed_unmatched;
	struct fig work_pages, work_net, work_late, work_bulk; /* of the work it queued */
	struct fig kthreads, kthread_pages, late_pages;
	struct fig total_pages, total_net; /* its own and its work's */
	struct fig allocs, frees, failed_allocs, oom_kills;
	struct fig image_bytes, image_kib;
	/* net may be too high by this much (bulk pages have no pfn) */
	struct fig net_over;
	size_t nsites;
	const struct site *sites[SUMMARY_SITES];
};

/* The sums of the measured rows; image_kib of all modules, each rounded up. */
struct summary_total {
	uint64_t pages, kib, net;
	struct fig work_pages, work_net, kthread_pages, late_pages, image_kib;
};

/* The notes under the table, in the order they are shown. */
enum note {
	NOTE_NO_LOADS,	       /* no module was loaded while tracing */
	NOTE_LOST_SINCE_BOOT,  /* lost events of the top-level buffer (trace_buf_size=) */
	NOTE_LOST_BUFFER,      /* lost events of prepare's buffer (buffer_kb) */
	NOTE_LOST,	       /* lost events of a saved trace */
	NOTE_MALFORMED,	       /* lines skipped */
	NOTE_GAP,	       /* a watcher gone without handing over */
	NOTE_OOM,	       /* the OOM killer chose victims */
	NOTE_OOM_LOADS,	       /* and these loads were in init then */
	NOTE_NO_PAGES,	       /* no page event: nothing measured */
	NOTE_NO_BULK,	       /* no bulk allocator events */
	NOTE_BULK_NO_CALL,     /* bulk returns of loads without their calls */
	NOTE_BULK_NO_RETURN,   /* bulk calls and not one return */
	NOTE_NO_WORK,	       /* no workqueue events */
	NOTE_WORK_HIDDEN,      /* work addresses hidden */
	NOTE_WORK,	       /* what the work column means */
	NOTE_NO_THREADS,       /* no task_rename or task_newtask event */
	NOTE_THREADS_UNLINKED, /* threads that named themselves */
	NOTE_THREADS,	       /* the loads whose threads took pages */
	NOTE_NO_STACKS,	       /* late pages need the stacks */
	NOTE_LATE_UNPLACED,    /* stacks whose addresses no module map placed */
	NOTE_STACKS_EMPTY,     /* stacks the kernel recorded without a frame */
	NOTE_LATE,	       /* the loads whose code took late pages */
	NOTE_BULK_PREFILLED,   /* bulk calls not counted */
	NOTE_NET_BOUND,	       /* the loads whose net may be too high */
	NOTE_FILTERED,	       /* loads the kmem filter hid */
	NOTE_LOADING,
	NOTE_FAILED,
	NOTE_NEXT_LOAD,
	NOTE_BEFORE,
	NOTE_NOT_SEEN,
	NOTE_NOT_TRACED, /* nothing was traced at this boot: images only */
	NOTE_NO_PUT,	 /* the kernel records no module_put */
	NOTE_COUNT
};

struct summary {
	struct source_stats stats;
	struct source_info src;
	bool complete; /* nothing lost, nothing malformed */
	size_t nrows;
	struct summary_row *rows; /* in load order */
	size_t *order;		  /* row indexes in the order the user asked for */
	struct summary_total total;
	/* what the trace let the report measure */
	struct {
		bool pages, bulk, work, threads, late;
	} measured;
	bool sites;	/* rd.memdebug=5: the stacks were recorded, rows carry sites */
	uint64_t notes; /* 1 << enum note of the notes shown */
	uint64_t oom_kills, ts_first_oom;
	uint64_t work_hidden, kthreads_unlinked, bulk_prefilled, bulk_no_call;
	/* stacks recorded without a frame, and their pages: late may be short by as many */
	uint64_t empty_stacks, empty_stack_pages;
	size_t loads; /* windows seen loading */
	size_t filtered, loading, failed, next_load, before, not_seen, not_traced;
	size_t oom_loads;      /* loads in init while the OOM killer chose a victim */
	size_t bulk_unmatched; /* loads with bulk pages and frees of pages not theirs */
	struct fig alloc_net_kib;    /* loads and their work, for the budget */
	const struct low_point *low; /* the watcher's low point, or NULL */
	const struct budget
		*budget; /* the whole kernel's memory, or NULL (offline, unknown) */
	struct estimate
		estimate; /* with it, in a capture kernel: the crashkernel= it needs */
	/* from the watcher's low point, not the report's reading */
	bool estimate_from_low;
};

/* Sums up @a; returns 0 or -ENOMEM (reported). @a must outlive @s. */
int summary_make(struct summary *s, const struct acct *a, const struct source_stats *st,
		 const struct source_info *src, enum sort_key key);

void summary_free(struct summary *s);

/* Whether note @n is shown. */
static inline bool summary_note(const struct summary *s, enum note n)
{
	return s->notes & (1ull << n);
}

/* Adds the watcher's low point @l (borrowed), when it took samples; before the budget. */
void summary_low(struct summary *s, const struct low_point *l);

/*
 * Adds the whole kernel's memory @b (borrowed) and works out its estimate, from the
 * watcher's low point where it sampled, else the report's own MemAvailable.
 */
void summary_budget(struct summary *s, const struct budget *b);

/* The init time is known for windows closed by an event, whose timestamps run forward. */
bool window_init_known(const struct window *w);

/* Pages @w allocated and did not free again in the window. */
static inline uint64_t window_net(const struct window *w)
{
	return w->pages - w->freed_pages;
}

/* Bytes in KiB, rounded up, without overflow for any size /proc/modules may print. */
static inline uint64_t kib_up(uint64_t bytes)
{
	return bytes / 1024 + (bytes % 1024 != 0);
}
