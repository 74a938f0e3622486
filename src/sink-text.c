// SPDX-License-Identifier: GPL-2.0-or-later
/* The text table: one line per load, a total, and notes on what the figures leave out. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink.h"

#define PLURAL(n) ((n) == 1 ? "" : "s")
/* rd.memdebug=5: the sites shown per load, and the loads shown */
#define TEXT_SITES	3
#define TEXT_SITE_LOADS 10

void sink_emit(struct emitter *em, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (em->kmsg) {
		int r = log_kmsg_line(LOG_LVL_NOTICE, line);

		if (!r)
			return;
		em->kmsg = false;
		log_warn("cannot write the report to /dev/kmsg (%s): printing it on stdout",
			 strerror(-r));
	}
	if (puts(line) == EOF && !em->err)
		em->err = errno ? -errno : -EIO;
}

const char *sink_printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i < size - 1; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static const char *u64s(char *buf, uint64_t v)
{
	snprintf(buf, 24, "%" PRIu64, v);
	return buf;
}

enum { COL_NAME, COL_PAGES, COL_KIB, COL_NET, COL_WORK, COL_IMG, COL_MS, COL_STATUS, NCOLS };

/* The cells of one table row; @loader is last and never padded. */
struct row {
	char cell[NCOLS][MODNAME_MAX + 1];
	char loader[48];
};

char *sink_loader(char *buf, size_t size, const struct window *w)
{
	char comm[COMM_MAX + 1];

	snprintf(buf, size, "%s[%d]", sink_printable(w->comm, comm, sizeof(comm)), w->pid);
	return buf;
}

/* Fills @r for window @w. */
static void fill_row(struct row *r, const struct summary *s, const struct window *w,
		     uint64_t kib)
{
	sink_printable(w->name, r->cell[COL_NAME], sizeof(r->cell[COL_NAME]));
	if (summary_measured(s, w)) {
		u64s(r->cell[COL_PAGES], w->pages);
		u64s(r->cell[COL_KIB], w->pages * kib);
		u64s(r->cell[COL_NET], w->pages - w->freed_pages);
		if (s->a->work_events && !s->a->work_hidden)
			u64s(r->cell[COL_WORK], w->work_pages);
		else
			strcpy(r->cell[COL_WORK], "-");
	} else {
		const char *na = win_traced(w) ? "n/a" : "-";

		strcpy(r->cell[COL_PAGES], na);
		strcpy(r->cell[COL_KIB], na);
		strcpy(r->cell[COL_NET], na);
		strcpy(r->cell[COL_WORK], na);
	}
	if (w->image_bytes)
		u64s(r->cell[COL_IMG], kib_up(w->image_bytes));
	else
		strcpy(r->cell[COL_IMG], "-");
	if (!window_init_known(w))
		strcpy(r->cell[COL_MS], "-");
	else
		ms_str(r->cell[COL_MS], sizeof(r->cell[COL_MS]), w->ts_end - w->ts_load, 1);
	snprintf(r->cell[COL_STATUS], sizeof(r->cell[COL_STATUS]), "%s",
		 window_status_name(w->status));
	if (w->pid < 0)
		strcpy(r->loader, "-");
	else
		sink_loader(r->loader, sizeof(r->loader), w);
}

/* Prints @r with the column widths @wd: the name left-aligned, numbers right-aligned. */
static void emit_row(struct emitter *em, const struct row *r, const int *wd)
{
	sink_emit(em, "%-*s %*s %*s %*s %*s %*s %*s %-*s %s", wd[COL_NAME], r->cell[COL_NAME],
	     wd[COL_PAGES], r->cell[COL_PAGES], wd[COL_KIB], r->cell[COL_KIB], wd[COL_NET],
	     r->cell[COL_NET], wd[COL_WORK], r->cell[COL_WORK], wd[COL_IMG], r->cell[COL_IMG],
	     wd[COL_MS], r->cell[COL_MS], wd[COL_STATUS], r->cell[COL_STATUS], r->loader);
}

static void widen(int *wd, const struct row *r)
{
	int c;

	for (c = 0; c < NCOLS; c++)
		if ((int)strlen(r->cell[c]) > wd[c])
			wd[c] = (int)strlen(r->cell[c]);
}

