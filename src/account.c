// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A load window opens at module_load NAME by pid P and closes at the module_put NAME that
 * do_init_module issues from P after init (also when init fails). Every other module_put,
 * of another module or by another pid, leaves it open: module_put fires for every
 * reference drop. Page events are attributed by pid, never by time, because udev workers
 * load modules in parallel and their windows interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"

#define WIN_OPEN_BIT (1ull << 63)
/* acct.bulk: the call's array had pages already (not counted); the rest, pages inside */
#define BULK_PREFILLED (1ull << 63)

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
static struct window *open_window_of(struct acct *a, int pid)
{
	uint64_t *v = u64map_get(&a->by_pid, (uint64_t)(unsigned)pid);

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
	u64map_put(&a->by_pid, (uint64_t)(unsigned)w->pid, (uint64_t)(w - a->win));
	if (a->obs && a->obs->closed)
		a->obs->closed(a->obs->ctx, w);
}

/* Appends a zeroed window; returns NULL on allocation failure. */
static struct window *new_window(struct acct *a)
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
	struct window *w = open_window_of(a, ev->pid);
	size_t idx;

	/* A pid loads one module at a time: init_module returned without a module_put. */
	if (w)
		end_window(a, w, END_NEXT_LOAD, ev->ts_ns);
	w = new_window(a);
	if (!w)
		return -ENOMEM;
	idx = (size_t)(w - a->win);
	copy_str(w->name, sizeof(w->name), ev->name, ev->name_len);
	copy_str(w->comm, sizeof(w->comm), ev->comm, ev->comm_len);
	w->pid = ev->pid;
	w->passed = u64map_get(&a->passed, (uint64_t)(unsigned)ev->pid) != NULL;
	w->ts_load = ev->ts_ns;
	w->status = WIN_LOADING;
	w->end = END_OPEN;
	return u64map_put(&a->by_pid, (uint64_t)(unsigned)ev->pid, idx | WIN_OPEN_BIT);
}

static bool same_name(const struct window *w, const struct event *ev)
{
	return strlen(w->name) == ev->name_len && !memcmp(w->name, ev->name, ev->name_len);
}

static void module_put(struct acct *a, const struct event *ev)
{
	struct window *w = open_window_of(a, ev->pid);

	/* Unrelated puts fire all the time: the first named one shows kallsyms works. */
	if (ev->put_site == PUT_SITE_INIT || ev->put_site == PUT_SITE_OTHER)
		a->named_sites = true;
	if (!w || !same_name(w, ev))
		return;
	/* init took and dropped a reference on its own module: not the end of init. */
	if (ev->put_site == PUT_SITE_OTHER || (ev->put_site == PUT_SITE_RAW && a->named_sites)) {
		a->unclosed_puts++;
		return;
	}
	end_window(a, w, END_PUT, ev->ts_ns);
}

/* do_init_module frees the module right after its module_put when init failed. */
static void module_free(struct acct *a, const struct event *ev)
{
	uint64_t *v = u64map_get(&a->by_pid, (uint64_t)(unsigned)ev->pid);
	struct window *w;

	if (!v || (*v & WIN_OPEN_BIT))
		return;
	w = &a->win[*v];
	if (same_name(w, ev) && w->end == END_PUT && w->status == WIN_LOADED)
		w->status = WIN_FAILED;
}

/*
 * The window @pid works for outside the loader: the kworker runs the load's work now, or
 * @pid is a kernel thread the load started. NULL otherwise.
 */
static struct window *running_window(struct acct *a, int pid)
{
	uint64_t *v = u64map_get(&a->running, (uint64_t)(unsigned)pid);

	if (!v)
		v = u64map_get(&a->kthread, (uint64_t)(unsigned)pid);
	return v ? &a->win[*v] : NULL;
}

/*
 * Kernel thread @child was started by @creator: a load (or its work, or its thread) that
 * starts a thread owns the thread's pages. Both ways of seeing it may fire for one thread.
 */
static int link_kthread(struct acct *a, int creator, int child)
{
	uint64_t *have = u64map_get(&a->kthread, (uint64_t)(unsigned)child), idx;
	struct window *w = open_window_of(a, creator);

	if (!w)
		w = running_window(a, creator);
	if (!w) {
		u64map_del(&a->kthread, (uint64_t)(unsigned)child);
		return 0;
	}
	idx = (uint64_t)(w - a->win);
	if (have && *have == idx)
		return 0;
	w->kthreads++;
	return u64map_put(&a->kthread, (uint64_t)(unsigned)child, idx);
}

