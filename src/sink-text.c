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

enum {
	COL_NAME,
	COL_PAGES,
	COL_KIB,
	COL_NET,
	COL_WORK,
	COL_LATE, /* only where the trace has the stacks for it */
	COL_IMG,
	COL_MS,
	COL_STATUS,
	NCOLS
};

/* The cells of one table row; @loader is last and never padded. */
struct row {
	char cell[NCOLS][MODNAME_MAX + 1];
	char loader[48];
};

char *sink_loader(char *buf, size_t size, const char *comm, int pid)
{
	char c[COMM_MAX + 1];

	snprintf(buf, size, "%s[%d]", sink_printable(comm, c, sizeof(c)), pid);
	return buf;
}

/* A figure's cell: the number, "n/a" when not measured, "-" when there is none. */
static void fig_cell(char *buf, struct fig f)
{
	if (f.state == FIG_KNOWN)
		u64s(buf, f.v);
	else
		strcpy(buf, f.state == FIG_NA ? "n/a" : "-");
}

/* Fills @r for row @sr. */
static void fill_row(struct row *r, const struct summary_row *sr)
{
	sink_printable(sr->name, r->cell[COL_NAME], sizeof(r->cell[COL_NAME]));
	fig_cell(r->cell[COL_PAGES], sr->pages);
	fig_cell(r->cell[COL_KIB], sr->kib);
	fig_cell(r->cell[COL_NET], sr->net);
	fig_cell(r->cell[COL_WORK], sr->work_pages);
	fig_cell(r->cell[COL_LATE], sr->late_pages);
	fig_cell(r->cell[COL_IMG], sr->image_kib);
	if (!sr->init_known)
		strcpy(r->cell[COL_MS], "-");
	else
		ms_str(r->cell[COL_MS], sizeof(r->cell[COL_MS]), sr->init_ns, 1);
	snprintf(r->cell[COL_STATUS], sizeof(r->cell[COL_STATUS]), "%s", sr->status);
	if (sr->pid < 0)
		strcpy(r->loader, "-");
	else
		sink_loader(r->loader, sizeof(r->loader), sr->comm, sr->pid);
}

/* The total row: the sums of the measured rows (n/a when nothing was traced), and how many loads. */
static void fill_total(struct row *r, const struct summary *s)
{
	*r = (struct row){ { "total" }, "" };
	if (s->src.not_traced) {
		strcpy(r->cell[COL_PAGES], "n/a");
		strcpy(r->cell[COL_KIB], "n/a");
		strcpy(r->cell[COL_NET], "n/a");
		strcpy(r->cell[COL_WORK], "n/a");
	} else {
		u64s(r->cell[COL_PAGES], s->total.pages);
		u64s(r->cell[COL_KIB], s->total.kib);
		u64s(r->cell[COL_NET], s->total.net);
	}
	if (!s->src.not_traced) {
		fig_cell(r->cell[COL_WORK], s->total.work_pages);
		fig_cell(r->cell[COL_LATE], s->total.late_pages);
	}
	fig_cell(r->cell[COL_IMG], s->total.image_kib);
	snprintf(r->loader, sizeof(r->loader), "%zu load%s", s->loads, PLURAL(s->loads));
}

/*
 * Prints @r with the column widths @wd: the name left-aligned, numbers right-aligned.
 * A column of width 0 is left out.
 */
static void emit_row(struct emitter *em, const struct row *r, const int *wd)
{
	char late[MODNAME_MAX + 2] = "";

	if (wd[COL_LATE])
		snprintf(late, sizeof(late), " %*s", wd[COL_LATE], r->cell[COL_LATE]);
	sink_emit(em, "%-*s %*s %*s %*s %*s%s %*s %*s %-*s %s", wd[COL_NAME],
		  r->cell[COL_NAME], wd[COL_PAGES], r->cell[COL_PAGES], wd[COL_KIB],
		  r->cell[COL_KIB], wd[COL_NET], r->cell[COL_NET], wd[COL_WORK],
		  r->cell[COL_WORK], late, wd[COL_IMG], r->cell[COL_IMG], wd[COL_MS],
		  r->cell[COL_MS], wd[COL_STATUS], r->cell[COL_STATUS], r->loader);
}