/* What the OOM killer did, and which loads were in init then. */
static void emit_oom(struct emitter *em, const struct summary *s)
{
	const struct acct *a = s->a;
	char when[32], names[256], name[MODNAME_MAX + 1];
	size_t i, len = 0;

	ms_str(when, sizeof(when), a->ts_first_oom / 1000, 3); /* seconds */
	sink_emit(em, "oom: the OOM killer chose %" PRIu64 " victim%s, the first at %s s",
		  a->oom_kills, PLURAL(a->oom_kills), when);
	for (i = 0; i < a->nwin && len < sizeof(names); i++) {
		const struct window *w = &a->win[i];

		if (w->oom_kills)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
						sink_printable(w->name, name, sizeof(name)));
	}
	if (s->oom_loads)
		sink_emit(em, "oom: in init then: %s", names);
}

/*
 * Loads that took bulk pages (no pfn) and freed pages they had not allocated by
 * mm_page_alloc: some of those may have been bulk pages, so net may be high by up to
 * the smaller of the two.
 */
static void emit_net_bound(struct emitter *em, const struct summary *s)
{
	char names[300], name[MODNAME_MAX + 1];
	size_t i, len = 0;

	for (i = 0; i < s->a->nwin && len < sizeof(names); i++) {
		const struct window *w = &s->a->win[i];
		uint64_t up = w->bulk_pages < w->unmatched_free_pages ? w->bulk_pages :
									  w->unmatched_free_pages;

		up += w->work_bulk < w->work_unmatched ? w->work_bulk :
								 w->work_unmatched;

		if (!up || !summary_measured(s, w))
			continue;
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s %" PRIu64,
					len ? ", " : "", sink_printable(w->name, name, sizeof(name)),
					up);
	}
	sink_emit(em, "net may be too high, by up to: %s pages (vmalloc's pages have no pfn, and these loads freed pages they had not allocated one by one)",
		  names);
}

/* "NAME N, NAME N" of the measured loads whose @field is not 0, into @names. */
static void list_loads(const struct summary *s, size_t off, char *names, size_t size)
{
	char name[MODNAME_MAX + 1];
	size_t i, len = 0;

	names[0] = '\0';
	for (i = 0; i < s->a->nwin && len < size; i++) {
		const struct window *w = &s->a->win[i];
		uint64_t v;

		memcpy(&v, (const char *)w + off, sizeof(v));
		if (!v || !summary_measured(s, w))
			continue;
		len += (size_t)snprintf(names + len, size - len, "%s%s %" PRIu64, len ? ", " : "",
					sink_printable(w->name, name, sizeof(name)), v);
	}
}

/* Kernel threads that loads started: seen or not, and what their pages mean. */
static void emit_threads(struct emitter *em, const struct summary *s)
{
	const struct acct *a = s->a;
	char names[300];

	if (!s->loads || a->no_page_events)
		return;
	if (!acct_threads_traced(a)) {
		sink_emit(em, "threads: not seen: the trace has no task:task_rename or task_newtask event; pages of kernel threads that loads start (kthread_run) are left out");
		return;
	}
	if (!acct_threads_measured(a)) {
		sink_emit(em, "threads: not measured: this kernel lets %" PRIu64 " new kernel thread%s name %s, so the task that started %s is unknown; their pages are left out",
			  a->kthreads_unlinked, PLURAL(a->kthreads_unlinked),
			  a->kthreads_unlinked == 1 ? "itself" : "themselves",
			  a->kthreads_unlinked == 1 ? "it" : "them");
		return;
	}
	if (!s->kthread_pages)
		return;
	list_loads(s, offsetof(struct window, kthread_pages), names, sizeof(names));
	sink_emit(em, "threads: of work, pages of kernel threads that loads started: %s; their unmovable allocations without __GFP_ACCOUNT are traced, their frees are not, so net counts them all",
		  names);
}

/* rd.memdebug=5: pages each module's code took outside its load, its work and threads. */
static void emit_late(struct emitter *em, const struct summary *s)
{
	char names[300];

	if (!s->loads || s->a->no_page_events)
		return;
	if (!s->a->stack_events) {
		sink_emit(em, "late: pages a module's code allocates outside its load, its work and its threads (a later probe) are seen with rd.memdebug=5, from the stacks");
		return;
	}
	if (!s->late)
		return;
	list_loads(s, offsetof(struct window, late_pages), names, sizeof(names));
	sink_emit(em, "late: pages the module's code allocated outside its load, work and threads (from the stacks; not in the table): %s",
		  names);
}

