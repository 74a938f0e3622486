// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bulk allocator (vmalloc's pages): prepare's kprobes mark its calls, bulk_enter and
 * bulk_exit. Pages it takes one by one fire mm_page_alloc and are counted there; the
 * rest are the call's return value less those, without pfns, so their frees cannot be
 * matched. Every task's bulk calls are traced (they are few): a call is tracked by pid.
 */
#include <errno.h>

#include "account-parts.h"

/* acct.bulk: the call's array had pages already (not counted); the rest, pages inside */
#define BULK_PREFILLED (1ull << 63)

int bulk_enter(struct acct *a, const struct event *ev)
{
	return u64map_put(&a->bulk, pid_key(ev->pid), ev->prefilled ? BULK_PREFILLED : 0);
}

/* @n bulk pages of a call by the loader in its window @w. */
static void add_bulk(struct acct *a, struct window *w, uint64_t n)
{
	w->saw_kmem = true;
	w->pages += n;
	w->bulk_pages += n;
	w->allocs += n;
	if (a->obs && a->obs->grew)
		while (n--)
			a->obs->grew(a->obs->ctx, w, 0);
}

/*
 * The bulk allocator returns how many pages its array (or list) holds: those it took
 * without mm_page_alloc are that less the ones mm_page_alloc reported inside the call.
 */
int bulk_exit(struct acct *a, const struct event *ev)
{
	uint64_t *v = u64map_get(&a->bulk, pid_key(ev->pid)), state, n;
	struct window *w;
	bool by_work = false;

	if (!v) {
		/* its call is not in the trace: how many pages it took is unknown */
		a->counts.bulk_no_call +=
			acct_open_window(a, ev->pid) || work_window(a, ev->pid);
		return 0;
	}
	state = *v;
	u64map_del(&a->bulk, pid_key(ev->pid));
	w = acct_open_window(a, ev->pid);
	if (!w) {
		w = work_window(a, ev->pid);
		by_work = true;
	}
	if (state & BULK_PREFILLED) {
		a->counts.bulk_prefilled += w != NULL;
		return 0;
	}
	if (ev->ret <= state)
		return 0;
	n = ev->ret - state;
	if (sites_last(a, ev->pid, n) < 0)
		return -ENOMEM;
	if (!w)
		return 0;
	if (by_work) {
		work_add_pages(a, w, ev->pid, n);
		w->work_bulk += n;
		return sites_work(a, ev->pid, STACK_NO_PFN);
	}
	add_bulk(a, w, n);
	return 0;
}

void bulk_single(struct acct *a, int pid, uint64_t n)
{
	uint64_t *bulk = u64map_get(&a->bulk, pid_key(pid));

	if (bulk)
		*bulk += n;
}