/*
 * task_rename from kthreadd's name: up to Linux 6.1 kthread_create names the thread
 * kthreadd forked for its caller, in the caller. A kernel that lets the thread name
 * itself hides the caller: counted, and the report says so.
 */
static int task_rename(struct acct *a, const struct event *ev)
{
	if (!ev->from_kthreadd)
		return 0;
	if (ev->child == ev->pid) {
		a->kthreads_unlinked++;
		return 0;
	}
	return link_kthread(a, ev->pid, ev->child);
}

/* How long a new thread may take to wake its creator: far more than it does. */
#define NEWBORN_NS 1000000000ull

/*
 * From Linux 6.2 kthreadd forks the thread under its name: task_newtask by kthreadd.
 * kworkers are the workqueues' own (their creator is a pool's manager), not a load's.
 */
static int task_new(struct acct *a, const struct event *ev)
{
	if (ev->comm_len != 8 || memcmp(ev->comm, "kthreadd", 8) ||
	    loaders_is_kworker(ev->name, ev->name_len))
		return 0;
	return u64map_put(&a->newborn, (uint64_t)(unsigned)ev->child, ev->ts_ns);
}

/*
 * sched_waking, the first between the new thread and another task: the thread's first
 * act, complete(&done), wakes the task waiting in kthread_create, unless that task had
 * not gone to sleep yet (one CPU), and then that task's wake_up_process() is the first
 * wakeup of the thread. Either way the other task is its creator.
 */
static int task_wake(struct acct *a, const struct event *ev)
{
	int thread = ev->child, creator = ev->pid;
	uint64_t *born = u64map_get(&a->newborn, (uint64_t)(unsigned)thread), ts;

	if (!born) {
		thread = ev->pid;
		creator = ev->child;
		born = u64map_get(&a->newborn, (uint64_t)(unsigned)thread);
	}
	if (!born)
		return 0;
	ts = *born;
	u64map_del(&a->newborn, (uint64_t)(unsigned)thread);
	if (ev->ts_ns < ts || ev->ts_ns - ts > NEWBORN_NS)
		return 0;
	return link_kthread(a, creator, thread);
}

/*
 * workqueue_queue_work: work queued by a loader inside its window, or by a kworker
 * running such work (async_schedule, a work item that queues the next), is the load's.
 * The same work_struct queued by anyone else (an interrupt, a timer) is not.
 */
static int work_queue(struct acct *a, const struct event *ev)
{
	struct window *w = open_window_of(a, ev->pid);

	if (!w)
		w = running_window(a, ev->pid);
	if (!w) {
		u64map_del(&a->work_owner, ev->work);
		return 0;
	}
	return u64map_put(&a->work_owner, ev->work, (uint64_t)(w - a->win));
}

/* workqueue_execute_start: the kworker runs the load's work until its execute_end. */
static int work_start(struct acct *a, const struct event *ev)
{
	uint64_t *v = u64map_get(&a->work_owner, ev->work);
	uint64_t idx;

	if (!v) {
		u64map_del(&a->running, (uint64_t)(unsigned)ev->pid);
		return 0;
	}
	idx = *v;
	u64map_del(&a->work_owner, ev->work);
	return u64map_put(&a->running, (uint64_t)(unsigned)ev->pid, idx);
}

/* Remembers @n pages as @pid's latest allocation, for the stack that may follow it. */
static int set_last(struct acct *a, int pid, uint64_t n)
{
	return u64map_put(&a->last, (uint64_t)(unsigned)pid, n);
}

/* @n pages that @pid took for @w outside the loader: by its work, or by its thread. */
static void add_work_pages(struct acct *a, struct window *w, int pid, uint64_t n)
{
	if (!u64map_get(&a->running, (uint64_t)(unsigned)pid))
		w->kthread_pages += n;
	w->work_pages += n;
	if (w->end != END_OPEN)
		w->work_late += n;
}

