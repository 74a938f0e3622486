// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Load windows and their pages, and acct_event(), which hands every other event to the
 * file of its job. A load window opens at module_load NAME by pid P and closes at the
 * module_put NAME that do_init_module issues from P after init (also when init fails).
 * Every other module_put, of another module or by another pid, leaves it open:
 * module_put fires for every reference drop. Page events are attributed by pid, never by
 * time, because udev workers load modules in parallel and their windows interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account-parts.h"

void acct_init(struct acct *a, const struct acct_facts *f)
{
	*a = (struct acct){ .facts = *f };
}

void acct_observe(struct acct *a, const struct acct_observer *o)
{
	a->obs = o;
}

/* Whether the kmem filter lets @comm (@len bytes) through. */
static bool is_loader(const struct acct *a, const char *comm, size_t len)
{
	return a->facts.loaders && loaders_has(a->facts.loaders, comm, len);
}

/* Copies @len bytes of @s into @dst of size @size, truncating; always NUL-terminates. */
static void copy_str(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* The window P has open, or NULL. */
struct window *acct_open_window(struct acct *a, int pid)
{
	uint64_t *v = u64map_get(&a->by_pid, pid_key(pid));

	if (!v || !(*v & WIN_OPEN_BIT))
		return NULL;
	return &a->win[*v & ~WIN_OPEN_BIT];
}

/* Closes @w; its live pfns are forgotten: frees after the window do not count. */
static void end_window(struct acct *a, struct window *w, enum win_end end, uint64_t ts)
{
	w->end = end;
	w->ts_end = ts;
	w->status = WIN_LOADED;
	pageset_free(&w->live);
	u64map_put(&a->by_pid, pid_key(w->pid), (uint64_t)(w - a->win));
	if (a->obs && a->obs->closed)
		a->obs->closed(a->obs->ctx, w);
}

/* Appends a zeroed window; returns NULL on allocation failure. */
struct window *acct_new_window(struct acct *a)
{
	if (a->nwin == a->capwin) {
		size_t cap = a->capwin ? a->capwin * 2 : 64;
		struct window *n = realloc(a->win, cap * sizeof(*n));

		if (!n)
			return NULL;
		a->win = n;
		a->capwin = cap;
	}
	memset(&a->win[a->nwin], 0, sizeof(a->win[0]));
	return &a->win[a->nwin++];
}

static int module_load(struct acct *a, const struct event *ev)
{
	struct window *w = acct_open_window(a, ev->pid);
	size_t idx;

	/* A pid loads one module at a time: init_module returned without a module_put. */
	if (w)
		end_window(a, w, END_NEXT_LOAD, ev->ts_ns);
	w = acct_new_window(a);
	if (!w)
		return -ENOMEM;
	idx = (size_t)(w - a->win);
	copy_str(w->name, sizeof(w->name), ev->name, ev->name_len);
	copy_str(w->comm, sizeof(w->comm), ev->comm, ev->comm_len);
	w->pid = ev->pid;
	w->passed = u64map_get(&a->passed, pid_key(ev->pid)) != NULL;
	w->ts_load = ev->ts_ns;
	w->status = WIN_LOADING;
	w->end = END_OPEN;
	return u64map_put(&a->by_pid, pid_key(ev->pid), idx | WIN_OPEN_BIT);
}

static bool same_name(const struct window *w, const struct event *ev)
{
	return strlen(w->name) == ev->name_len &&
	       !memcmp(w->name, ev->name, ev->name_len);
}

static void module_put(struct acct *a, const struct event *ev)
{
	struct window *w = acct_open_window(a, ev->pid);

	/* Unrelated puts fire all the time: the first named one shows kallsyms works. */
	if (ev->put_site == PUT_SITE_INIT || ev->put_site == PUT_SITE_OTHER)
		a->counts.named_sites = true;
	if (!w || !same_name(w, ev))
		return;
	/* init took and dropped a reference on its own module: not the end of init. */
	if (ev->put_site == PUT_SITE_OTHER ||
	    (ev->put_site == PUT_SITE_RAW && a->counts.named_sites)) {
		a->counts.unclosed_puts++;
		return;
	}
	end_window(a, w, END_PUT, ev->ts_ns);
}

/* do_init_module frees the module right after its module_put when init failed. */
static void module_free(struct acct *a, const struct event *ev)
{
	uint64_t *v = u64map_get(&a->by_pid, pid_key(ev->pid));
	struct window *w;

	if (!v || (*v & WIN_OPEN_BIT))
		return;
	w = &a->win[*v];
	if (same_name(w, ev) && w->end == END_PUT && w->status == WIN_LOADED)
		w->status = WIN_FAILED;
}

/* Offline, a page event of a task the default filter would drop proves no filter ran. */
static void note_comm(struct acct *a, const struct event *ev)
{
	if (a->counts.foreign_kmem || ev->pid == 1)
		return;
	if (ev->comm_len == 5 && !memcmp(ev->comm, "<...>", 5))
		return;
	/* prepare's filter lets every task's unmovable allocations through */
	if (ev->type == EV_PAGE_ALLOC && ev->unmovable)
		return;
	if (!is_loader(a, ev->comm, ev->comm_len) &&
	    !loaders_is_kworker(ev->comm, ev->comm_len))
		a->counts.foreign_kmem = true;
}

/* @ev passed the loader filter, not the one that lets every task's kernel pages through. */
static int note_passed(struct acct *a, const struct event *ev)
{
	uint64_t *v;

	if ((ev->type == EV_PAGE_ALLOC && ev->unmovable) ||
	    u64map_get(&a->passed, pid_key(ev->pid)))
		return 0;
	/* its newest window; windows it opens later take it from the map */
	v = u64map_get(&a->by_pid, pid_key(ev->pid));
	if (v)
		a->win[*v & ~WIN_OPEN_BIT].passed = true;
	return u64map_put(&a->passed, pid_key(ev->pid), 1);
}

static int page_alloc(struct acct *a, const struct event *ev)
{
	uint64_t n = 1ull << ev->order;
	struct window *w;
	int r;

	note_comm(a, ev);
	r = note_passed(a, ev);
	if (r < 0)
		return r;
	if (ev->failed) {
		w = acct_open_window(a, ev->pid);
		if (w) {
			w->saw_kmem = true;
			w->failed_allocs++;
		}
		return 0;
	}
	/* the bulk allocator's single-page path: counted here, not again at bulk_exit */
	bulk_single(a, ev->pid, n);
	r = sites_last(a, ev->pid, n);
	if (r < 0)
		return r;
	w = acct_open_window(a, ev->pid);
	if (!w) {
		w = work_window(a, ev->pid);
		if (!w)
			return 0;
		work_add_pages(a, w, ev->pid, n);
		r = sites_work(a, ev->pid, ev->pfn);
		if (r < 0)
			return r;
		return pageset_add(&w->work_live, ev->pfn, n);
	}
	w->saw_kmem = true;
	w->allocs++;
	w->pages += n;
	if (a->obs && a->obs->grew)
		a->obs->grew(a->obs->ctx, w, ev->order);
	/* A page allocated twice without a free in between means a free was lost: still one. */
	return pageset_add(&w->live, ev->pfn, 1ull << ev->order);
}

/*
 * A free counts the pages of the window it gives back, one by one: the same block, or
 * pieces of a larger one (split_page, alloc_pages_exact free order-0 pieces of it). A
 * page freed twice (a lost alloc in between) counts once; pages the window never
 * allocated count none.
 */
static int page_free(struct acct *a, const struct event *ev)
{
	struct window *w;
	uint64_t n;
	int r;

	note_comm(a, ev);
	r = note_passed(a, ev);
	if (r < 0)
		return r;
	w = acct_open_window(a, ev->pid);
	if (!w) {
		w = work_window(a, ev->pid);
		if (w) {
			n = pageset_remove(&w->work_live, ev->pfn, 1ull << ev->order);
			w->work_freed += n;
			w->work_unmatched += (1ull << ev->order) - n;
		}
		return 0;
	}
	w->saw_kmem = true;
	w->frees++;
	n = pageset_remove(&w->live, ev->pfn, 1ull << ev->order);
	w->freed_pages += n;
	w->unmatched_free_pages += (1ull << ev->order) - n;
	return 0;
}

/* The OOM killer chose a victim: every load in progress saw it. */
static void oom_victim(struct acct *a, const struct event *ev)
{
	size_t i;

	if (!a->counts.oom_kills++)
		a->counts.ts_first_oom = ev->ts_ns;
	for (i = 0; i < a->nwin; i++)
		if (a->win[i].end == END_OPEN && a->win[i].pid >= 0)
			a->win[i].oom_kills++;
	if (a->obs && a->obs->oom)
		a->obs->oom(a->obs->ctx, a, ev);
}

/*
 * The task an interrupt's event counts for. What an interrupt does (a timer's work, a
 * receive refill in a softirq, an RCU callback's allocation) is not the doing of the task
 * it interrupted: its allocations, bulk calls, queued work and their stacks count for a
 * task of their own, which no load, work or thread is. They stay out of every window, and
 * a stack of theirs that shows a module's code first gives that module late pages. Frees
 * stay the task's: a window's pages that an interrupt frees (an RCU callback) are gone
 * all the same, and pages no window allocated match none.
 */
#define PID_IRQ INT32_MIN

int acct_event(void *acct, const struct event *ev)
{
	struct acct *a = acct;
	struct event in_irq;
	int r;

	if (ev->irq && (ev->type == EV_PAGE_ALLOC || ev->type == EV_BULK_ENTER ||
			ev->type == EV_BULK_EXIT || ev->type == EV_WORK_QUEUE ||
			ev->type == EV_STACK)) {
		in_irq = *ev;
		in_irq.pid = PID_IRQ;
		ev = &in_irq;
	}

	if (ev->type == EV_STACK_FRAME)
		return stack_frame(a, ev);
	/* any other event ends the stack above it */
	if (a->stacks.open) {
		r = stack_end(a);
		if (r < 0)
			return r;
	}
	switch (ev->type) {
	case EV_STACK:
		return stack_begin(a, ev);
	case EV_STACK_FRAME:
		return 0;
	case EV_MODULE_LOAD:
		return module_load(a, ev);
	case EV_MODULE_PUT:
		module_put(a, ev);
		return 0;
	case EV_MODULE_FREE:
		module_free(a, ev);
		return 0;
	case EV_PAGE_ALLOC:
		a->counts.page_events++;
		return page_alloc(a, ev);
	case EV_PAGE_FREE:
		a->counts.page_events++;
		return page_free(a, ev);
	case EV_BULK_ENTER:
		a->counts.bulk_events++;
		a->counts.bulk_enters++;
		return bulk_enter(a, ev);
	case EV_BULK_EXIT:
		a->counts.bulk_events++;
		return bulk_exit(a, ev);
	case EV_TASK_RENAME:
		a->counts.rename_events++;
		return kthread_rename(a, ev);
	case EV_TASK_NEW:
		a->counts.newtask_events++;
		return kthread_new(a, ev);
	case EV_WAKE:
		return kthread_wake(a, ev);
	case EV_WORK_QUEUE:
	case EV_WORK_START:
	case EV_WORK_END:
		a->counts.work_events++;
		r = note_passed(a, ev);
		if (r < 0)
			return r;
		if (!ev->work) {
			a->counts.work_hidden++;
			return 0;
		}
		if (ev->type == EV_WORK_QUEUE)
			return work_queue(a, ev);
		if (ev->type == EV_WORK_START)
			return work_start(a, ev);
		work_end(a, ev);
		return 0;
	case EV_OOM_VICTIM:
		oom_victim(a, ev);
		return 0;
	case EV_OTHER:
		break;
	}
	return 0;
}

/* The maps that follow the events: no event comes after acct_finish(). */
static void free_maps(struct acct *a)
{
	u64map_free(&a->by_pid);
	u64map_free(&a->passed);
	u64map_free(&a->bulk);
	u64map_free(&a->stacks.last);
	u64map_free(&a->stacks.work_pfn);
	work_free(&a->work);
}

void acct_finish(struct acct *a)
{
	bool kmem_filtered =
		a->facts.filter_known ? a->facts.filter_active : !a->counts.foreign_kmem;
	size_t i;

	stack_end(a);
	/* Loading a module allocates pages: none at all means nobody recorded them. */
	if (a->nwin && !a->counts.page_events)
		a->counts.no_page_events = true;
	for (i = 0; i < a->nwin; i++) {
		struct window *w = &a->win[i];

		pageset_free(&w->live);
		pageset_free(&w->work_live);
		/* not a module loaded before tracing, which a late stack named */
		if (w->end == END_OPEN && win_traced(w))
			w->status = WIN_LOADING;
		/*
		 * The filter hid its frees, whatever allocations came through, unless events
		 * only a loader's pass show it was one; offline, where the filter is not
		 * known, a page event of its own in the window also counts.
		 */
		if (kmem_filtered && w->pid >= 0 && w->pid != 1 &&
		    strcmp(w->comm, "<...>") && !w->passed &&
		    (a->facts.filter_known || !w->saw_kmem) &&
		    !is_loader(a, w->comm, strlen(w->comm)))
			w->filtered = true;
	}
	free_maps(a);
}

void acct_free(struct acct *a)
{
	size_t i;

	for (i = 0; i < a->nwin; i++) {
		pageset_free(&a->win[i].live);
		pageset_free(&a->win[i].work_live);
	}
	free(a->win);
	free(a->stacks.sites);
	free_maps(a);
	*a = (struct acct){ 0 };
}