static void widen(int *wd, const struct row *r)
{
	int c;

	for (c = 0; c < NCOLS; c++)
		if ((int)strlen(r->cell[c]) > wd[c])
			wd[c] = (int)strlen(r->cell[c]);
}

/*
 * "NAME N, NAME N" of the rows, in load order, whose figure at @off (a struct fig in
 * struct summary_row) is known and not 0, into @names; without the figures with @bare.
 */
static void list_loads(const struct summary *s, size_t off, bool bare, char *names,
		       size_t size)
{
	char name[MODNAME_MAX + 1];
	size_t i, len = 0;

	names[0] = '\0';
	for (i = 0; i < s->nrows && len < size; i++) {
		const struct summary_row *r = &s->rows[i];
		struct fig f;

		memcpy(&f, (const char *)r + off, sizeof(f));
		if (f.state != FIG_KNOWN || !f.v)
			continue;
		sink_printable(r->name, name, sizeof(name));
		if (bare)
			len += (size_t)snprintf(names + len, size - len, "%s%s",
						len ? ", " : "", name);
		else
			len += (size_t)snprintf(names + len, size - len, "%s%s %" PRIu64,
						len ? ", " : "", name, f.v);
	}
}

#define LIST(s, field, bare, names)                                                      \
	list_loads(s, offsetof(struct summary_row, field), bare, names, sizeof(names))

