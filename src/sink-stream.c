// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stream: lines written while the watcher reads the trace, before any report, so
 * that a kernel that dies of the memory a module took (OOM kills, panic_on_oom, "no
 * killable processes") has the culprit on its console already:
 *   - a load whose init returned, from --min-kib on;
 *   - a load still in init that passes 4 MiB, and then each time it grows by a quarter;
 *   - a module whose code took late pages (after its load: an interface's open, a later
 *     probe, its timers' work) that pass 4 MiB, and then each time they grow by a
 *     quarter;
 *   - each OOM victim, with the loads in progress, the largest finished ones and the
 *     modules with the most late pages.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sink.h"
#include "summary.h"

/* An open window is reported from this size on, then each time it grows by a quarter. */
#define GROW_FIRST_KIB 4096
/* The finished loads listed when the OOM killer strikes. */
#define OOM_TOP 3

/* "COMM[PID]" of the loader of @w, printable, into @buf. */
static char *loader(char *buf, size_t size, const struct window *w)
{
	return sink_loader(buf, size, w->comm, w->pid);
}

static void closed(void *ctx, const struct window *w)
{
	struct stream *s = ctx;
	char name[MODNAME_MAX + 1], who[48], ms[32] = "?";

	if (w->pages < s->min_pages)
		return;
	if (window_init_known(w))
		ms_str(ms, sizeof(ms), w->ts_end - w->ts_load, 1);
	sink_emit(&s->em,
		  "%s: init returned after %s ms: %" PRIu64 " pages (%" PRIu64
		  " KiB), %" PRIu64 " not freed, loaded by %s",
		  sink_printable(w->name, name, sizeof(name)), ms, w->pages,
		  w->pages * s->page_kib, window_net(w), loader(who, sizeof(who), w));
}

/* The first threshold above @pages: GROW_FIRST_KIB, then a quarter more each time. */
static uint64_t next_threshold(const struct stream *s, uint64_t pages)
{
	uint64_t t = GROW_FIRST_KIB / s->page_kib;

	while (t && t <= pages)
		t += t / 4;
	return t;
}

static void grew(void *ctx, const struct window *w, unsigned order)
{
	struct stream *s = ctx;
	char name[MODNAME_MAX + 1], who[48];

	if (w->pages < GROW_FIRST_KIB / s->page_kib ||
	    next_threshold(s, w->pages - (1ull << order)) > w->pages)
		return;
	sink_emit(&s->em,
		  "%s: still in init: %" PRIu64 " pages (%" PRIu64
		  " KiB) so far, %" PRIu64 " not freed, loaded by %s",
		  sink_printable(w->name, name, sizeof(name)), w->pages,
		  w->pages * s->page_kib, window_net(w), loader(who, sizeof(who), w));
}

static void late(void *ctx, const struct window *w, uint64_t pages, const char *comm,
		 int pid)
{
	struct stream *s = ctx;
	char name[MODNAME_MAX + 1], who[48];

	if (w->late_pages < GROW_FIRST_KIB / s->page_kib ||
	    next_threshold(s, w->late_pages - pages) > w->late_pages)
		return;
	if (pid == INT32_MIN)
		snprintf(who, sizeof(who), "an interrupt");
	else
		sink_loader(who, sizeof(who), comm, pid);
	sink_emit(&s->em,
		  "%s: after its load its code took %" PRIu64 " pages (%" PRIu64
		  " KiB) so far (late), the latest in %s",
		  sink_printable(w->name, name, sizeof(name)), w->late_pages,
		  w->late_pages * s->page_kib, who);
}

/* "NAME N pages, ..." of the OOM_TOP windows of @a with the most late pages, into @list. */
static void top_late(const struct acct *a, char *list, size_t size)
{
	const struct window *top[OOM_TOP] = { NULL };
	char name[MODNAME_MAX + 1];
	size_t i, j, len = 0;

	list[0] = '\0';
	for (i = 0; i < a->nwin; i++) {
		const struct window *w = &a->win[i];

		for (j = 0; j < OOM_TOP && top[j] && top[j]->late_pages >= w->late_pages;
		     j++)
			;
		if (j == OOM_TOP || !w->late_pages)
			continue;
		memmove(&top[j + 1], &top[j], (OOM_TOP - 1 - j) * sizeof(top[0]));
		top[j] = w;
	}
	for (j = 0; j < OOM_TOP && top[j] && len < size; j++)
		len += (size_t)snprintf(list + len, size - len, "%s%s %" PRIu64 " pages",
					j ? ", " : "",
					sink_printable(top[j]->name, name, sizeof(name)),
					top[j]->late_pages);
}

static void oom(void *ctx, const struct acct *a, const struct event *ev)
{
	struct stream *s = ctx;
	const struct window *top[OOM_TOP] = { NULL };
	char name[MODNAME_MAX + 1], who[48], comm[COMM_MAX + 1], when[32], list[256];
	size_t i, j, open = 0, len = 0;

	snprintf(comm, sizeof(comm), "%.*s", (int)ev->comm_len, ev->comm);
	sink_emit(&s->em,
		  "OOM: the OOM killer chose pid %d at %s s (kill %" PRIu64
		  "; the allocation was by %s[%d])",
		  ev->victim, ms_str(when, sizeof(when), ev->ts_ns / 1000, 6) /* s */,
		  a->counts.oom_kills, sink_printable(comm, comm, sizeof(comm)), ev->pid);
	for (i = 0; i < a->nwin; i++) {
		const struct window *w = &a->win[i];

		if (w->end == END_OPEN) {
			open++;
			sink_emit(&s->em,
				  "OOM: %s is still in init: %" PRIu64 " pages (%" PRIu64
				  " KiB) so far, %" PRIu64 " not freed, loaded by %s",
				  sink_printable(w->name, name, sizeof(name)), w->pages,
				  w->pages * s->page_kib, window_net(w),
				  loader(who, sizeof(who), w));
			continue;
		}
		for (j = 0; j < OOM_TOP && top[j] && top[j]->pages >= w->pages; j++)
			;
		if (j == OOM_TOP || !w->pages)
			continue;
		memmove(&top[j + 1], &top[j], (OOM_TOP - 1 - j) * sizeof(top[0]));
		top[j] = w;
	}
	if (!open)
		sink_emit(&s->em, "OOM: no module is in init");
	for (j = 0; j < OOM_TOP && top[j] && len < sizeof(list); j++)
		len += (size_t)snprintf(list + len, sizeof(list) - len,
					"%s%s %" PRIu64 " pages", j ? ", " : "",
					sink_printable(top[j]->name, name, sizeof(name)),
					top[j]->pages);
	if (top[0])
		sink_emit(&s->em, "OOM: the largest finished loads: %s", list);
	top_late(a, list, sizeof(list));
	if (list[0])
		sink_emit(&s->em, "OOM: the most pages taken after the load (late): %s",
			  list);
}

void stream_init(struct stream *s, bool kmsg, uint64_t min_kib, unsigned page_size)
{
	*s = (struct stream){
		.em = { .kmsg = kmsg },
		.page_kib = page_size / 1024 ? page_size / 1024 : 1,
		.obs = { .grew = grew, .closed = closed, .oom = oom, .late = late },
	};
	s->min_pages = (min_kib + s->page_kib - 1) / s->page_kib;
	s->obs.ctx = s;
}
