// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON object: the windows in load order, their figures, and the source's counts. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mdko-config.h"
#include "sink.h"

#define JSON_SITES 5

void sink_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_u64_or_null(FILE *f, const char *key, bool known, uint64_t v)
{
	if (known)
		fprintf(f, ",\"%s\":%" PRIu64, key, v);
	else
		fprintf(f, ",\"%s\":null", key);
}

/* rd.memdebug=5: "sites", the top call sites of @w and their pages. */
static void json_sites(FILE *f, const struct summary *s, const struct window *w)
{
	const struct site *top[JSON_SITES];
	size_t i, n = summary_sites(s, w, top, JSON_SITES);

	fputs(",\"sites\":[", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",{\"site\":" : "{\"site\":", f);
		sink_json_str(f, top[i]->name);
		fprintf(f, ",\"pages\":%" PRIu64 "}", top[i]->pages);
	}
	fputc(']', f);
}

static void json_kib(FILE *f, const char *key, long long kib)
{
	if (kib >= 0)
		fprintf(f, ",\"%s\":%lld", key, kib);
	else
		fprintf(f, ",\"%s\":null", key);
}

/* "budget": the whole kernel's memory at the report, when /proc/meminfo was read. */
static void json_budget(FILE *f, const struct summary *s)
{
	const struct budget *b = s->budget;
	const struct estimate e = s->estimate;
	int i;

	if (!b || !b->known)
		return;
	fprintf(f, ",\"budget\":{\"mem_total_kib\":%lld", b->total);
	json_kib(f, "mem_available_kib", b->avail);
	fputs(",\"crashkernel\":", f);
	if (b->crashkernel[0])
		sink_json_str(f, b->crashkernel);
	else
		fputs("null", f);
	fprintf(f, ",\"kexec_crash_size\":%llu,\"capture_kernel\":%s",
		(unsigned long long)b->crash_size, b->capture ? "true" : "false");
	json_kib(f, "initramfs_kib", b->initramfs_kib);
	json_kib(f, "run_kib", b->run_kib);
	fprintf(f, ",\"module_images_kib\":%" PRIu64, s->image_kib);
	json_u64_or_null(f, "module_allocations_net_kib", !s->a->no_page_events,
			 (s->net + s->work_net) * (s->src.page_size / 1024));
	fputs(",\"rows\":[", f);
	for (i = 0; i < BUDGET_ROWS; i++) {
		fputs(i ? ",{\"row\":" : "{\"row\":", f);
		sink_json_str(f, budget_row_name(i));
		fputs(",\"source\":", f);
		sink_json_str(f, budget_row_source(i));
		json_kib(f, "kib", b->row[i]);
		fputc('}', f);
	}
	fputc(']', f);
	if (e.known) {
		fprintf(f, ",\"estimate\":{\"crashkernel_mib\":%lld,\"needed_kib\":%lld,\"ram_kib\":%lld,\"low_available_kib\":%lld,\"low_from\":\"%s\"",
			e.mib, e.needed_kib, e.ram_kib, e.low_avail_kib,
			s->estimate_from_low ? "low_point" : "report");
		json_kib(f, "initrd_kib", e.initrd_known ? e.initrd_kib : -1);
		fprintf(f, ",\"dump_bitmaps_kib\":%lld,\"vmcore_bytes\":%llu,\"short_kib\":%lld}",
			e.bitmap_kib, (unsigned long long)b->vmcore_bytes,
			e.needed_kib > e.ram_kib ? e.needed_kib - e.ram_kib : 0);
	}
	fputc('}', f);
}