/* Note @n about the trace: what it lost, and what it does not show. */
static void emit_trace_note(struct emitter *em, const struct summary *s, enum note n)
{
	const struct source_stats *st = &s->stats;
	char names[300], oom[256], when[32];

	switch (n) {
	case NOTE_NO_LOADS:
		sink_emit(em, "no module was loaded while tracing");
		break;
	case NOTE_LOST_SINCE_BOOT:
		sink_emit(em,
			  "INCOMPLETE: the top-level buffer lost %" PRIu64
			  " events, figures are too low; raise trace_buf_size= on the kernel command line, now %" PRIu64
			  " KiB per CPU",
			  st->lost, s->src.buffer_kb);
		break;
	case NOTE_LOST_BUFFER:
		sink_emit(em,
			  "INCOMPLETE: the ring buffer dropped %" PRIu64
			  " events, figures are too low; raise rd.memdebug_ko.buffer_kb= (prepare --buffer-kb), now %" PRIu64
			  " KiB per CPU",
			  st->lost, s->src.buffer_kb);
		break;
	case NOTE_LOST:
		sink_emit(em,
			  "INCOMPLETE: the trace lost %" PRIu64
			  " events, figures are too low; record it with a larger buffer_size_kb",
			  st->lost);
		break;
	case NOTE_MALFORMED:
		sink_emit(em,
			  "INCOMPLETE: %" PRIu64
			  " lines could not be parsed and were skipped",
			  st->malformed);
		break;
	case NOTE_GAP:
		sink_emit(em,
			  "INCOMPLETE: the watcher read events and is gone without handing them over; figures are too low");
		break;
	case NOTE_OOM:
		ms_str(when, sizeof(when), s->ts_first_oom / 1000, 3); /* seconds */
		sink_emit(em,
			  "oom: the OOM killer chose %" PRIu64
			  " victim%s, the first at %s s",
			  s->oom_kills, PLURAL(s->oom_kills), when);
		break;
	case NOTE_OOM_LOADS:
		LIST(s, oom_kills, true, oom);
		sink_emit(em, "oom: in init then: %s", oom);
		break;
	case NOTE_NO_PAGES:
		sink_emit(em,
			  "n/a: the trace holds no kmem:mm_page_alloc or mm_page_free event, so no load's pages were measured (a kernel without kmem events?)");
		break;
	case NOTE_NO_BULK:
		sink_emit(em,
			  "not seen: pages of vmalloc (the bulk allocator, which fires no mm_page_alloc): the trace has no memdebug_ko:bulk_enter event (no kprobe events?); the figures leave them out");
		break;
	case NOTE_BULK_NO_CALL:
		sink_emit(em,
			  "not measured: pages of vmalloc (the bulk allocator): %" PRIu64
			  " of its returns in loads or their work came without their call (no memdebug_ko:bulk_enter event), so how many pages they took is unknown; the figures leave them out",
			  s->bulk_no_call);
		break;
	case NOTE_BULK_NO_RETURN:
		sink_emit(em,
			  "not measured: pages of vmalloc (the bulk allocator): the trace has its calls and not one return (no memdebug_ko:bulk_exit event), so how many pages they took is unknown; the figures leave them out");
		break;
	case NOTE_NO_WORK:
		sink_emit(em,
			  "work: not seen: the trace has no workqueue events; pages of the work that loads queue (kworkers, async_schedule) are left out");
		break;
	case NOTE_WORK_HIDDEN:
		sink_emit(em,
			  "work: not measured: the trace shows %" PRIu64
			  " work addresses as (____ptrval____), printed before the kernel's random pool was ready (a CPU without RDRAND?), so work cannot be matched to the load that queued it",
			  s->work_hidden);
		break;
	case NOTE_WORK:
		sink_emit(em,
			  "work: pages that kworkers took running work the load queued (async_schedule too), also after init returned; not in pages and net");
		break;
	case NOTE_NO_THREADS:
		sink_emit(em,
			  "threads: not seen: the trace has no task:task_rename or task_newtask event; pages of kernel threads that loads start (kthread_run) are left out");
		break;
	case NOTE_THREADS_UNLINKED:
		sink_emit(em,
			  "threads: not measured: this kernel lets %" PRIu64
			  " new kernel thread%s name %s, so the task that started %s is unknown; their pages are left out",
			  s->kthreads_unlinked, PLURAL(s->kthreads_unlinked),
			  s->kthreads_unlinked == 1 ? "itself" : "themselves",
			  s->kthreads_unlinked == 1 ? "it" : "them");
		break;
	case NOTE_THREADS:
		LIST(s, kthread_pages, false, names);
		sink_emit(em,
			  "threads: of work, pages of kernel threads that loads started: %s; their unmovable allocations without __GFP_ACCOUNT are traced, their frees are not, so net counts them all",
			  names);
		break;
	case NOTE_NO_STACKS:
		sink_emit(em,
			  "late: not seen: the trace has no kernel stacks; pages a module's code takes outside its load, its work and its threads (an interface's open, a later probe, its timers' work) are left out");
		break;
	case NOTE_LATE_UNPLACED:
		sink_emit(em,
			  "late: not measured: %" PRIu64
			  " kernel stack%s came without the modules' addresses (/sys/module/*/sections unreadable, or kptr_restrict=2), so no frame could be placed in a module",
			  s->stats.stacks_unplaced, PLURAL(s->stats.stacks_unplaced));
		break;
	case NOTE_STACKS_EMPTY:
		sink_emit(em,
			  "late: %" PRIu64 " kernel stack%s of %" PRIu64
			  " pages came without a frame: whose code took them is unknown, so late (and work, where another module's code ran in it) may be short by up to as many",
			  s->empty_stacks, PLURAL(s->empty_stacks), s->empty_stack_pages);
		break;
	case NOTE_LATE:
		sink_emit(em,
			  "late: pages the module's code took outside its load, its work and its threads (an interface's open, a later probe, its timers' work), from the stacks of the allocations no loader made; not in pages and net");
		break;
	default:
		break;
	}
}