/* The lines under the table: what the figures leave out, and why. */
static void emit_notes(struct emitter *em, const struct summary *s)
{
	const struct acct *a = s->a;
	const struct source_stats *st = &s->stats;

	if (!a->nwin)
		sink_emit(em, "no module was loaded while tracing");
	if (st->lost) {
		if (s->src.since_boot)
			sink_emit(em, "INCOMPLETE: the top-level buffer lost %" PRIu64 " events, figures are too low; raise trace_buf_size= on the kernel command line, now %" PRIu64 " KiB per CPU",
			     st->lost, s->src.buffer_kb);
		else if (s->src.buffer_kb)
			sink_emit(em, "INCOMPLETE: the ring buffer dropped %" PRIu64 " events, figures are too low; raise rd.memdebug_ko.buffer_kb= (prepare --buffer-kb), now %" PRIu64 " KiB per CPU",
			     st->lost, s->src.buffer_kb);
		else
			sink_emit(em, "INCOMPLETE: the trace lost %" PRIu64 " events, figures are too low; record it with a larger buffer_size_kb",
			     st->lost);
	}
	if (st->malformed)
		sink_emit(em, "INCOMPLETE: %" PRIu64 " lines could not be parsed and were skipped",
		     st->malformed);
	if (st->gap)
		sink_emit(em, "INCOMPLETE: the watcher read events and is gone without handing them over; figures are too low");
	if (a->oom_kills)
		emit_oom(em, s);
	if (a->no_page_events && s->loads)
		sink_emit(em, "n/a: the trace holds no kmem:mm_page_alloc or mm_page_free event, so no load's pages were measured (a kernel without kmem events?)");
	else if (s->loads && !a->bulk_events)
		sink_emit(em, "not seen: pages of vmalloc (the bulk allocator, which fires no mm_page_alloc): the trace has no memdebug_ko:bulk_enter event (no kprobe events?); the figures leave them out");
	if (s->loads && !a->no_page_events && !a->work_events)
		sink_emit(em, "work: not seen: the trace has no workqueue events; pages of the work that loads queue (kworkers, async_schedule) are left out");
	else if (a->work_hidden)
		sink_emit(em, "work: not measured: the trace shows %" PRIu64 " work addresses as (____ptrval____), printed before the kernel's random pool was ready (a CPU without RDRAND?), so work cannot be matched to the load that queued it",
			  a->work_hidden);
	else if (s->work_pages)
		sink_emit(em, "work: pages that kworkers took running work the load queued (async_schedule too), also after init returned; not in pages and net");
	emit_threads(em, s);
	emit_late(em, s);
	if (a->bulk_prefilled)
		sink_emit(em, "not counted: %" PRIu64 " bulk allocation%s into a page array that had pages already (its new pages cannot be told from the old)",
			  a->bulk_prefilled, PLURAL(a->bulk_prefilled));
	if (s->bulk_unmatched)
		emit_net_bound(em, s);
	if (!a->no_page_events && s->filtered)
		sink_emit(em, "n/a: %zu load%s by a task the kmem filter did not record; add its name with rd.memdebug_ko.loaders= (--loader)",
		     s->filtered, PLURAL(s->filtered));
	if (s->loading)
		sink_emit(em, "loading: %zu module%s still in init when the trace ended", s->loading,
		     PLURAL(s->loading));
	if (s->failed)
		sink_emit(em, "failed: %zu module init%s failed (the module was freed)", s->failed,
		     PLURAL(s->failed));
	if (s->next_load)
		sink_emit(em, "%zu load%s closed by the loader's next module_load: this kernel records no module_put",
		     s->next_load, PLURAL(s->next_load));
	if (s->before)
		sink_emit(em, "before-tracing: %zu module%s loaded before tracing started (the kernel or PID 1 loaded them); only the image size is known; to trace them, boot with the trace_event= line of memdebug-ko(8), \"Boot-parameter mode\"",
		     s->before, PLURAL(s->before));
	if (s->not_seen)
		sink_emit(em, "not-seen: %zu module%s in /proc/modules not seen loading: before tracing started, or among the lost events",
		     s->not_seen, PLURAL(s->not_seen));
	if (a->facts.no_put_events && !s->next_load)
		sink_emit(em, "this kernel records no module_put: load windows close at the loader's next load");
}