int sink_json(const struct summary *s, FILE *f)
{
	const struct acct *a = s->a;
	const struct source_stats *st = &s->stats;
	bool d = a->work_events && !a->work_hidden;
	char ms[32];
	size_t i;

	fprintf(f, "{\"tool\":\"memdebug-ko\",\"version\":\"%s\",\"source\":\"%s\","
		"\"page_size\":%u,\"events\":%" PRIu64 ",\"lost_events\":%" PRIu64
		",\"malformed_lines\":%" PRIu64 ",\"complete\":%s",
		MEMDEBUG_KO_VERSION, s->src.live ? "live" : "file", s->src.page_size, st->events,
		st->lost, st->malformed, s->complete ? "true" : "false");
	fprintf(f, ",\"pages_measured\":%s", a->no_page_events ? "false" : "true");
	/* the bulk allocator (vmalloc) is seen through prepare's kprobe events only */
	fprintf(f, ",\"bulk_pages_measured\":%s",
		!a->no_page_events && a->bulk_events ? "true" : "false");
	fprintf(f, ",\"deferred_measured\":%s",
		!a->no_page_events && a->work_events && !a->work_hidden ? "true" : "false");
	/* threads started by loads: their creator shows in task_rename (up to 6.12 at least) */
	fprintf(f, ",\"kthreads_measured\":%s",
		!a->no_page_events && acct_threads_measured(a) ? "true" : "false");
	/* rd.memdebug=5: the stacks name the module whose code allocated outside its load */
	fprintf(f, ",\"late_measured\":%s",
		!a->no_page_events && a->stack_events ? "true" : "false");
	if (a->bulk_prefilled)
		fprintf(f, ",\"bulk_calls_not_counted\":%" PRIu64, a->bulk_prefilled);
	fprintf(f, ",\"oom_kills\":%" PRIu64, a->oom_kills);
	if (st->gap)
		fputs(",\"gap\":true", f);
	if (s->src.live)
		fprintf(f, ",\"buffer\":\"%s\"%s", s->src.top ? "top-level" : "instance",
			s->src.since_boot ? ",\"since_boot\":true" : "");
	if (s->src.buffer_kb)
		fprintf(f, ",\"buffer_kb\":%" PRIu64, s->src.buffer_kb);
	fputs(",\"modules\":[", f);
	for (i = 0; i < a->nwin; i++) {
		const struct window *w = &a->win[i];
		bool m = summary_measured(s, w), t = win_traced(w);

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		sink_json_str(f, w->name);
		if (t) {
			fprintf(f, ",\"pid\":%d,\"comm\":", w->pid);
			sink_json_str(f, w->comm);
		} else {
			fputs(",\"pid\":null,\"comm\":null", f);
		}
		json_u64_or_null(f, "pages", m, w->pages);
		json_u64_or_null(f, "kib", m, w->pages * (s->src.page_size / 1024));
		json_u64_or_null(f, "net_pages", m, w->pages - w->freed_pages);
		json_u64_or_null(f, "bulk_pages", m && a->bulk_events, w->bulk_pages);
		json_u64_or_null(f, "freed_unmatched_pages", m, w->unmatched_free_pages);
		json_u64_or_null(f, "deferred_pages", m && d, w->work_pages);
		json_u64_or_null(f, "deferred_net_pages", m && d, w->work_pages - w->work_freed);
		json_u64_or_null(f, "deferred_late_pages", m && d, w->work_late);
		json_u64_or_null(f, "deferred_bulk_pages", m && d && a->bulk_events, w->work_bulk);
		json_u64_or_null(f, "kthreads", t && acct_threads_measured(a), w->kthreads);
		json_u64_or_null(f, "kthread_pages", m && acct_threads_measured(a), w->kthread_pages);
		json_u64_or_null(f, "late_pages", m && a->stack_events, w->late_pages);
		json_u64_or_null(f, "total_pages", m && d, w->pages + w->work_pages);
		json_u64_or_null(f, "total_net_pages", m && d,
				 w->pages - w->freed_pages + w->work_pages - w->work_freed);
		json_u64_or_null(f, "allocs", t, w->allocs);
		json_u64_or_null(f, "frees", t, w->frees);
		json_u64_or_null(f, "failed_allocs", t, w->failed_allocs);
		json_u64_or_null(f, "image_bytes", w->image_bytes, w->image_bytes);
		json_u64_or_null(f, "oom_kills", t, w->oom_kills);
		if (window_init_known(w)) {
			ms_str(ms, sizeof(ms), w->ts_end - w->ts_load, 3);
			fprintf(f, ",\"init_ms\":%s", ms);
		} else
			fputs(",\"init_ms\":null", f);
		/* seconds on the trace's clock: where plot draws the window */
		if (t) {
			fprintf(f, ",\"load_s\":%s", ms_str(ms, sizeof(ms), w->ts_load / 1000, 6));
			if (window_init_known(w))
				fprintf(f, ",\"end_s\":%s", ms_str(ms, sizeof(ms), w->ts_end / 1000, 6));
			else
				fputs(",\"end_s\":null", f);
		}
		if (a->stack_events)
			json_sites(f, s, w);
		fprintf(f, ",\"status\":\"%s\",\"filtered\":%s,\"closed_by\":\"%s\"}",
			window_status_name(w->status), w->filtered ? "true" : "false",
			window_end_name(w->end));
	}
	fputc(']', f);
	json_budget(f, s);
	if (a->low.samples) {
		fprintf(f, ",\"low_point\":{\"mem_available_kib\":%lld,\"seconds\":%s,\"samples\":%" PRIu64 ",\"loading\":",
			a->low.avail_kib, ms_str(ms, sizeof(ms), a->low.ts_ns / 1000, 3), a->low.samples);
		sink_json_str(f, a->low.loading);
		fputs(",\"series\":[", f);
		for (i = 0; i < a->low.nseries; i++)
			fprintf(f, "%s[%s,%" PRId64 "]", i ? "," : "",
				ms_str(ms, sizeof(ms), a->low.series[i].ts_ns / 1000, 3),
				a->low.series[i].kib);
		fputs("]}", f);
	}
	fprintf(f, ",\"total\":{\"pages\":%" PRIu64 ",\"net_pages\":%" PRIu64, s->pages, s->net);
	json_u64_or_null(f, "deferred_pages", d, s->work_pages);
	json_u64_or_null(f, "deferred_net_pages", d, s->work_net);
	json_u64_or_null(f, "kthread_pages", acct_threads_measured(a), s->kthread_pages);
	json_u64_or_null(f, "late_pages", a->stack_events, s->late);
	fputs("}}\n", f);
	/* fflush reports the write error of the last buffer (ENOSPC on a full /run). */
	if (fflush(f) == EOF)
		return errno ? -errno : -EIO;
	return ferror(f) ? -EIO : 0;
}

int sink_json_file(const struct summary *s, const char *path)
{
	char tmp[4096];
	FILE *f;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_err("path too long: %s", path);
		return -ENAMETOOLONG;
	}
	f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
		log_err("cannot write %s: %s", tmp, strerror(errno));
		return r;
	}
	r = sink_json(s, f);
	if (fclose(f) == EOF && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		log_err("cannot write %s: %s", path, strerror(-r));
		unlink(tmp);
	}
	return r;
}