/* Note @n about the loads: what their figures leave out, and how many ended how. */
static void emit_load_note(struct emitter *em, const struct summary *s, enum note n)
{
	char names[300];

	switch (n) {
	case NOTE_BULK_PREFILLED:
		sink_emit(em,
			  "not counted: %" PRIu64
			  " bulk allocation%s into a page array that had pages already (its new pages cannot be told from the old)",
			  s->bulk_prefilled, PLURAL(s->bulk_prefilled));
		break;
	case NOTE_NET_BOUND:
		LIST(s, net_over, false, names);
		sink_emit(em,
			  "net may be too high, by up to: %s pages (vmalloc's pages have no pfn, and these loads freed pages they had not allocated one by one)",
			  names);
		break;
	case NOTE_FILTERED:
		sink_emit(em,
			  "n/a: %zu load%s by a task the kmem filter did not record; add its name with rd.memdebug_ko.loaders= (--loader)",
			  s->filtered, PLURAL(s->filtered));
		break;
	case NOTE_LOADING:
		sink_emit(em, "loading: %zu module%s still in init when the trace ended",
			  s->loading, PLURAL(s->loading));
		break;
	case NOTE_FAILED:
		sink_emit(em, "failed: %zu module init%s failed (the module was freed)",
			  s->failed, PLURAL(s->failed));
		break;
	case NOTE_NEXT_LOAD:
		sink_emit(em,
			  "%zu load%s closed by the loader's next module_load: this kernel records no module_put",
			  s->next_load, PLURAL(s->next_load));
		break;
	case NOTE_BEFORE:
		sink_emit(em,
			  "before-tracing: %zu module%s loaded before tracing started (the kernel or PID 1 loaded them); only the image size is known; to trace them, boot with the trace_event= line of memdebug-ko(8), \"Boot-parameter mode\"",
			  s->before, PLURAL(s->before));
		break;
	case NOTE_NOT_SEEN:
		sink_emit(em,
			  "not-seen: %zu module%s in /proc/modules not seen loading: before tracing started, or among the lost events",
			  s->not_seen, PLURAL(s->not_seen));
		break;
	case NOTE_NOT_TRACED:
		sink_emit(em,
			  "not-traced: %zu module%s in /proc/modules; nothing was traced at this boot, so only the image size is known (n/a: not measured)",
			  s->not_traced, PLURAL(s->not_traced));
		break;
	case NOTE_NO_PUT:
		sink_emit(em,
			  "this kernel records no module_put: load windows close at the loader's next load");
		break;
	default:
		emit_trace_note(em, s, n);
		break;
	}
}

/* The lines under the table, those the summary chose, in order. */
static void emit_notes(struct emitter *em, const struct summary *s)
{
	int n;

	for (n = 0; n < NOTE_COUNT; n++)
		if (summary_note(s, (enum note)n))
			emit_load_note(em, s, (enum note)n);
}

/* rd.memdebug=5: the top call sites of the loads with the most pages. */
static void emit_sites(struct emitter *em, const struct summary *s)
{
	char name[MODNAME_MAX + 1], line[400];
	size_t i, j, n, len, shown = 0;

	sink_emit(em,
		  "call sites (rd.memdebug=5), pages from the kernel stacks of the allocations:");
	for (i = 0; i < s->nrows && shown < TEXT_SITE_LOADS; i++) {
		const struct summary_row *r = &s->rows[s->order[i]];

		n = r->nsites < TEXT_SITES ? r->nsites : TEXT_SITES;
		if (!n || !r->measured)
			continue;
		shown++;
		len = (size_t)snprintf(line, sizeof(line), "  %s:",
				       sink_printable(r->name, name, sizeof(name)));
		for (j = 0; j < n && len < sizeof(line); j++)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						"%s %s %" PRIu64, j ? "," : "",
						r->sites[j]->name, r->sites[j]->pages);
		sink_emit(em, "%s", line);
	}
	if (!shown)
		sink_emit(em,
			  "  none: no page allocation of a load had its stack recorded");
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