/* Adds @pages to site @name (@len bytes) of window @win. Returns 0 or -ENOMEM. */
static int add_site(struct acct *a, uint32_t win, const char *name, size_t len, uint64_t pages)
{
	struct site *s;
	size_t i;

	if (len >= SITE_MAX)
		len = SITE_MAX - 1;
	for (i = a->nsites; i-- > 0;) {
		s = &a->sites[i];
		if (s->win == win && !strncmp(s->name, name, len) && !s->name[len]) {
			s->pages += pages;
			return 0;
		}
	}
	if (a->nsites == a->capsites) {
		size_t cap = a->capsites ? a->capsites * 2 : 64;
		struct site *n = realloc(a->sites, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->sites = n;
		a->capsites = cap;
	}
	s = &a->sites[a->nsites++];
	s->win = win;
	s->pages = pages;
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	return 0;
}

/*
 * The functions of the allocators and of tracing itself, which every stack of a page
 * allocation passes through: the call site is the first frame below them.
 */
static bool allocator_frame(const char *f, size_t len)
{
	static const char *const prefix[] = {
		"__alloc_pages", "alloc_pages", "__get_free_pages", "get_zeroed_page",
		"__folio_alloc", "folio_alloc", "alloc_slab_page", "allocate_slab", "new_slab",
		"___slab_alloc", "__slab_alloc", "slab_alloc", "kmalloc", "__kmalloc", "kmem_cache_alloc",
		"__kmem_cache_alloc", "krealloc", "__do_krealloc", "kmemdup", "kstrdup", "kvmalloc",
		"__kvmalloc", "kvzalloc", "__vmalloc", "vmalloc", "vzalloc", "__vmap", "vmap_",
		"__get_vm_area", "get_vm_area", "__pte_alloc", "__pmd_alloc", "__pud_alloc",
		"__p4d_alloc", "pcpu_", "alloc_pages_exact", "dma_alloc", "dma_direct_alloc",
		"__dma_direct_alloc", "trace_", "__trace_", "event_triggers_call", "ftrace_",
		"kretprobe_", "__kretprobe_", "arch_rethook", "rethook_", "__rethook",
	};
	size_t i, n;

	for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		n = strlen(prefix[i]);
		if (len >= n && !memcmp(f, prefix[i], n))
			return true;
	}
	return false;
}

/* Ends the stack being read: its pages go to the frame picked, if any. */
static int end_stack(struct acct *a)
{
	if (!a->stack_open)
		return 0;
	a->stack_open = false;
	if (!a->stack_has_pick || a->stack_win == STACK_LATE)
		return 0;
	return add_site(a, a->stack_win, a->stack_pick, strlen(a->stack_pick), a->stack_pages);
}

/* "<stack trace>" of @ev->pid: the stack of its latest allocation in a window. */
static int stack_begin(struct acct *a, const struct event *ev)
{
	uint64_t *last = u64map_get(&a->last, (uint64_t)(unsigned)ev->pid);
	struct window *w = open_window_of(a, ev->pid);
	int r = end_stack(a);

	a->stack_events++;
	if (!w)
		w = running_window(a, ev->pid);
	if (r < 0 || !last || !*last)
		return r;
	a->stack_open = true;
	a->stack_has_pick = false;
	a->stack_win = w ? (uint32_t)(w - a->win) : STACK_LATE;
	a->stack_pages = *last;
	*last = 0;
	return 0;
}

/* The newest load of the module named @mod (@len bytes), or NULL. */
static struct window *window_named(struct acct *a, const char *mod, size_t len)
{
	size_t i;

	for (i = a->nwin; i-- > 0;)
		if (strlen(a->win[i].name) == len && !memcmp(a->win[i].name, mod, len))
			return &a->win[i];
	return NULL;
}

/*
 * A stack of no load: the first frame in a module ("func+off/size [mod]") says whose
 * code allocated; its pages are that module's late pages. Returns whether it found one.
 */
static bool late_frame(struct acct *a, const struct event *ev)
{
	const char *open = memchr(ev->name, '[', ev->name_len), *e = ev->name + ev->name_len;
	const char *close;
	struct window *w;

	if (!open)
		return false;
	close = memchr(open, ']', (size_t)(e - open));
	if (!close)
		return false;
	w = window_named(a, open + 1, (size_t)(close - open - 1));
	if (w)
		w->late_pages += a->stack_pages;
	return true;
}

/*
 * A frame: the first in a module ("[module]") is the call site; without one, the first
 * outside the allocators (the kernel code that allocated on the module's behalf).
 */
