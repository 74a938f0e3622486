// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The summary: every decision of the report, made once for every sink. What the trace
 * let the report measure, each row's figures (known, not measured, or not there), the
 * sums, how much net may be too high, which notes go under the table, and the order of
 * the rows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "summary.h"

/* What the trace shows besides the pages of the loaders. */
struct traced {
	bool bulk;    /* bulk allocator events: vmalloc's pages */
	bool work;    /* workqueue events with their work addresses */
	bool threads; /* kernel threads, linked to their creators */
	bool sites;   /* rd.memdebug=5: the stacks of the loaders' allocations */
	/*
	 * the stacks of allocations outside the loads, placed in the modules: late pages
	 * (rd.memdebug=4 and 5)
	 */
	bool late;
};

static const char *window_status_name(enum win_status status)
{
	static const char *const names[] = {
		[WIN_LOADED] = "loaded",     [WIN_LOADING] = "loading",
		[WIN_FAILED] = "failed",     [WIN_BEFORE_TRACING] = "before-tracing",
		[WIN_NOT_SEEN] = "not-seen",
	};

	return names[status];
}

static const char *window_end_name(enum win_end end)
{
	static const char *const names[] = {
		[END_PUT] = "module_put",
		[END_NEXT_LOAD] = "next-load",
		[END_OPEN] = "none",
		[END_TRACE] = "trace-end",
	};

	return names[end];
}

bool window_init_known(const struct window *w)
{
	return win_traced(w) && (w->end == END_PUT || w->end == END_NEXT_LOAD) &&
	       w->ts_end >= w->ts_load;
}

/* Whether the trace shows kernel threads being started (task_rename, or task_newtask). */
static bool threads_traced(const struct acct *a)
{
	return a->counts.rename_events || a->counts.newtask_events;
}

/* Whether they can be linked to their creators: not when the threads name themselves. */
static bool threads_measured(const struct acct *a)
{
	return threads_traced(a) &&
	       (!a->counts.kthreads_unlinked || a->counts.newtask_events);
}

/* @v, known when @known, else not there. */
static struct fig known_if(bool known, uint64_t v)
{
	return (struct fig){ known ? FIG_KNOWN : FIG_NONE, v };
}

/* A figure of row @r's pages: known when it was measured and @shown, n/a when not measured. */
static struct fig row_fig(const struct summary_row *r, bool shown, uint64_t v)
{
	if ((r->traced || r->untraced) && !r->measured)
		return (struct fig){ FIG_NA, 0 };
	return known_if(r->measured && shown, v);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * rd.memdebug=5: the call sites of window @idx with the most pages, at most @max, into
 * @out, most first (ties in the order they were seen); returns how many.
 */
static size_t top_sites(const struct acct *a, uint32_t idx, const struct site **out,
			size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < a->stacks.nsites; i++) {
		const struct site *site = &a->stacks.sites[i];

		if (site->win != idx)
			continue;
		for (j = n; j > 0 && out[j - 1]->pages < site->pages; j--)
			if (j < max)
				out[j] = out[j - 1];
		if (j < max) {
			out[j] = site;
			if (n < max)
				n++;
		}
	}
	return n;
}

/*
 * Row @r of window @w (index @idx of @a); @kib is the KiB of a page. With @untraced
 * nothing was traced at this boot: the modules of /proc/modules are not-traced, not
 * before-tracing, and their pages are not measured.
 */