/* A tmpfs rootfs: the RAM it needs to hold the unpacked initramfs (budget_estimate). */
static void emit_tmpfs(struct emitter *em, const struct summary *s)
{
	const struct budget *b = s->budget;
	const struct estimate e = s->estimate;

	if (!e.tmpfs_kib)
		return;
	sink_emit(em,
		  "estimate: the initramfs unpacks into a tmpfs of %lld KiB (%s%s), a share of MemTotal at its mount (%lld, before the compressed initramfs was freed): its %lld KiB need that share of %lld KiB of MemTotal, and with the %lld KiB of RAM outside MemTotal and the compressed initramfs, %lld KiB of RAM%s",
		  b->rootfs_size_kib,
		  b->initramfs_options[0] ? "initramfs_options=" : "half of MemTotal",
		  b->initramfs_options, b->total - e.initrd_kib, b->initramfs_kib,
		  e.tmpfs_kib - (b->ram_kib - b->total) - e.initrd_kib,
		  b->ram_kib - b->total, e.tmpfs_kib,
		  e.tmpfs_kib > e.formula_kib
			  ? ": more than both sums above, and the estimate"
			  : ", less than the larger sum above");
}

/* "at least " where the OOM killer struck: how much more it needed, no sample shows. */
static const char *least(const struct estimate *e)
{
	return e->oom_kills ? "at least " : "";
}

/*
 * The two sums of an estimate, a line each, after its first line: the dump step's need
 * and the unpacking's (budget_estimate).
 */
static void emit_sums(struct emitter *em, const struct summary *s)
{
	const struct budget *b = s->budget;
	const struct estimate e = s->estimate;
	const char *ram = e.fadump ? "boot memory" : "RAM";
	char low[160], initrd[32], loaded[32], threads[160] = "", vmcore[96], from[128];

	if (e.oom_kills)
		snprintf(low, sizeof(low),
			 "0 (the OOM killer chose %llu victim%s: the memory ran out; the lowest sample, %lld KiB, missed it)",
			 (unsigned long long)e.oom_kills, e.oom_kills == 1 ? "" : "s",
			 e.low_avail_kib);
	else
		snprintf(low, sizeof(low), "%lld (%s)", e.low_avail_kib,
			 s->estimate_from_low ? "the low point" : "at the report");
	if (e.threads_kib)
		snprintf(threads, sizeof(threads),
			 " + dump threads %lld (makedumpfile --num-threads: kdump-utils starts one a CPU of the %d here, about 1 MiB each)",
			 e.threads_kib, b->cpus);
	if (b->vmcore_bogus)
		snprintf(vmcore, sizeof(vmcore),
			 "a vmcore of %llu bytes, which no machine has: its headers are wrong",
			 (unsigned long long)b->vmcore_bogus);
	else
		snprintf(vmcore, sizeof(vmcore), "the %llu MiB vmcore",
			 (unsigned long long)(b->vmcore_bytes >> 20));
	if (e.fadump)
		snprintf(from, sizeof(from), "%s", b->fadump_boot_from);
	else if (b->fdt_reserved_kib)
		snprintf(from, sizeof(from),
			 "iomem, less the crashed kernel's %lld below it that the device tree reserves",
			 b->fdt_reserved_kib);
	else
		snprintf(from, sizeof(from), "iomem");
	sink_emit(em,
		  "estimate: the dump step: %s %lld (%s) - lowest available %s + dump bitmaps %lld (makedumpfile(8): 2 bits per page of %s, %d KiB at most)%s = %lld KiB",
		  ram, e.ram_kib, from, low, e.bitmap_kib, vmcore, DUMP_BITMAPS_MAX_KIB,
		  threads, e.dump_kib);
	sink_emit(em,
		  "estimate: the unpacking: %s %lld - lowest available %lld + compressed initramfs %s (kernel log) - modules %s (their images and what their loads that ended by %s held: they came after the unpacking) = %lld KiB%s",
		  ram, e.ram_kib, e.oom_kills ? 0 : e.low_avail_kib,
		  kib_str(initrd, sizeof(initrd), e.initrd_known ? e.initrd_kib : -1),
		  kib_str(loaded, sizeof(loaded), e.loaded_kib),
		  s->estimate_from_low ? "the low point" : "the report", e.unpack_kib,
		  e.initrd_known
			  ? ""
			  : "; without the initramfs, which the kernel log no longer holds: too low");
}

