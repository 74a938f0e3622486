/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * account: turns events into per-module load windows and the pages they allocated, with
 * the work and threads they started, their call sites, and the modules in memory at the
 * end. acct_event() is the one entry point for the sources.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "loaders.h"
#include "pageset.h"
#include "proc.h"
#include "u64map.h"

enum win_status {
	WIN_LOADED,  /* closed by the loader's do_init_module module_put */
	WIN_LOADING, /* still open when the trace ended */
	WIN_FAILED, /* init failed: module_free right after, or gone from /proc/modules */
	WIN_BEFORE_TRACING, /* in /proc/modules, never seen loading */
	WIN_NOT_SEEN, /* the same, but events were lost: it may have loaded among them */
};

/* How a window ended. */
enum win_end {
	END_PUT, /* the loader's module_put of the same module */
	/* the same pid loaded another module first (no module_put events) */
	END_NEXT_LOAD,
	END_OPEN,  /* never: still open at the end of the trace */
	END_TRACE, /* open at the end of a trace without module_put, but Live by then */
};

/* stack_win of a stack of no load: its pages are late pages of the module it shows */
#define STACK_LATE UINT32_MAX
/* work_pfn of bulk pages, which have none */
#define STACK_NO_PFN UINT64_MAX

/* rd.memdebug=5: the pages a load allocated from one call site. */
#define SITE_MAX 96
struct site {
	uint32_t win; /* the window's index */
	uint64_t pages;
	char name[SITE_MAX]; /* the frame, "function+0x1a/0x80 [module]" */
};

struct window {
	char name[MODNAME_MAX + 1];
	char comm[COMM_MAX + 1];
	int pid; /* -1 for before-tracing entries */
	uint64_t ts_load, ts_end;
	uint64_t pages; /* sum of 2^order of successful allocations in the window */
	/* of those, the bulk allocator's (vmalloc) without mm_page_alloc */
	uint64_t bulk_pages;
	/* freed in the window, not allocated in it: or bulk */
	uint64_t unmatched_free_pages;
	uint64_t freed_pages; /* of those, pages freed by the loader inside the window */
	uint64_t allocs, frees, failed_allocs;
	uint64_t image_bytes; /* from /proc/modules, 0 when unknown */
	enum win_status status;
	enum win_end end;
	bool filtered;	    /* the kmem filter hid the loader's allocations */
	bool saw_kmem;	    /* at least one page event of the loader in the window */
	bool passed;	    /* its pid has events only the loader filter lets through */
	uint64_t oom_kills; /* OOM victims chosen while the window was open */
	/* pages allocated in the window, not freed yet, while open */
	struct pageset live;
	/*
	 * Work the loader queued inside the window (and work that work queued), run by
	 * kworkers, also after init returned: its pages, those freed by it again, and the
	 * part that ran after the window closed. Pages of the loader's own stay apart.
	 */
	uint64_t work_pages, work_freed, work_late;
	struct pageset work_live; /* pages of its work not freed yet */
	/*
	 * Of the work pages, the bulk allocator's (no pfn), and frees in the work
	 * part of pages it had not allocated one by one: net may be high by the smaller.
	 */
	uint64_t work_bulk, work_unmatched;
	uint64_t kthreads; /* kernel threads the load started (kthread_create) */
	/* of the work pages, its threads' (their frees are not traced) */
	uint64_t kthread_pages;
	/*
	 * rd.memdebug=5: pages whose stack shows this module's code on top, allocated by
	 * no load window and no load's work or thread (a later probe, a late work item).
	 */
	uint64_t late_pages;
};

/* What the source knows about the trace besides its events. */
struct acct_facts {
	const struct loaders *loaders; /* comms the kmem filter lets through (borrowed) */
	bool filter_known; /* live: the instance's filter says whether kmem is filtered */
	bool filter_active; /* with filter_known: kmem events were filtered by comm */
	bool no_put_events; /* the kernel has no module_put event */
};

struct acct;

/*
 * Who watches the accounting as events arrive (the streaming sink of the watcher): each
 * callback may be NULL. @w and @a are valid only during the call.
 */
struct acct_observer {
	void (*grew)(void *ctx, const struct window *w,
		     unsigned order);			   /* an allocation */
	void (*closed)(void *ctx, const struct window *w); /* init returned */
	void (*oom)(void *ctx, const struct acct *a, const struct event *ev);
	/* @pages more late pages of @w, which the task @comm, @pid took (account-sites.c) */
	void (*late)(void *ctx, const struct window *w, uint64_t pages, const char *comm,
		     int pid);
	void *ctx;
};

/*
 * What the trace showed, counted as events arrive: the report's notes and what it could
 * measure follow from these. Plain values, handed whole from the watcher to report.
 */