static int stack_frame(struct acct *a, const struct event *ev)
{
	size_t flen = 0;
	bool in_module;

	if (!a->stack_open)
		return 0;
	if (a->stack_win == STACK_LATE) {
		if (late_frame(a, ev))
			a->stack_open = false;
		return 0;
	}
	while (flen < ev->name_len && ev->name[flen] != '+' && ev->name[flen] != ' ')
		flen++;
	in_module = memchr(ev->name, '[', ev->name_len) != NULL;
	if (in_module) {
		a->stack_has_pick = false;
		a->stack_open = false;
		return add_site(a, a->stack_win, ev->name, ev->name_len, a->stack_pages);
	}
	if (!a->stack_has_pick && !allocator_frame(ev->name, flen)) {
		size_t n = ev->name_len < SITE_MAX - 1 ? ev->name_len : SITE_MAX - 1;

		memcpy(a->stack_pick, ev->name, n);
		a->stack_pick[n] = '\0';
		a->stack_has_pick = true;
	}
	return 0;
}

/* Offline, a page event of a task the default filter would drop proves no filter ran. */
static void note_comm(struct acct *a, const struct event *ev)
{
	if (a->foreign_kmem || ev->pid == 1)
		return;
	if (ev->comm_len == 5 && !memcmp(ev->comm, "<...>", 5))
		return;
	/* prepare's filter lets every task's unmovable allocations through */
	if (ev->type == EV_PAGE_ALLOC && ev->unmovable)
		return;
	if (!is_loader(a, ev->comm, ev->comm_len) && !loaders_is_kworker(ev->comm, ev->comm_len))
		a->foreign_kmem = true;
}

/* @ev passed the loader filter, not the one that lets every task's kernel pages through. */
static int note_passed(struct acct *a, const struct event *ev)
{
	uint64_t *v;

	if ((ev->type == EV_PAGE_ALLOC && ev->unmovable) ||
	    u64map_get(&a->passed, (uint64_t)(unsigned)ev->pid))
		return 0;
	/* its newest window; windows it opens later take it from the map */
	v = u64map_get(&a->by_pid, (uint64_t)(unsigned)ev->pid);
	if (v)
		a->win[*v & ~WIN_OPEN_BIT].passed = true;
	return u64map_put(&a->passed, (uint64_t)(unsigned)ev->pid, 1);
}

