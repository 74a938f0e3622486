// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "summary.h"

const char *window_status_name(enum win_status status)
{
	static const char *const names[] = {
		[WIN_LOADED] = "loaded",
		[WIN_LOADING] = "loading",
		[WIN_FAILED] = "failed",
		[WIN_BEFORE_TRACING] = "before-tracing",
		[WIN_NOT_SEEN] = "not-seen",
	};

	return names[status];
}

const char *window_end_name(enum win_end end)
{
	static const char *const names[] = {
		[END_PUT] = "module_put",
		[END_NEXT_LOAD] = "next-load",
		[END_OPEN] = "none",
		[END_TRACE] = "trace-end",
	};

	return names[end];
}

bool summary_measured(const struct summary *s, const struct window *w)
{
	return !s->a->no_page_events && !w->filtered && win_traced(w);
}

bool window_init_known(const struct window *w)
{
	return win_traced(w) && (w->end == END_PUT || w->end == END_NEXT_LOAD) &&
	       w->ts_end >= w->ts_load;
}

struct sort_ctx {
	const struct summary *s;
	enum sort_key key;
};

/* Rows by the key, then in load order. */
static int cmp_windows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct window *a = &c->s->a->win[ia], *b = &c->s->a->win[ib];
	bool ma, mb;
	int r = 0;

	if (c->key == SORT_NAME) {
		r = strcmp(a->name, b->name);
	} else if (c->key == SORT_PAGES) {
		ma = summary_measured(c->s, a);
		mb = summary_measured(c->s, b);
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
	struct sort_ctx c = { s, key };
	size_t i;

	*s = (struct summary){ .a = a, .stats = *st, .src = *src };
	s->complete = !st->lost && !st->malformed && !st->gap;
	s->order = malloc((a->nwin ? a->nwin : 1) * sizeof(*s->order));
	if (!s->order) {
		log_err("out of memory sorting the report");
		return -ENOMEM;
	}
	for (i = 0; i < a->nwin; i++) {
		const struct window *w = &a->win[i];

		s->order[i] = i;
		if (summary_measured(s, w)) {
			s->pages += w->pages;
			s->net += w->pages - w->freed_pages;
			s->bulk_unmatched += (w->bulk_pages && w->unmatched_free_pages) ||
					     (w->work_bulk && w->work_unmatched);
			s->work_pages += w->work_pages;
			s->work_net += w->work_pages - w->work_freed;
			s->kthread_pages += w->kthread_pages;
			s->late += w->late_pages;
		}
		s->image_kib += kib_up(w->image_bytes);
		s->filtered += w->filtered;
		s->loading += w->status == WIN_LOADING;
		s->failed += w->status == WIN_FAILED;
		s->next_load += w->end == END_NEXT_LOAD;
		s->before += w->status == WIN_BEFORE_TRACING;
		s->not_seen += w->status == WIN_NOT_SEEN;
		s->oom_loads += w->oom_kills > 0;
	}
	s->loads = a->nwin - s->before - s->not_seen;
	qsort_r(s->order, a->nwin, sizeof(*s->order), cmp_windows, &c);
	return 0;
}

size_t summary_sites(const struct summary *s, const struct window *w, const struct site **out,
		     size_t max)
{
	const struct acct *a = s->a;
	uint32_t idx = (uint32_t)(w - a->win);
	size_t i, j, n = 0;

	for (i = 0; i < a->nsites; i++) {
		const struct site *site = &a->sites[i];

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

void summary_budget(struct summary *s, const struct budget *b)
{
	s->budget = b;
	s->estimate_from_low = s->a->low.samples > 0;
	budget_estimate(b, s->estimate_from_low ? s->a->low.avail_kib : b->avail, &s->estimate);
}

void summary_free(struct summary *s)
{
	free(s->order);
	s->order = NULL;
}