static void make_row(struct summary_row *r, const struct acct *a, size_t idx,
		     const struct traced *t, uint64_t kib, bool untraced)
{
	const struct window *w = &a->win[idx];
	bool traced = win_traced(w);

	*r = (struct summary_row){
		.name = w->name,
		.comm = w->comm,
		.pid = w->pid,
		.traced = traced,
		.untraced = untraced && !traced,
		/* pages are known for traced windows whose page events were recorded */
		.measured = !a->counts.no_page_events && !w->filtered && traced,
		.init_known = window_init_known(w),
		.filtered = w->filtered,
		.loaded = w->status == WIN_LOADED,
		.before = w->status == WIN_BEFORE_TRACING || (untraced && !traced),
		.load_ns = w->ts_load,
		.end_ns = w->ts_end,
		.status = untraced && !traced ? "not-traced"
					      : window_status_name(w->status),
		.closed_by = window_end_name(w->end),
	};
	if (r->init_known)
		r->init_ns = w->ts_end - w->ts_load;
	r->pages = row_fig(r, true, w->pages);
	r->kib = row_fig(r, true, w->pages * kib);
	r->net = row_fig(r, true, window_net(w));
	r->bulk_pages = row_fig(r, t->bulk, w->bulk_pages);
	r->freed_unmatched = row_fig(r, true, w->unmatched_free_pages);
	r->work_pages = row_fig(r, t->work, w->work_pages);
	r->work_net = row_fig(r, t->work, w->work_pages - w->work_freed);
	r->work_late = row_fig(r, t->work, w->work_late);
	r->work_bulk = row_fig(r, t->work && t->bulk, w->work_bulk);
	r->kthreads = known_if(traced && t->threads, w->kthreads);
	r->kthread_pages = row_fig(r, t->threads, w->kthread_pages);
	/*
	 * Late pages come from stacks after the load: a module loaded before tracing, or by
	 * a task the filter did not record, has them too.
	 */
	r->late_pages = r->untraced || a->counts.no_page_events
				? row_fig(r, t->late, w->late_pages)
				: known_if(t->late, w->late_pages);
	r->total_pages = row_fig(r, t->work, w->pages + w->work_pages);
	r->total_net = row_fig(r, t->work, window_net(w) + w->work_pages - w->work_freed);
	r->allocs = known_if(traced, w->allocs);
	r->frees = known_if(traced, w->frees);
	r->failed_allocs = known_if(traced, w->failed_allocs);
	r->oom_kills = known_if(traced, w->oom_kills);
	r->image_bytes = known_if(w->image_bytes, w->image_bytes);
	r->image_kib = known_if(w->image_bytes, kib_up(w->image_bytes));
	/*
	 * Bulk pages have no pfn: frees of pages a load had not allocated one by one may
	 * have been bulk pages, so net may be high by up to the smaller of the two.
	 */
	r->net_over = row_fig(r, true,
			      min_u64(w->bulk_pages, w->unmatched_free_pages) +
				      min_u64(w->work_bulk, w->work_unmatched));
	if (t->sites)
		r->nsites = top_sites(a, (uint32_t)idx, r->sites, SUMMARY_SITES);
}

/* Adds measured window @w to the sums of @s, and its work's net to *@work_net. */
static void add_to_total(struct summary *s, const struct window *w, uint64_t *work_net)
{
	s->total.pages += w->pages;
	s->total.net += window_net(w);
	s->bulk_unmatched += (w->bulk_pages && w->unmatched_free_pages) ||
			     (w->work_bulk && w->work_unmatched);
	s->total.work_pages.v += w->work_pages;
	*work_net += w->work_pages - w->work_freed;
	s->total.kthread_pages.v += w->kthread_pages;
}

/* Counts the windows of @a by status and sums the measured ones. */
static void add_up(struct summary *s, const struct acct *a, const struct traced *t,
		   uint64_t kib)
{
	uint64_t image_kib = 0, work_net = 0;
	size_t i;

	for (i = 0; i < a->nwin; i++) {
		const struct window *w = &a->win[i];

		if (s->rows[i].measured)
			add_to_total(s, w, &work_net);
		if (s->rows[i].late_pages.state == FIG_KNOWN)
			s->total.late_pages.v += w->late_pages;
		image_kib += kib_up(w->image_bytes);
		if (s->rows[i].untraced) {
			s->not_traced++;
			continue;
		}
		s->filtered += w->filtered;
		s->loading += w->status == WIN_LOADING;
		s->failed += w->status == WIN_FAILED;
		s->next_load += w->end == END_NEXT_LOAD;
		s->before += w->status == WIN_BEFORE_TRACING;
		s->not_seen += w->status == WIN_NOT_SEEN;
		s->oom_loads += w->oom_kills > 0;
	}
	s->loads = a->nwin - s->before - s->not_seen - s->not_traced;
	s->total.kib = s->total.pages * kib;
	s->total.work_net = known_if(t->work, work_net);
	s->total.work_pages.state = t->work ? FIG_KNOWN : FIG_NONE;
	s->total.kthread_pages.state = t->threads ? FIG_KNOWN : FIG_NONE;
	s->total.late_pages.state = t->late ? FIG_KNOWN : FIG_NONE;
	s->total.image_kib = known_if(image_kib, image_kib);
	s->alloc_net_kib = known_if(!a->counts.no_page_events && !s->src.not_traced,
				    (s->total.net + work_net) * kib);
}

