// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON object: the windows in load order, their figures, and the source's counts. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "mdko-config.h"
#include "sink.h"

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

/* A figure: its number when known, else null. */
static void json_fig(FILE *f, const char *key, struct fig v)
{
	if (v.state == FIG_KNOWN)
		fprintf(f, ",\"%s\":%" PRIu64, key, v.v);
	else
		fprintf(f, ",\"%s\":null", key);
}

/* rd.memdebug=5: "sites", the top call sites of @r and their pages. */
static void json_sites(FILE *f, const struct summary_row *r)
{
	size_t i;

	fputs(",\"sites\":[", f);
	for (i = 0; i < r->nsites; i++) {
		fputs(i ? ",{\"site\":" : "{\"site\":", f);
		sink_json_str(f, r->sites[i]->name);
		fprintf(f, ",\"pages\":%" PRIu64 "}", r->sites[i]->pages);
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

	if (!b)
		return;
	fprintf(f, ",\"budget\":{\"mem_total_kib\":%lld", b->total);
	json_kib(f, "mem_available_kib", b->avail);
	fputs(",\"crashkernel\":", f);
	if (b->crashkernel[0])
		sink_json_str(f, b->crashkernel);
	else
		fputs("null", f);
	fputs(",\"initramfs_options\":", f);
	if (b->initramfs_options[0])
		sink_json_str(f, b->initramfs_options);
	else
		fputs("null", f);
	fprintf(f,
		",\"kexec_crash_size\":%llu,\"kexec_crash_cma\":%llu,\"capture_kernel\":%s",
		(unsigned long long)b->crash_size, (unsigned long long)b->crash_cma,
		b->capture ? "true" : "false");
	if (b->capture) {
		fprintf(f, ",\"dump\":\"%s\",\"capture_from\":",
			b->kind == CAPTURE_FADUMP ? "fadump" : "kdump");
		sink_json_str(f, b->capture_from);
	}
	json_kib(f, "initramfs_kib", b->initramfs_kib);
	json_kib(f, "rootfs_size_kib", b->rootfs_size_kib);
	json_kib(f, "run_kib", b->run_kib);
	fprintf(f, ",\"module_images_kib\":%" PRIu64, s->total.image_kib.v);
	json_fig(f, "module_allocations_net_kib", s->alloc_net_kib);
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
		fprintf(f,
			",\"estimate\":{\"crashkernel_mib\":%lld,\"needed_kib\":%lld,\"ram_kib\":%lld,\"low_available_kib\":%lld,\"low_from\":\"%s\"",
			e.mib, e.needed_kib, e.ram_kib, e.low_avail_kib,
			s->estimate_from_low ? "low_point" : "report");
		json_kib(f, "low_pcp_kib", e.low_pcp_kib);
		fprintf(f, ",\"ram_high_kib\":%lld", e.ram_high_kib);
		if (b->fdt_reserved_kib)
			fprintf(f, ",\"fdt_reserved_kib\":%lld", b->fdt_reserved_kib);
		json_kib(f, "initrd_kib", e.initrd_known ? e.initrd_kib : -1);
		fprintf(f, ",\"dump_bitmaps_kib\":%lld,\"short_kib\":%lld", e.bitmap_kib,
			e.short_kib);
		/* a size no machine has is not one: null, and the size beside it */
		if (b->vmcore_bogus)
			fputs(",\"vmcore_bytes\":null", f);
		else
			fprintf(f, ",\"vmcore_bytes\":%llu",
				(unsigned long long)b->vmcore_bytes);
		fprintf(f, ",\"dump_threads_kib\":%lld,\"cpus\":%d,\"formula_kib\":%lld",
			e.threads_kib, b->cpus, e.formula_kib);
		fprintf(f, ",\"dump_kib\":%lld,\"unpack_kib\":%lld", e.dump_kib,
			e.unpack_kib);
		json_kib(f, "modules_kib", e.loaded_kib);
		if (b->vmcore_bogus)
			fprintf(f, ",\"vmcore_bogus_bytes\":%llu",
				(unsigned long long)b->vmcore_bogus);
		json_kib(f, "tmpfs_kib", e.tmpfs_kib ? e.tmpfs_kib : -1);
		if (e.fadump) {
			fprintf(f,
				",\"mode\":\"fadump\",\"fadump_platform\":\"%s\",\"fadump_min_mib\":%lld",
				b->fadump_opal ? "PowerNV" : "PowerVM", e.fadump_min_mib);
			/* MiB, not KiB: json_kib only prints null for -1 */
			json_kib(f, "fadump_default_mib", e.fadump_default_mib);
			json_kib(f, "fadump_max_mib", e.fadump_max_mib);
			json_kib(f, "system_ram_kib", b->system_ram_kib);
			fputs(",\"ram_from\":", f);
			sink_json_str(f, b->fadump_boot_from);
		}
		fputc('}', f);
	}
	fputc('}', f);
}

