// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The watcher's MemAvailable samples: the lowest, with the loads in init at that moment,
 * and the series over time in a bounded number of points.
 */
#include <stdio.h>

#include "lowpoint.h"

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
			l->series[i] = l->series[2 * i].kib <= l->series[2 * i + 1].kib
					       ? l->series[2 * i]
					       : l->series[2 * i + 1];
		l->nseries = LOW_SERIES_MAX / 2;
		l->stride *= 2;
	}
	l->series[l->nseries].ts_ns = ts_ns;
	l->series[l->nseries].kib = kib;
	l->nseries++;
	l->pending = l->stride > 1 ? 1 : 0;
}

bool low_sample(struct low_point *l, const struct acct *a, long long kib, uint64_t ts_ns)
{
	size_t i, len = 0;

	if (kib < 0)
		return false;
	add_series(l, kib, ts_ns);
	if (l->samples++ && kib >= l->avail_kib)
		return false;
	l->avail_kib = kib;
	l->pcp_kib = -1;
	l->ts_ns = ts_ns;
	l->loading[0] = '\0';
	for (i = 0; i < a->nwin && len < sizeof(l->loading); i++) {
		const struct window *w = &a->win[i];

		if (w->end != END_OPEN || w->pid < 0)
			continue;
		len += (size_t)snprintf(l->loading + len, sizeof(l->loading) - len,
					"%s%s", len ? ", " : "", w->name);
	}
	return true;
}