/* The notes under the table: what the figures leave out, and why. */
static uint64_t pick_notes(const struct summary *s, const struct acct *a)
{
	const struct source_stats *st = &s->stats;
	bool pages = s->measured.pages, loads = s->loads > 0;
	uint64_t n = 0;

#define NOTE(id, cond) (n |= (uint64_t) !!(cond) << (id))
	NOTE(NOTE_NO_LOADS, !a->nwin);
	NOTE(NOTE_LOST_SINCE_BOOT, st->lost && s->src.since_boot);
	NOTE(NOTE_LOST_BUFFER, st->lost && !s->src.since_boot && s->src.buffer_kb);
	NOTE(NOTE_LOST, st->lost && !s->src.since_boot && !s->src.buffer_kb);
	NOTE(NOTE_MALFORMED, st->malformed);
	NOTE(NOTE_GAP, st->gap);
	NOTE(NOTE_OOM, a->counts.oom_kills);
	NOTE(NOTE_OOM_LOADS, a->counts.oom_kills && s->oom_loads);
	NOTE(NOTE_NO_PAGES, !pages && loads);
	NOTE(NOTE_NO_BULK, pages && loads && !a->counts.bulk_enters);
	NOTE(NOTE_BULK_NO_CALL, pages && a->counts.bulk_enters && a->counts.bulk_no_call);
	NOTE(NOTE_BULK_NO_RETURN, pages && loads && a->counts.bulk_enters &&
					  a->counts.bulk_events == a->counts.bulk_enters);
	NOTE(NOTE_NO_WORK, loads && pages && !a->counts.work_events);
	NOTE(NOTE_WORK_HIDDEN,
	     !(loads && pages && !a->counts.work_events) && a->counts.work_hidden);
	NOTE(NOTE_WORK, !(loads && pages && !a->counts.work_events) &&
				!a->counts.work_hidden && s->total.work_pages.v);
	if (loads && pages) {
		NOTE(NOTE_NO_THREADS, !threads_traced(a));
		NOTE(NOTE_THREADS_UNLINKED, threads_traced(a) && !threads_measured(a));
		NOTE(NOTE_THREADS, threads_measured(a) && s->total.kthread_pages.v);
		NOTE(NOTE_NO_STACKS, !a->counts.stack_events);
		NOTE(NOTE_LATE_UNPLACED, a->counts.stack_events && st->stacks_unplaced);
		NOTE(NOTE_STACKS_EMPTY, a->counts.empty_stacks);
		NOTE(NOTE_LATE, a->counts.stack_events && !st->stacks_unplaced &&
					s->total.late_pages.v);
	}
	NOTE(NOTE_BULK_PREFILLED, a->counts.bulk_prefilled);
	NOTE(NOTE_NET_BOUND, s->bulk_unmatched);
	NOTE(NOTE_FILTERED, pages && s->filtered);
	NOTE(NOTE_LOADING, s->loading);
	NOTE(NOTE_FAILED, s->failed);
	NOTE(NOTE_NEXT_LOAD, s->next_load);
	NOTE(NOTE_BEFORE, s->before);
	NOTE(NOTE_NOT_SEEN, s->not_seen);
	NOTE(NOTE_NOT_TRACED, s->not_traced);
	NOTE(NOTE_NO_PUT, a->facts.no_put_events && !s->next_load);
#undef NOTE
	return n;
}

struct sort_ctx {
	const struct summary *s;
	const struct acct *a;
	enum sort_key key;
};

/* Rows by the key, then in load order. */
static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct window *a = &c->a->win[ia], *b = &c->a->win[ib];
	bool ma = c->s->rows[ia].measured, mb = c->s->rows[ib].measured;
	int r = 0;

	if (c->key == SORT_NAME) {
		r = strcmp(a->name, b->name);
	} else if (c->key == SORT_PAGES) {
		if (ma != mb)
			r = ma ? -1 : 1;
		else if (a->pages != b->pages)
			r = a->pages > b->pages ? -1 : 1;
	}
	if (!r)
		r = ia < ib ? -1 : ia > ib;
	return r;
}

