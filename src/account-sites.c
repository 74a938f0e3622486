// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Call sites, with rd.memdebug=5: the stack trigger follows each page allocation with
 * "<stack trace>" and its frames. The pages of the allocation go to the first frame in
 * a module, else to the first outside the allocators, of the window that took them; a
 * stack of no load whose first module frame names a module gives that module late pages.
 * rd.memdebug=4 records the stacks of the allocations that no loader makes (and the
 * kworkers'), from the raw buffers, whose frames are addresses that the source placed in
 * the modules ("0xADDR [module]"): late pages only.
 *
 * The kernel names the frames when the trace is read, not when it was recorded. By then
 * a module whose init failed is gone, and the init text of every loaded module is freed:
 * an address there reads as a bare 0x... or, through ftrace's map of freed init
 * functions, as the init of an earlier module that had the same address. The frame
 * right above do_one_initcall in a load is the loading module's init, whatever it reads:
 * a site that reads as another module's, or as no symbol, down to there is flagged as
 * the loading module's freed init, unless the frames down to there name two modules
 * (the init called into another module: the site reads as it is).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account-parts.h"

int sites_last(struct acct *a, int pid, uint64_t n)
{
	return u64map_put(&a->stacks.last, pid_key(pid), n);
}

int sites_work(struct acct *a, int pid, uint64_t pfn)
{
	return u64map_put(&a->stacks.work_pfn, pid_key(pid), pfn);
}

/* Adds @pages to site @name (@len bytes) of window @win. Returns 0 or -ENOMEM. */
static int add_site(struct acct_stacks *st, uint32_t win, const char *name, size_t len,
		    uint64_t pages)
{
	struct site *s;
	size_t i;

	if (len >= SITE_MAX)
		len = SITE_MAX - 1;
	for (i = st->nsites; i-- > 0;) {
		s = &st->sites[i];
		if (s->win == win && !strncmp(s->name, name, len) && !s->name[len]) {
			s->pages += pages;
			return 0;
		}
	}
	if (st->nsites == st->capsites) {
		size_t cap = st->capsites ? st->capsites * 2 : 64;
		struct site *n = realloc(st->sites, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		st->sites = n;
		st->capsites = cap;
	}
	s = &st->sites[st->nsites++];
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
		"__alloc_pages",
		"alloc_pages",
		"__get_free_pages",
		"get_zeroed_page",
		"__folio_alloc",
		"folio_alloc",
		"alloc_slab_page",
		"allocate_slab",
		"new_slab",
		"___slab_alloc",
		"__slab_alloc",
		"slab_alloc",
		"kmalloc",
		"__kmalloc",
		"kmem_cache_alloc",
		"__kmem_cache_alloc",
		"krealloc",
		"__do_krealloc",
		"kmemdup",
		"kstrdup",
		"kvmalloc",
		"__kvmalloc",
		"kvzalloc",
		"__vmalloc",
		"vmalloc",
		"vzalloc",
		"__vmap",
		"vmap_",
		"__get_vm_area",
		"get_vm_area",
		"__pte_alloc",
		"__pmd_alloc",
		"__pud_alloc",
		"__p4d_alloc",
		"pcpu_",
		"alloc_pages_exact",
		"dma_alloc",
		"dma_direct_alloc",
		"__dma_direct_alloc",
		"trace_",
		"__trace_",
		"event_triggers_call",
		"ftrace_",
		"kretprobe_",
		"__kretprobe_",
		"arch_rethook",
		"rethook_",
		"__rethook",
	};
	size_t i, n;

	for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		n = strlen(prefix[i]);
		if (len >= n && !memcmp(f, prefix[i], n))
			return true;
	}
	return false;
}

static int work_to_late(struct acct *a);

/* Ends the stack being read: its pages go to the frame picked, if any. */
int stack_end(struct acct *a)
{
	if (!a->stacks.open)
		return 0;
	a->stacks.open = false;
	a->stacks.held = false;
	if (!a->stacks.framed) {
		a->counts.empty_stacks++;
		a->counts.empty_stack_pages += a->stacks.pages;
		return 0;
	}
	if (a->stacks.work && !a->stacks.own && a->stacks.other[0])
		return work_to_late(a);
	if (!a->stacks.has_pick || a->stacks.win == STACK_LATE)
		return 0;
	return add_site(&a->stacks, a->stacks.win, a->stacks.pick, strlen(a->stacks.pick),
			a->stacks.pages);
}