static int page_alloc(struct acct *a, const struct event *ev)
{
	uint64_t n = 1ull << ev->order, *bulk;
	struct window *w;
	int r;

	note_comm(a, ev);
	r = note_passed(a, ev);
	if (r < 0)
		return r;
	if (ev->failed) {
		w = open_window_of(a, ev->pid);
		if (w) {
			w->saw_kmem = true;
			w->failed_allocs++;
		}
		return 0;
	}
	/* the bulk allocator's single-page path: counted here, not again at bulk_exit */
	bulk = u64map_get(&a->bulk, (uint64_t)(unsigned)ev->pid);
	if (bulk)
		*bulk += n;
	r = set_last(a, ev->pid, n);
	if (r < 0)
		return r;
	w = open_window_of(a, ev->pid);
	if (!w) {
		w = running_window(a, ev->pid);
		if (!w)
			return 0;
		add_work_pages(a, w, ev->pid, n);
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
	w = open_window_of(a, ev->pid);
	if (!w) {
		w = running_window(a, ev->pid);
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

/* Every task's bulk calls are traced (they are few): a call is tracked by its pid. */
static int bulk_enter(struct acct *a, const struct event *ev)
{
	return u64map_put(&a->bulk, (uint64_t)(unsigned)ev->pid,
			  ev->prefilled ? BULK_PREFILLED : 0);
}

/*
 * The bulk allocator returns how many pages its array (or list) holds: those it took
 * without mm_page_alloc are that less the ones mm_page_alloc reported inside the call.
 * Their pfns are not known, so a free of them inside the window cannot be matched.
 */
static int bulk_exit(struct acct *a, const struct event *ev)
{
	uint64_t *v = u64map_get(&a->bulk, (uint64_t)(unsigned)ev->pid), state, n;
	struct window *w;
	bool by_work = false;

	if (!v)
		return 0;
	state = *v;
	u64map_del(&a->bulk, (uint64_t)(unsigned)ev->pid);
	w = open_window_of(a, ev->pid);
	if (!w) {
		w = running_window(a, ev->pid);
		by_work = true;
	}
	if (state & BULK_PREFILLED) {
		a->bulk_prefilled += w != NULL;
		return 0;
	}
	if (ev->ret <= state)
		return 0;
	n = ev->ret - state;
	if (set_last(a, ev->pid, n) < 0)
		return -ENOMEM;
	if (!w)
		return 0;
	if (by_work) {
		add_work_pages(a, w, ev->pid, n);
		w->work_bulk += n;
		return 0;
	}
	w->saw_kmem = true;
	w->pages += n;
	w->bulk_pages += n;
	w->allocs += n;
	if (a->obs && a->obs->grew)
		while (n--)
			a->obs->grew(a->obs->ctx, w, 0);
	return 0;
}

/* The OOM killer chose a victim: every load in progress saw it. */
static void oom_victim(struct acct *a, const struct event *ev)
{
	size_t i;

	if (!a->oom_kills++)
		a->ts_first_oom = ev->ts_ns;
	for (i = 0; i < a->nwin; i++)
		if (a->win[i].end == END_OPEN && a->win[i].pid >= 0)
			a->win[i].oom_kills++;
	if (a->obs && a->obs->oom)
		a->obs->oom(a->obs->ctx, a, ev);
}

int acct_event(void *acct, const struct event *ev)
{
	struct acct *a = acct;
	int r;

	if (ev->type == EV_STACK_FRAME)
		return stack_frame(a, ev);
	/* any other event ends the stack above it */
	if (a->stack_open) {
		r = end_stack(a);
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
		a->page_events++;
		return page_alloc(a, ev);
	case EV_PAGE_FREE:
		a->page_events++;
		return page_free(a, ev);
	case EV_BULK_ENTER:
		a->bulk_events++;
		return bulk_enter(a, ev);
	case EV_BULK_EXIT:
		a->bulk_events++;
		return bulk_exit(a, ev);
	case EV_TASK_RENAME:
		a->rename_events++;
		return task_rename(a, ev);
	case EV_TASK_NEW:
		a->newtask_events++;
		return task_new(a, ev);
	case EV_WAKE:
		return task_wake(a, ev);
	case EV_WORK_QUEUE:
	case EV_WORK_START:
	case EV_WORK_END:
		a->work_events++;
		r = note_passed(a, ev);
		if (r < 0)
			return r;
		if (!ev->work) {
			a->work_hidden++;
			return 0;
		}
		if (ev->type == EV_WORK_QUEUE)
			return work_queue(a, ev);
		if (ev->type == EV_WORK_START)
			return work_start(a, ev);
		u64map_del(&a->running, (uint64_t)(unsigned)ev->pid);
		return 0;
	case EV_OOM_VICTIM:
		oom_victim(a, ev);
		return 0;
	case EV_OTHER:
		break;
	}
	return 0;
}

void acct_finish(struct acct *a)
{
	bool kmem_filtered = a->facts.filter_known ? a->facts.filter_active : !a->foreign_kmem;
	size_t i;

	end_stack(a);
	/* Loading a module allocates pages: none at all means nobody recorded them. */
	if (a->nwin && !a->page_events)
		a->no_page_events = true;
	for (i = 0; i < a->nwin; i++) {
		struct window *w = &a->win[i];

		pageset_free(&w->live);
		pageset_free(&w->work_live);
		if (w->end == END_OPEN)
			w->status = WIN_LOADING;
		/*
		 * The filter hid its frees, whatever allocations came through, unless events
		 * only a loader's pass show it was one; offline, where the filter is not
		 * known, a page event of its own in the window also counts.
		 */
		if (kmem_filtered && w->pid >= 0 && w->pid != 1 && strcmp(w->comm, "<...>") &&
		    !w->passed &&
		    (a->facts.filter_known || !w->saw_kmem) &&
		    !is_loader(a, w->comm, strlen(w->comm)))
			w->filtered = true;
	}
	u64map_free(&a->by_pid);
	u64map_free(&a->work_owner);
	u64map_free(&a->running);
	u64map_free(&a->kthread);
	u64map_free(&a->newborn);
	u64map_free(&a->passed);
	u64map_free(&a->bulk);
	u64map_free(&a->last);
}

int acct_apply_modules(struct acct *a, const struct proc_module *pm, size_t n, bool lost)
{
	bool *seen = calloc(n ? n : 1, sizeof(*seen));
	size_t i, j;

	if (!seen)
		return -ENOMEM;
	/* The last window of a name is the module now in memory; earlier ones were replaced. */
	for (i = a->nwin; i-- > 0;) {
		struct window *w = &a->win[i];

		for (j = 0; j < n && strcmp(pm[j].name, w->name); j++)
			;
		if (j == n) {
			if (w->status == WIN_LOADED)
				w->status = WIN_FAILED;
			continue;
		}
		if (!seen[j]) {
			w->image_bytes = pm[j].size;
			/* Without module_put the last load of a loader ends with the trace. */
			if (w->status == WIN_LOADING && a->facts.no_put_events && pm[j].live) {
				w->status = WIN_LOADED;
				w->end = END_TRACE;
			}
		}
		seen[j] = true;
	}
	/* /proc/modules lists the newest first: append the unseen ones oldest first. */
	for (i = n; i-- > 0;) {
		struct window *w;

		if (seen[i])
			continue;
		w = new_window(a);
		if (!w) {
			free(seen);
			return -ENOMEM;
		}
		snprintf(w->name, sizeof(w->name), "%s", pm[i].name);
		w->pid = -1;
		w->image_bytes = pm[i].size;
		/* A load among lost events looks the same as one before tracing. */
		w->status = lost ? WIN_NOT_SEEN : WIN_BEFORE_TRACING;
		w->end = END_OPEN;
	}
	free(seen);
	return 0;
}

/*
 * Keeps MemAvailable over time in at most LOW_SERIES_MAX points: when full, pairs merge
 * into their lower one and a point stands for twice as many samples (the lowest of them).
 */
static void add_series(struct low_point *l, long long kib, uint64_t ts_ns)
{
	uint32_t i;

	if (!l->stride)
		l->stride = 1;
	if (l->pending && l->nseries) {
		/* the open point: the lowest of its samples, at its time */
		if (kib < l->series[l->nseries - 1].kib) {
			l->series[l->nseries - 1].kib = kib;
			l->series[l->nseries - 1].ts_ns = ts_ns;
		}
		if (++l->pending >= l->stride)
			l->pending = 0;
		return;
	}
	if (l->nseries == LOW_SERIES_MAX) {
		for (i = 0; i < LOW_SERIES_MAX / 2; i++)
			l->series[i] = l->series[2 * i].kib <= l->series[2 * i + 1].kib ?
					       l->series[2 * i] : l->series[2 * i + 1];
		l->nseries = LOW_SERIES_MAX / 2;
		l->stride *= 2;
	}
	l->series[l->nseries].ts_ns = ts_ns;
	l->series[l->nseries].kib = kib;
	l->nseries++;
	l->pending = l->stride > 1 ? 1 : 0;
}

void acct_sample_available(struct acct *a, long long kib, uint64_t ts_ns)
{
	struct low_point *l = &a->low;
	size_t i, len = 0;

	if (kib < 0)
		return;
	add_series(l, kib, ts_ns);
	if (l->samples++ && kib >= l->avail_kib)
		return;
	l->avail_kib = kib;
	l->ts_ns = ts_ns;
	l->loading[0] = '\0';
	for (i = 0; i < a->nwin && len < sizeof(l->loading); i++) {
		const struct window *w = &a->win[i];

		if (w->end != END_OPEN || w->pid < 0)
			continue;
		len += (size_t)snprintf(l->loading + len, sizeof(l->loading) - len, "%s%s",
					len ? ", " : "", w->name);
	}
}

void acct_free(struct acct *a)
{
	size_t i;

	for (i = 0; i < a->nwin; i++) {
		pageset_free(&a->win[i].live);
		pageset_free(&a->win[i].work_live);
	}
	free(a->win);
	free(a->sites);
	u64map_free(&a->by_pid);
	u64map_free(&a->work_owner);
	u64map_free(&a->running);
	u64map_free(&a->kthread);
	u64map_free(&a->newborn);
	u64map_free(&a->passed);
	u64map_free(&a->bulk);
	u64map_free(&a->last);
	*a = (struct acct){ 0 };
}