/* A row of "modules": its figures, null where the summary knows none. */
static void json_row(FILE *f, const struct summary *s, const struct summary_row *r)
{
	char ms[32];

	sink_json_str(f, r->name);
	if (r->traced) {
		fprintf(f, ",\"pid\":%d,\"comm\":", r->pid);
		sink_json_str(f, r->comm);
	} else {
		fputs(",\"pid\":null,\"comm\":null", f);
	}
	json_fig(f, "pages", r->pages);
	json_fig(f, "kib", r->kib);
	json_fig(f, "net_pages", r->net);
	json_fig(f, "bulk_pages", r->bulk_pages);
	json_fig(f, "freed_unmatched_pages", r->freed_unmatched);
	json_fig(f, "deferred_pages", r->work_pages);
	json_fig(f, "deferred_net_pages", r->work_net);
	json_fig(f, "deferred_late_pages", r->work_late);
	json_fig(f, "deferred_bulk_pages", r->work_bulk);
	json_fig(f, "kthreads", r->kthreads);
	json_fig(f, "kthread_pages", r->kthread_pages);
	json_fig(f, "late_pages", r->late_pages);
	json_fig(f, "total_pages", r->total_pages);
	json_fig(f, "total_net_pages", r->total_net);
	json_fig(f, "allocs", r->allocs);
	json_fig(f, "frees", r->frees);
	json_fig(f, "failed_allocs", r->failed_allocs);
	json_fig(f, "image_bytes", r->image_bytes);
	json_fig(f, "oom_kills", r->oom_kills);
	if (r->init_known)
		fprintf(f, ",\"init_ms\":%s", ms_str(ms, sizeof(ms), r->init_ns, 3));
	else
		fputs(",\"init_ms\":null", f);
	/* seconds on the trace's clock: where plot draws the window */
	if (r->traced) {
		fprintf(f, ",\"load_s\":%s",
			ms_str(ms, sizeof(ms), r->load_ns / 1000, 6));
		if (r->init_known)
			fprintf(f, ",\"end_s\":%s",
				ms_str(ms, sizeof(ms), r->end_ns / 1000, 6));
		else
			fputs(",\"end_s\":null", f);
	}
	if (s->sites)
		json_sites(f, r);
	fprintf(f, ",\"status\":\"%s\",\"filtered\":%s,\"closed_by\":\"%s\"}", r->status,
		r->filtered ? "true" : "false", r->closed_by);
}

/* "low_point": the lowest MemAvailable the watcher saw, and the series of its samples. */
static void json_low_point(FILE *f, const struct low_point *l)
{
	char ms[32];
	uint32_t i;

	fprintf(f,
		",\"low_point\":{\"mem_available_kib\":%lld,\"seconds\":%s,\"samples\":%" PRIu64
		",\"loading\":",
		l->avail_kib, ms_str(ms, sizeof(ms), l->ts_ns / 1000, 3), l->samples);
	sink_json_str(f, l->loading);
	json_kib(f, "pcp_kib", l->pcp_kib);
	fputs(",\"series\":[", f);
	for (i = 0; i < l->nseries; i++)
		fprintf(f, "%s[%s,%" PRId64 "]", i ? "," : "",
			ms_str(ms, sizeof(ms), l->series[i].ts_ns / 1000, 3),
			l->series[i].kib);
	fputs("]}", f);
}