int summary_make(struct summary *s, const struct acct *a, const struct source_stats *st,
		 const struct source_info *src, enum sort_key key)
{
	struct sort_ctx c = { s, a, key };
	uint64_t kib = src->page_size / 1024;
	struct traced t = {
		/* returns without their calls, or calls and no return: no measure */
		.bulk = a->counts.bulk_enters && !a->counts.bulk_no_call &&
			a->counts.bulk_events > a->counts.bulk_enters,
		.work = a->counts.work_events && !a->counts.work_hidden,
		.threads = threads_measured(a),
		.sites = a->counts.load_stacks,
		.late = a->counts.stack_events && !st->stacks_unplaced,
	};
	size_t i;

	*s = (struct summary){ .stats = *st, .src = *src, .nrows = a->nwin };
	/* a report of nothing traced is not complete, whatever it lost */
	s->complete = !st->lost && !st->malformed && !st->gap && !src->not_traced;
	s->order = malloc((a->nwin ? a->nwin : 1) * sizeof(*s->order));
	s->rows = malloc((a->nwin ? a->nwin : 1) * sizeof(*s->rows));
	if (!s->order || !s->rows) {
		log_err("out of memory sorting the report");
		summary_free(s);
		return -ENOMEM;
	}
	/* bulk pages (vmalloc) are seen through prepare's kprobe events only */
	s->measured.pages = !a->counts.no_page_events && !src->not_traced;
	s->measured.bulk = s->measured.pages && t.bulk;
	s->measured.work = s->measured.pages && t.work;
	s->measured.threads = s->measured.pages && t.threads;
	s->measured.late = s->measured.pages && t.late;
	s->sites = t.sites;
	s->oom_kills = a->counts.oom_kills;
	s->ts_first_oom = a->counts.ts_first_oom;
	s->work_hidden = a->counts.work_hidden;
	s->kthreads_unlinked = a->counts.kthreads_unlinked;
	s->bulk_prefilled = a->counts.bulk_prefilled;
	s->bulk_no_call = a->counts.bulk_no_call;
	s->empty_stacks = a->counts.empty_stacks;
	s->empty_stack_pages = a->counts.empty_stack_pages;
	for (i = 0; i < a->nwin; i++) {
		s->order[i] = i;
		make_row(&s->rows[i], a, i, &t, kib, src->not_traced != NULL);
	}
	add_up(s, a, &t, kib);
	s->notes = pick_notes(s, a);
	qsort_r(s->order, a->nwin, sizeof(*s->order), cmp_rows, &c);
	return 0;
}

void summary_low(struct summary *s, const struct low_point *l)
{
	s->low = l->samples ? l : NULL;
}

/*
 * KiB that the modules loaded by the low point (@s->low, else the report) held then, all
 * of it taken after the initramfs was unpacked (they came from it): the images of those
 * loaded before tracing began and of the loads that ended by then, and what those loads
 * allocated and still held at the report (net, less what may be bulk pages freed by
 * others: net_over; pages freed between the low point and the report only make it
 * smaller, which raises the estimate). -1 when the pages were traced and not measured.
 */
static long long loaded_kib(const struct summary *s, unsigned page_size)
{
	uint64_t pages = 0, kib = 0;
	size_t i;

	if (page_size < 1024 || (!s->measured.pages && !s->src.not_traced))
		return -1;
	for (i = 0; i < s->nrows; i++) {
		const struct summary_row *r = &s->rows[i];

		if (r->before && r->image_kib.state == FIG_KNOWN)
			kib += r->image_kib.v;
		if (!r->loaded || (s->low && r->end_ns > s->low->ts_ns))
			continue;
		if (r->image_kib.state == FIG_KNOWN)
			kib += r->image_kib.v;
		if (r->measured && r->net.state == FIG_KNOWN && r->net.v > r->net_over.v)
			pages += r->net.v - r->net_over.v;
	}
	return (long long)(kib + pages * (uint64_t)(page_size / 1024));
}

void summary_budget(struct summary *s, const struct budget *b)
{
	s->budget = b->known ? b : NULL;
	s->estimate_from_low = s->low != NULL;
	budget_estimate(b, s->low ? s->low->avail_kib : b->avail,
			s->low ? s->low->pcp_kib : b->pcp_kib,
			loaded_kib(s, s->src.page_size), s->oom_kills, &s->estimate);
}

void summary_free(struct summary *s)
{
	free(s->order);
	free(s->rows);
	s->order = NULL;
	s->rows = NULL;
}