/*
 * A fadump capture kernel: the boot memory it needs, as fadump=on crashkernel=, the
 * formula, fadump's rules for this system, and whether it had enough.
 */
static void emit_fadump_estimate(struct emitter *em, const struct summary *s)
{
	const struct budget *b = s->budget;
	const struct estimate e = s->estimate;
	char ram[32], def[32], max[32];

	sink_emit(em,
		  "estimate: fadump=on crashkernel=%lldM: the larger of the dump step's %lld KiB and the unpacking's %lld, rounded up to %d MiB%s",
		  e.mib, e.dump_kib, e.unpack_kib, ESTIMATE_STEP_MIB,
		  e.mib * 1024 > e.needed_kib + ESTIMATE_STEP_MIB * 1024
			  ? ", raised to fadump's least"
			  : "");
	emit_sums(em, s);
	emit_tmpfs(em, s);
	kib_str(ram, sizeof(ram), b->system_ram_kib < 0 ? -1 : b->system_ram_kib / 1024);
	sink_emit(em,
		  "estimate: fadump: boot memory of at least %lld MiB (%s); without crashkernel=, max(5 %% of the %s MiB of RAM rounded down to 256 MiB, %lld) = %s MiB; crashkernel= above 25 %%, %s MiB, is cut down to it",
		  e.fadump_min_mib, b->fadump_opal ? "PowerNV" : "PowerVM", ram,
		  e.fadump_min_mib, kib_str(def, sizeof(def), e.fadump_default_mib),
		  kib_str(max, sizeof(max), e.fadump_max_mib));
	if (e.short_kib)
		sink_emit(em,
			  "estimate: SHORT: this capture kernel had %lld KiB of boot memory and needed %s%lld: short by %s%lld KiB; set fadump=on crashkernel=%s%lldM",
			  e.ram_kib, least(&e), e.needed_kib, least(&e), e.short_kib,
			  e.oom_kills ? "more than " : "", e.mib);
	else
		sink_emit(em,
			  "estimate: this capture kernel had %lld KiB of boot memory, %lld more than it needed",
			  e.ram_kib, e.ram_kib - e.needed_kib);
}

/*
 * Above 4 GiB: a capture kernel of crashkernel=...,high runs in its high part and the low
 * part the kernel adds below 4 GiB for DMA (crashkernel=...,low, else x86's 256 MiB at
 * least, arm64's 128 MiB), and gets both; a crashed system of more than 4 GiB may find no
 * room below 4 GiB for crashkernel=NM alone.
 */
static void emit_high(struct emitter *em, const struct summary *s)
{
	const struct estimate e = s->estimate;
	long long low = e.ram_kib - e.ram_high_kib;
	uint64_t ram = s->budget->vmcore_bytes;

	if (e.ram_high_kib > 0 && e.needed_kib <= low) {
		sink_emit(em,
			  "estimate: this capture kernel ran in crashkernel=...,high: %lld KiB above 4 GiB and %lld below (the ,low part), which alone held the %lld KiB it needed",
			  e.ram_high_kib, low, e.needed_kib);
	} else if (e.ram_high_kib > 0) {
		sink_emit(em,
			  "estimate: this capture kernel ran in crashkernel=...,high: %lld KiB above 4 GiB and %lld below (the ,low part); with that low part, crashkernel=%lldM,high",
			  e.ram_high_kib, low, budget_round_mib(e.needed_kib - low));
	} else if (ram > (4ull << 30)) {
		sink_emit(em,
			  "estimate: the crashed system had %llu MiB of RAM: crashkernel=%lldM needs that much free below 4 GiB; where the boot finds none, crashkernel=%lldM,high takes it above, and the kernel adds a low part below 4 GiB for DMA (x86: 256 MiB at least, arm64: 128 MiB; crashkernel=...,low sizes it), which the capture kernel gets too",
			  (unsigned long long)(ram >> 20), e.mib, e.mib);
	}
}