/* "<stack trace>" of @ev->pid: the stack of its latest allocation in a window. */
int stack_begin(struct acct *a, const struct event *ev)
{
	uint64_t *last = u64map_get(&a->stacks.last, pid_key(ev->pid));
	struct window *w = acct_open_window(a, ev->pid);
	uint64_t *pfn = NULL;
	int r = stack_end(a);

	a->counts.stack_events++;
	if (!w) {
		w = work_window(a, ev->pid);
		pfn = u64map_get(&a->stacks.work_pfn, pid_key(ev->pid));
	}
	if (r < 0 || !last || !*last)
		return r;
	a->stacks.open = true;
	a->stacks.first = true;
	a->stacks.framed = false;
	a->stacks.has_pick = false;
	a->stacks.held = false;
	a->stacks.work = w && pfn;
	a->stacks.own = false;
	a->stacks.bare = false;
	a->stacks.other[0] = '\0';
	a->stacks.pfn = pfn ? *pfn : STACK_NO_PFN;
	if (pfn)
		u64map_del(&a->stacks.work_pfn, pid_key(ev->pid));
	a->stacks.win = w ? (uint32_t)(w - a->win) : STACK_LATE;
	a->stacks.pages = *last;
	a->stacks.pid = ev->pid;
	snprintf(a->stacks.comm, sizeof(a->stacks.comm), "%.*s",
		 (int)(ev->comm_len < COMM_MAX ? ev->comm_len : COMM_MAX), ev->comm);
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

/* The module a frame names ("[module]"), @len bytes, or NULL. */
static const char *frame_module(const struct event *ev, size_t *len)
{
	const char *open = memchr(ev->name, '[', ev->name_len),
		   *e = ev->name + ev->name_len;
	const char *close;

	if (!open)
		return NULL;
	close = memchr(open, ']', (size_t)(e - open));
	if (!close)
		return NULL;
	*len = (size_t)(close - open - 1);
	return open + 1;
}

/* What kallsyms lists beside the modules: ftrace's and kprobes' trampolines, BPF. */
static bool pseudo_module(const char *m, size_t len)
{
	return (len >= 11 && !memcmp(m, "__builtin__", 11)) ||
	       (len == 3 && !memcmp(m, "bpf", 3));
}

/* The stack's pages are late pages of the module @m (@len bytes). */
static void add_late(struct acct *a, const char *m, size_t len)
{
	struct window *w = window_named(a, m, len);

	/* a module loaded before tracing: its window, which /proc/modules completes */
	if (!w && len && len <= MODNAME_MAX && !memchr(m, '/', len)) {
		w = acct_new_window(a);
		if (w) {
			memcpy(w->name, m, len);
			w->name[len] = '\0';
			w->pid = -1;
			w->status = WIN_BEFORE_TRACING;
			w->end = END_OPEN;
		}
	}
	if (w) {
		w->late_pages += a->stacks.pages;
		if (a->obs && a->obs->late)
			a->obs->late(a->obs->ctx, w, a->stacks.pages, a->stacks.comm,
				     a->stacks.pid);
	}
}

/*
 * A stack of no load: the first frame in a module ("func+off/size [mod]") says whose
 * code allocated; its pages are that module's late pages. Returns whether it found one.
 */
static bool late_frame(struct acct *a, const struct event *ev)
{
	size_t len;
	const char *m = frame_module(ev, &len);

	if (!m || pseudo_module(m, len))
		return false;
	add_late(a, m, len);
	return true;
}

/* The frame names no symbol: "0xffffffffc0a1b040". */
static bool bare_frame(const struct event *ev)
{
	return ev->name_len > 2 && ev->name[0] == '0' && ev->name[1] == 'x';
}

/* The frame names a module other than that of the stack's window. */
static bool foreign_frame(const struct acct *a, const struct event *ev)
{
	const char *mod = a->win[a->stacks.win].name, *m;
	size_t len;

	m = frame_module(ev, &len);
	return m && (len != strlen(mod) || memcmp(m, mod, len));
}

/*
 * A held frame: one more that may be freed init text. Frames of two modules are a call
 * from one into the other, which reads as it is.
 */
static void hold(struct acct *a, const struct event *ev)
{
	size_t len = 0;
	const char *m = frame_module(ev, &len);

	if (!m || len > MODNAME_MAX)
		return;
	if (!a->stacks.held_mod[0]) {
		memcpy(a->stacks.held_mod, m, len);
		a->stacks.held_mod[len] = '\0';
	} else if (strlen(a->stacks.held_mod) != len ||
		   memcmp(a->stacks.held_mod, m, len)) {
		a->stacks.mixed = true;
	}
}

/* The held pick was the window's module's freed init: say so, the kernel's name beside. */
static int freed_init_site(struct acct *a)
{
	const char *mod = a->win[a->stacks.win].name;
	char site[SITE_MAX];
	size_t n = strcspn(a->stacks.pick, " ");
	/* "freed init (kernel: " ") [" mod "]" */
	size_t room = SITE_MAX - 1 - 20 - 3 - strlen(mod) - 1;

	if (n > room)
		n = room;
	snprintf(site, sizeof(site), "freed init (kernel: %.*s) [%s]", (int)n,
		 a->stacks.pick, mod);
	a->stacks.has_pick = false;
	a->stacks.held = false;
	a->stacks.open = false;
	return add_site(&a->stacks, a->stacks.win, site, strlen(site), a->stacks.pages);
}

/* Picks @ev as the stack's call site, to be added when the stack ends. */
static void pick(struct acct *a, const struct event *ev, bool held)
{
	size_t n = ev->name_len < SITE_MAX - 1 ? ev->name_len : SITE_MAX - 1;

	memcpy(a->stacks.pick, ev->name, n);
	a->stacks.pick[n] = '\0';
	a->stacks.has_pick = true;
	a->stacks.held = held;
	a->stacks.mixed = false;
	a->stacks.held_mod[0] = '\0';
	if (held)
		hold(a, ev);
}

/*
 * A load's work or thread allocated, and its stack named another module's code and not
 * the load's: the code of a driver whose probe the load let go on (a deferred probe that
 * the load's driver binding triggered), not the load's work. Its pages leave the load's
 * work figures for that module's late pages; a free of them later counts for no load.
 */
static int work_to_late(struct acct *a)
{
	uint32_t idx = a->stacks.win;
	struct window *w;

	/* first, for it may move the windows */
	add_late(a, a->stacks.other, strlen(a->stacks.other));
	w = &a->win[idx];
	work_remove_pages(a, w, a->stacks.pid, a->stacks.pages);
	if (a->stacks.pfn == STACK_NO_PFN)
		w->work_bulk -= a->stacks.pages;
	else
		pageset_remove(&w->work_live, a->stacks.pfn, a->stacks.pages);
	return 0;
}

/* The stack's call site so far is a module's frame. */
static bool module_pick(const struct acct *a)
{
	return a->stacks.has_pick && strchr(a->stacks.pick, '[');
}

/*
 * A frame of a stack of a load's work or thread: whether it names the load's module or
 * another; with symbols (rd.memdebug=5), the call site as in a load.
 */
static int work_frame(struct acct *a, const struct event *ev, size_t flen)
{
	const char *mod = a->win[a->stacks.win].name;
	size_t len;
	const char *m = frame_module(ev, &len);

	if (a->stacks.first) {
		a->stacks.first = false;
		a->stacks.bare = bare_frame(ev);
		if (!a->stacks.bare)
			a->counts.load_stacks++;
	}
	if (m && len == strlen(mod) && !memcmp(m, mod, len)) {
		a->stacks.own = true;
		if (!a->stacks.bare && !module_pick(a))
			pick(a, ev, false);
		return stack_end(a);
	}
	if (m && !pseudo_module(m, len) && len <= MODNAME_MAX) {
		if (!a->stacks.other[0]) {
			memcpy(a->stacks.other, m, len);
			a->stacks.other[len] = '\0';
		}
		if (!a->stacks.bare && !module_pick(a))
			pick(a, ev, false);
		return 0;
	}
	if (!a->stacks.bare && !a->stacks.has_pick && !allocator_frame(ev->name, flen))
		pick(a, ev, false);
	return 0;
}

/*
 * A frame: the first in a module ("[module]") is the call site; without one, the first
 * outside the allocators (the kernel code that allocated on the module's behalf). A
 * site that may be freed init text is held until the frames below it tell.
 */
int stack_frame(struct acct *a, const struct event *ev)
{
	size_t flen = 0;
	bool in_module;

	if (!a->stacks.open)
		return 0;
	a->stacks.framed = true;
	if (a->stacks.win == STACK_LATE) {
		if (late_frame(a, ev))
			a->stacks.open = false;
		return 0;
	}
	while (flen < ev->name_len && ev->name[flen] != '+' && ev->name[flen] != ' ')
		flen++;
	if (a->stacks.work)
		return work_frame(a, ev, flen);
	/*
	 * A stack in a window starts in tracing code, which has symbols: one that starts at
	 * a bare address is rd.memdebug=4's (PID 1, a kworker), whose window has the pages
	 * already and whose frames name no site.
	 */
	if (a->stacks.first) {
		a->stacks.first = false;
		if (bare_frame(ev)) {
			a->stacks.open = false;
			return 0;
		}
		a->counts.load_stacks++;
	}
	in_module = memchr(ev->name, '[', ev->name_len) != NULL;
	if (a->stacks.held) {
		if (flen == 15 && !memcmp(ev->name, "do_one_initcall", 15))
			return a->stacks.mixed ? stack_end(a) : freed_init_site(a);
		if (bare_frame(ev) || foreign_frame(a, ev)) {
			hold(a, ev);
			return 0;
		}
		a->stacks.held = false;
		/* another module's code the loading module called */
		if (strchr(a->stacks.pick, '['))
			return stack_end(a);
		/* below a bare address, a frame in the module still wins */
	}
	if (in_module) {
		if (foreign_frame(a, ev)) {
			pick(a, ev, true);
			return 0;
		}
		a->stacks.has_pick = false;
		a->stacks.open = false;
		return add_site(&a->stacks, a->stacks.win, ev->name, ev->name_len,
				a->stacks.pages);
	}
	if (!a->stacks.has_pick && !allocator_frame(ev->name, flen))
		pick(a, ev, bare_frame(ev));
	return 0;
}