struct acct_counts {
	uint64_t page_events; /* mm_page_alloc and mm_page_free events read */
	/* bulk_enter and bulk_exit events read: the bulk path was traced */
	uint64_t bulk_events;
	uint64_t bulk_enters; /* bulk_enter events read: the calls were traced too */
	/* bulk returns in a load or its work without their call: pages unknown */
	uint64_t bulk_no_call;
	/* bulk calls in windows left uncounted: their array had pages */
	uint64_t bulk_prefilled;
	uint64_t work_events; /* workqueue events read: the loads' work was traced */
	uint64_t work_hidden; /* workqueue events whose work address the kernel hid */
	/* task:task_rename events read: kernel threads were traced */
	uint64_t rename_events;
	/* task:task_newtask events read: the same, from Linux 6.2 */
	uint64_t newtask_events;
	/* threads that named themselves: their creator is unknown */
	uint64_t kthreads_unlinked;
	uint64_t stack_events; /* kernel stacks read */
	/*
	 * Of them, stacks of an allocation that came with no frame (s390x's kworkers on
	 * 6.1), and their pages: whose code took those is unknown.
	 */
	uint64_t empty_stacks, empty_stack_pages;
	/* of them, symbolized stacks in a load or its work: rd.memdebug=5's sites */
	uint64_t load_stacks;
	uint64_t unclosed_puts; /* module_put by a loader that did not close its window */
	uint64_t oom_kills;	/* oom:mark_victim events */
	uint64_t ts_first_oom;	/* the first one's timestamp */
	bool foreign_kmem;	/* offline: a page event of a task outside the loaders */
	bool named_sites;    /* a put named its call site: raw addresses are not init's */
	bool no_page_events; /* kmem page events were not traced: no page was measured */
};

/* account-work.c: the work items and kernel threads of the loads, while events arrive. */
struct acct_work {
	/* work_struct address -> window index, queued, not yet run */
	struct u64map owner;
	struct u64map running; /* kworker pid -> window index of the work it runs now */
	struct u64map kthread; /* pid of a kernel thread a load started -> window index */
	struct u64map
		/* kthreadd's new thread -> its task_newtask's time, until it wakes */
		newborn;
};

/* account-sites.c, rd.memdebug=5: pages by call site, and the stack being read. */
struct acct_stacks {
	struct site *sites;
	size_t nsites, capsites;
	struct u64map last; /* pid -> pages of its latest allocation, for its stack */
	/* pid -> pfn of its latest allocation for a load's work or thread, STACK_NO_PFN */
	struct u64map work_pfn;
	bool open, has_pick;
	bool first;  /* no frame of the open stack read yet */
	bool framed; /* the open stack had a frame */
	/*
	 * The pick names another module than the window's, or no symbol: it may be the
	 * loading module's freed init text, which only do_one_initcall below it tells.
	 */
	bool held;
	bool mixed; /* the held frames name two modules: a call from one to the other */
	char held_mod[MODNAME_MAX + 1]; /* the module they name, "" for bare addresses */
	uint32_t win; /* STACK_LATE: the module frame on top names the window */
	uint64_t pages;
	/*
	 * The stack of an allocation for a load's work or thread (win), of @pfn (or
	 * STACK_NO_PFN: bulk pages): whether a frame names the window's module, and the
	 * first that names another (@other); with none of the first and one of the
	 * second, its pages are @other's late pages, not the load's work.
	 */
	bool work, own, bare;
	uint64_t pfn;
	char other[MODNAME_MAX + 1];
	int pid; /* the task whose stack it is (INT32_MIN: an interrupt) */
	char comm[COMM_MAX + 1];
	char pick[SITE_MAX];
};

struct acct {
	struct window *win;
	size_t nwin, capwin;
	struct u64map by_pid; /* pid -> window index, with WIN_OPEN_BIT while open */
	/*
	 * Pids with events only the loader filter lets through (frees, movable pages,
	 * work): the filter knew them as loaders, whatever comm the trace prints (the text
	 * trace's comm cache may still hold a pid's name from before its exec).
	 */
	struct u64map passed;
	struct u64map
		bulk; /* pid inside a bulk allocator call -> its state (account-bulk.c) */
	struct acct_work work;
	struct acct_stacks stacks;
	struct acct_counts counts;
	struct acct_facts facts;
	const struct acct_observer *obs;
};

/* Whether @w was seen loading (not a /proc/modules entry the trace never showed). */
static inline bool win_traced(const struct window *w)
{
	return w->status != WIN_BEFORE_TRACING && w->status != WIN_NOT_SEEN;
}

/* Setup: @f is copied, the loaders it names are borrowed and must outlive @a. */
void acct_init(struct acct *a, const struct acct_facts *f);

/* Sets (or with NULL clears) the observer; @o is borrowed. */
void acct_observe(struct acct *a, const struct acct_observer *o);

/* Takes one event (an event_fn for struct acct): returns 0 or -ENOMEM. */
int acct_event(void *acct, const struct event *ev);

/*
 * Ends the trace: open windows become WIN_LOADING, filtered windows are marked, and a
 * trace without a single page event has measured nothing (no_page_events).
 */
void acct_finish(struct acct *a);

/*
 * After acct_finish: the modules in memory now (@pm, newest first, as /proc/modules
 * lists them) give image sizes, failed loads, and the modules never seen loading, which
 * are before-tracing, or not-seen when the source @lost events. Returns 0 or -ENOMEM.
 */
int acct_apply_modules(struct acct *a, const struct proc_module *pm, size_t n, bool lost);

void acct_free(struct acct *a);