/* A capture kernel: the crashkernel= it needs, the formula, and whether it had enough. */
static void emit_estimate(struct emitter *em, const struct summary *s)
{
	const struct estimate e = s->estimate;

	if (!e.known)
		return;
	if (e.fadump) {
		emit_fadump_estimate(em, s);
		return;
	}
	sink_emit(em,
		  "estimate: crashkernel=%lldM: the larger of the dump step's %lld KiB and the unpacking's %lld, rounded up to %d MiB",
		  e.mib, e.dump_kib, e.unpack_kib, ESTIMATE_STEP_MIB);
	emit_sums(em, s);
	emit_tmpfs(em, s);
	if (e.short_kib)
		sink_emit(em,
			  "estimate: SHORT: this capture kernel has %lld KiB of RAM and needed %s%lld: short by %s%lld KiB; raise crashkernel= to %s%lldM",
			  e.ram_kib, least(&e), e.needed_kib, least(&e), e.short_kib,
			  e.oom_kills ? "more than " : "", e.mib);
	else
		sink_emit(em,
			  "estimate: this capture kernel had %lld KiB of RAM, %lld more than it needed",
			  e.ram_kib, e.ram_kib - e.needed_kib);
	emit_high(em, s);
}

/*
 * The whole kernel's memory at the report: rows from /proc/meminfo that add up to
 * MemTotal, and what the modules and the initramfs are of them.
 */
static void emit_budget(struct emitter *em, const struct summary *s)
{
	const struct budget *b = s->budget;
	char v[32], extra[400], crash[400] = "", capture[160] = "", cap[160] = "";
	int i;

	if (!b)
		return;
	if (b->crashkernel[0])
		snprintf(crash, sizeof(crash), "; crashkernel=%s on the command line",
			 b->crashkernel);
	if (b->crash_size)
		snprintf(crash + strlen(crash), sizeof(crash) - strlen(crash),
			 "; %llu KiB reserved for a capture kernel (kexec crash_size)",
			 (unsigned long long)(b->crash_size / 1024));
	if (b->crash_cma)
		snprintf(crash + strlen(crash), sizeof(crash) - strlen(crash),
			 "; %llu KiB of CMA for it besides (crashkernel=...,cma)",
			 (unsigned long long)(b->crash_cma / 1024));
	if (b->rootfs_size_kib >= 0)
		snprintf(cap, sizeof(cap), " in a tmpfs of %lld (%s%s)",
			 b->rootfs_size_kib,
			 b->initramfs_options[0] ? "initramfs_options=" : "half the RAM",
			 b->initramfs_options);
	if (b->kind == CAPTURE_FADUMP)
		snprintf(capture, sizeof(capture),
			 "; this is a fadump capture kernel (%s): the firmware booted it after the crash",
			 b->capture_from);
	else if (b->capture)
		snprintf(capture, sizeof(capture),
			 "; this is a kdump capture kernel (%s)", b->capture_from);
	sink_emit(em, "budget of the whole kernel at the report: %lld KiB (MemTotal)%s%s",
		  b->total, crash, capture);
	for (i = 0; i < BUDGET_ROWS; i++) {
		char a[32], c[32];

		extra[0] = '\0';
		if (i == BUDGET_FILES && (b->initramfs_kib >= 0 || b->run_kib >= 0))
			snprintf(extra, sizeof(extra),
				 "; of them the initramfs %s (its files%s), /run %s",
				 kib_str(a, sizeof(a), b->initramfs_kib), cap,
				 kib_str(c, sizeof(c), b->run_kib));
		if (i == BUDGET_OTHER)
			snprintf(extra, sizeof(extra),
				 "; of it module images %" PRIu64 " (/proc/modules)",
				 s->total.image_kib.v);
		sink_emit(em, "  %-14s %8s  %s%s", budget_row_name(i),
			  kib_str(v, sizeof(v), b->row[i]), budget_row_source(i), extra);
	}
	if (s->alloc_net_kib.state == FIG_KNOWN)
		sink_emit(em,
			  "  module allocations %" PRIu64
			  " KiB net (the trace: loads and their work; in slab, vmalloc or the other rows)",
			  s->alloc_net_kib.v);
	sink_emit(em, "  %-14s %8s  MemAvailable", "available",
		  kib_str(v, sizeof(v), b->avail));
	emit_estimate(em, s);
}