/* rd.memdebug=5: the top call sites of the loads with the most pages. */
static void emit_sites(struct emitter *em, const struct summary *s)
{
	const struct site *top[TEXT_SITES];
	char name[MODNAME_MAX + 1], line[400];
	size_t i, j, n, len, shown = 0;

	sink_emit(em, "call sites (rd.memdebug=5), pages from the kernel stacks of the allocations:");
	for (i = 0; i < s->a->nwin && shown < TEXT_SITE_LOADS; i++) {
		const struct window *w = &s->a->win[s->order[i]];

		n = summary_sites(s, w, top, TEXT_SITES);
		if (!n || !summary_measured(s, w))
			continue;
		shown++;
		len = (size_t)snprintf(line, sizeof(line), "  %s:",
				       sink_printable(w->name, name, sizeof(name)));
		for (j = 0; j < n && len < sizeof(line); j++)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s %s %" PRIu64,
						j ? "," : "", top[j]->name, top[j]->pages);
		sink_emit(em, "%s", line);
	}
	if (!shown)
		sink_emit(em, "  none: no page allocation of a load had its stack recorded");
}

/* A KiB figure, or "?" when unknown. */
static const char *kib_str(char *buf, size_t n, long long kib)
{
	if (kib < 0)
		snprintf(buf, n, "?");
	else
		snprintf(buf, n, "%lld", kib);
	return buf;
}

/* A capture kernel: the crashkernel= it needs, the formula, and whether it had enough. */
static void emit_estimate(struct emitter *em, const struct summary *s)
{
	const struct budget *b = s->budget;
	const struct estimate e = s->estimate;
	bool low = s->estimate_from_low;
	char initrd[32];

	if (!e.known)
		return;
	kib_str(initrd, sizeof(initrd), e.initrd_known ? e.initrd_kib : -1);
	sink_emit(em, "estimate: crashkernel=%lldM: RAM %lld (iomem) - lowest available %lld (%s) + compressed initramfs %s (kernel log) + dump bitmaps %lld (makedumpfile(8): 2 bits per page of the %llu MiB vmcore) = %lld KiB, rounded up to 16 MiB%s",
		  e.mib, e.ram_kib, e.low_avail_kib, low ? "the low point" : "at the report",
		  initrd, e.bitmap_kib, (unsigned long long)(b->vmcore_bytes >> 20), e.needed_kib,
		  e.initrd_known ? "" : "; without the initramfs, which the kernel log no longer holds: too low");
	if (e.needed_kib > e.ram_kib)
		sink_emit(em, "estimate: SHORT: this capture kernel has %lld KiB of RAM and needed %lld: short by %lld KiB; raise crashkernel= to %lldM",
			  e.ram_kib, e.needed_kib, e.needed_kib - e.ram_kib, e.mib);
	else
		sink_emit(em, "estimate: this capture kernel had %lld KiB of RAM, %lld more than it needed",
			  e.ram_kib, e.ram_kib - e.needed_kib);
}

/*
 * The whole kernel's memory at the report: rows from /proc/meminfo that add up to
 * MemTotal, and what the modules and the initramfs are of them.
 */