/* The head of the object: the tool, the source's counts, and what was measured. */
static void json_head(FILE *f, const struct summary *s)
{
	const struct source_stats *st = &s->stats;

	fprintf(f,
		"{\"tool\":\"memdebug-ko\",\"version\":\"%s\",\"source\":\"%s\","
		"\"page_size\":%u,\"events\":%" PRIu64 ",\"lost_events\":%" PRIu64
		",\"malformed_lines\":%" PRIu64 ",\"complete\":%s",
		MEMDEBUG_KO_VERSION, s->src.live ? "live" : "file", s->src.page_size,
		st->events, st->lost, st->malformed, s->complete ? "true" : "false");
	fprintf(f, ",\"pages_measured\":%s", s->measured.pages ? "true" : "false");
	fprintf(f, ",\"bulk_pages_measured\":%s", s->measured.bulk ? "true" : "false");
	fprintf(f, ",\"deferred_measured\":%s", s->measured.work ? "true" : "false");
	fprintf(f, ",\"kthreads_measured\":%s", s->measured.threads ? "true" : "false");
	fprintf(f, ",\"late_measured\":%s", s->measured.late ? "true" : "false");
	if (s->bulk_prefilled)
		fprintf(f, ",\"bulk_calls_not_counted\":%" PRIu64, s->bulk_prefilled);
	if (s->bulk_no_call)
		fprintf(f, ",\"bulk_returns_without_call\":%" PRIu64, s->bulk_no_call);
	if (s->empty_stacks)
		fprintf(f, ",\"empty_stacks\":%" PRIu64 ",\"empty_stack_pages\":%" PRIu64,
			s->empty_stacks, s->empty_stack_pages);
	fprintf(f, ",\"oom_kills\":%" PRIu64, s->oom_kills);
	if (st->gap)
		fputs(",\"gap\":true", f);
	if (s->src.not_traced) {
		fputs(",\"traced\":false,\"not_traced\":", f);
		sink_json_str(f, s->src.not_traced);
	} else if (s->src.live) {
		fprintf(f, ",\"buffer\":\"%s\"%s", s->src.top ? "top-level" : "instance",
			s->src.since_boot ? ",\"since_boot\":true" : "");
	}
	if (s->src.buffer_kb)
		fprintf(f, ",\"buffer_kb\":%" PRIu64, s->src.buffer_kb);
}

int sink_json(const struct summary *s, FILE *f)
{
	size_t i;

	json_head(f, s);
	fputs(",\"modules\":[", f);
	for (i = 0; i < s->nrows; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_row(f, s, &s->rows[i]);
	}
	fputc(']', f);
	json_budget(f, s);
	if (s->low)
		json_low_point(f, s->low);
	if (s->src.not_traced)
		fputs(",\"total\":{\"pages\":null,\"net_pages\":null", f);
	else
		fprintf(f, ",\"total\":{\"pages\":%" PRIu64 ",\"net_pages\":%" PRIu64,
			s->total.pages, s->total.net);
	json_fig(f, "deferred_pages", s->total.work_pages);
	json_fig(f, "deferred_net_pages", s->total.work_net);
	json_fig(f, "kthread_pages", s->total.kthread_pages);
	json_fig(f, "late_pages", s->total.late_pages);
	fputs("}}\n", f);
	/* fflush reports the write error of the last buffer (ENOSPC on a full /run). */
	if (fflush(f) == EOF)
		return errno ? -errno : -EIO;
	return ferror(f) ? -EIO : 0;
}

int sink_json_file(const struct summary *s, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, r;

	fd = io_tmp_open(path, tmp, 0644);
	if (fd < 0) {
		log_err("cannot write %s.tmp: %s", path, strerror(-fd));
		return fd;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = io_tmp_commit(fd, tmp, path, -errno);
		log_err("cannot write %s: %s", path, strerror(-r));
		return r;
	}
	r = sink_json(s, f);
	if (fclose(f) == EOF && !r)
		r = -errno;
	r = io_tmp_commit(-1, tmp, path, r);
	if (r)
		log_err("cannot write %s: %s", path, strerror(-r));
	return r;
}