/* The lowest MemAvailable the watcher saw, and what was in init then. */
static void emit_low_point(struct emitter *em, const struct summary *s)
{
	const struct low_point *l = s->low;
	char t[32], pcp[32];

	if (!l && s->src.not_traced && s->budget)
		sink_emit(em,
			  "low point: no watcher sampled MemAvailable at this boot; the report's reading, %s KiB, stands in for it",
			  kib_str(t, sizeof(t), s->budget->avail));
	if (!l)
		return;
	sink_emit(em,
		  "low point: MemAvailable %lld KiB at %s s (the lowest of %" PRIu64
		  " samples the watcher took, every 100 ms), and %s KiB free in the per-CPU lists; in init then: %s",
		  l->avail_kib, ms_str(t, sizeof(t), l->ts_ns / 1000, 3), l->samples,
		  kib_str(pcp, sizeof(pcp), l->pcp_kib),
		  l->loading[0] ? l->loading : "nothing");
}

int sink_text(const struct summary *s, bool kmsg)
{
	static const struct row head = { { "module", "pages", "KiB", "net", "work",
					   "late", "imgKiB", "initms", "status" },
					 "loader" };
	const struct source_stats *st = &s->stats;
	struct emitter em = { .kmsg = kmsg };
	int wd[NCOLS] = { 16, 5, 5, 5, 4, 4, 6, 6, 6 };
	struct row r, total;
	size_t i;

	for (i = 0; i < s->nrows; i++) {
		fill_row(&r, &s->rows[i]);
		widen(wd, &r);
	}
	fill_total(&total, s);
	widen(wd, &total);
	/* late pages: a column where the trace has the stacks, a note where it has not */
	if (!s->measured.late)
		wd[COL_LATE] = 0;

	sink_emit(&em, "module memory while loading, in %u KiB pages, %s",
		  s->src.page_size / 1024,
		  !s->src.live	      ? "from a saved trace"
		  : s->src.not_traced ? "not traced at this boot"
		  : s->src.since_boot ? "traced since boot (top-level buffer)"
				      : "traced at this boot");
	if (s->src.not_traced)
		sink_emit(&em,
			  "events: none: %s; what /proc shows follows, no page is measured",
			  s->src.not_traced);
	else
		sink_emit(&em,
			  "events: %" PRIu64 " read, %" PRIu64 " lost, %" PRIu64
			  " malformed lines skipped: %s",
			  st->events, st->lost, st->malformed,
			  s->complete ? "complete" : "INCOMPLETE");
	emit_row(&em, &head, wd);
	for (i = 0; i < s->nrows; i++) {
		fill_row(&r, &s->rows[s->order[i]]);
		emit_row(&em, &r, wd);
	}
	emit_row(&em, &total, wd);
	emit_notes(&em, s);
	if (s->sites)
		emit_sites(&em, s);
	emit_low_point(&em, s);
	emit_budget(&em, s);
	if (!em.err && fflush(stdout) == EOF)
		em.err = -errno;
	return em.err;
}