static void emit_budget(struct emitter *em, const struct summary *s)
{
	const struct budget *b = s->budget;
	uint64_t kib = s->src.page_size / 1024;
	char v[32], extra[200], crash[120] = "";
	int i;

	if (!b || !b->known)
		return;
	if (b->crashkernel[0])
		snprintf(crash, sizeof(crash), "; crashkernel=%s on the command line", b->crashkernel);
	if (b->crash_size)
		snprintf(crash + strlen(crash), sizeof(crash) - strlen(crash),
			 "; %llu KiB reserved for a capture kernel (kexec_crash_size)",
			 (unsigned long long)(b->crash_size / 1024));
	sink_emit(em, "budget of the whole kernel at the report: %lld KiB (MemTotal)%s%s", b->total,
		  crash, b->capture ? "; this is a kdump capture kernel (elfcorehdr=)" : "");
	for (i = 0; i < BUDGET_ROWS; i++) {
		char a[32], c[32];

		extra[0] = '\0';
		if (i == BUDGET_FILES && (b->initramfs_kib >= 0 || b->run_kib >= 0))
			snprintf(extra, sizeof(extra), "; of them the initramfs %s (its files), /run %s",
				 kib_str(a, sizeof(a), b->initramfs_kib), kib_str(c, sizeof(c), b->run_kib));
		if (i == BUDGET_OTHER)
			snprintf(extra, sizeof(extra), "; of it module images %" PRIu64 " (/proc/modules)",
				 s->image_kib);
		sink_emit(em, "  %-14s %8s  %s%s", budget_row_name(i), kib_str(v, sizeof(v), b->row[i]),
			  budget_row_source(i), extra);
	}
	if (!s->a->no_page_events)
		sink_emit(em, "  module allocations %" PRIu64 " KiB net (the trace: loads and their work; in slab, vmalloc or the other rows)",
			  (s->net + s->work_net) * kib);
	sink_emit(em, "  %-14s %8s  MemAvailable", "available", kib_str(v, sizeof(v), b->avail));
	emit_estimate(em, s);
}

/* The lowest MemAvailable the watcher saw, and what was in init then. */
static void emit_low_point(struct emitter *em, const struct summary *s)
{
	const struct low_point *l = &s->a->low;
	char t[32];

	if (!l->samples)
		return;
	sink_emit(em, "low point: MemAvailable %lld KiB at %s s (the lowest of %" PRIu64 " samples the watcher took, every 100 ms); in init then: %s",
		  l->avail_kib, ms_str(t, sizeof(t), l->ts_ns / 1000, 3), l->samples,
		  l->loading[0] ? l->loading : "nothing");
}

int sink_text(const struct summary *s, bool kmsg)
{
	static const struct row head = {
		{ "module", "pages", "KiB", "net", "work", "imgKiB", "initms", "status" }, "loader"
	};
	const struct acct *a = s->a;
	const struct source_stats *st = &s->stats;
	struct emitter em = { .kmsg = kmsg };
	uint64_t kib = s->src.page_size / 1024;
	int wd[NCOLS] = { 16, 5, 5, 5, 4, 6, 6, 6 };
	struct row r, total = { { "total" }, "" };
	size_t i;

	for (i = 0; i < a->nwin; i++) {
		fill_row(&r, s, &a->win[i], kib);
		widen(wd, &r);
	}
	u64s(total.cell[COL_PAGES], s->pages);
	u64s(total.cell[COL_KIB], s->pages * kib);
	u64s(total.cell[COL_NET], s->net);
	if (a->work_events && !a->work_hidden)
		u64s(total.cell[COL_WORK], s->work_pages);
	else
		strcpy(total.cell[COL_WORK], "-");
	if (s->image_kib)
		u64s(total.cell[COL_IMG], s->image_kib);
	else
		strcpy(total.cell[COL_IMG], "-");
	snprintf(total.loader, sizeof(total.loader), "%zu load%s", s->loads, PLURAL(s->loads));
	widen(wd, &total);

	sink_emit(&em, "module memory while loading, in %u KiB pages, %s", s->src.page_size / 1024,
	     !s->src.live ? "from a saved trace" :
	     s->src.since_boot ? "traced since boot (top-level buffer)" :
			    "traced at this boot");
	sink_emit(&em, "events: %" PRIu64 " read, %" PRIu64 " lost, %" PRIu64
	     " malformed lines skipped: %s", st->events, st->lost, st->malformed,
	     s->complete ? "complete" : "INCOMPLETE");
	emit_row(&em, &head, wd);
	for (i = 0; i < a->nwin; i++) {
		fill_row(&r, s, &a->win[s->order[i]], kib);
		emit_row(&em, &r, wd);
	}
	emit_row(&em, &total, wd);
	emit_notes(&em, s);
	if (a->stack_events)
		emit_sites(&em, s);
	emit_low_point(&em, s);
	emit_budget(&em, s);
	if (!em.err && fflush(stdout) == EOF)
		em.err = -errno;
	return em.err;
}
