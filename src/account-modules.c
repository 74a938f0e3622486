// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The modules in memory at the report (/proc/modules) complete the windows the trace
 * showed: the image size of each module, the loads whose module is gone (init failed),
 * the last load of a kernel without module_put events, and the modules never seen
 * loading, appended as windows without a loader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account-parts.h"

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
			if (w->status == WIN_LOADING && a->facts.no_put_events &&
			    pm[j].live) {
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
		w = acct_new_window(a);
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
