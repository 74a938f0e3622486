// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "report.h"

#define PLURAL(n) ((n) == 1 ? "" : "s")

static const char *const status_name[] = {
	[WIN_LOADED] = "loaded",
	[WIN_LOADING] = "loading",
	[WIN_FAILED] = "failed",
	[WIN_BEFORE_TRACING] = "before-tracing",
	[WIN_NOT_SEEN] = "not-seen",
};

static const char *const end_name[] = {
	[END_PUT] = "module_put",
	[END_NEXT_LOAD] = "next-load",
	[END_OPEN] = "none",
	[END_TRACE] = "trace-end",
};

/* Pages are known for traced windows whose page events were recorded. */
static bool measured(const struct acct *a, const struct window *w)
{
	return !a->no_page_events && !w->filtered && win_traced(w);
}

/* The init time is known for windows closed by an event, whose timestamps run forward. */
static bool init_known(const struct window *w)
{
	return win_traced(w) && (w->end == END_PUT || w->end == END_NEXT_LOAD) &&
	       w->ts_end >= w->ts_load;
}

static const struct acct *sort_acct;
static enum sort_key sort_by;

static int cmp_windows(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct window *a = &sort_acct->win[ia], *b = &sort_acct->win[ib];
	int r = 0;

	if (sort_by == SORT_NAME) {
		r = strcmp(a->name, b->name);
	} else if (sort_by == SORT_PAGES) {
		if (measured(sort_acct, a) != measured(sort_acct, b))
			r = measured(sort_acct, a) ? -1 : 1;
		else if (a->pages != b->pages)
			r = a->pages > b->pages ? -1 : 1;
	}
	if (!r)
		r = ia < ib ? -1 : ia > ib;
	return r;
}

/* Window indexes in the order the user asked for; NULL when out of memory. */
static size_t *sorted(const struct acct *a, enum sort_key key)
{
	size_t *idx = malloc((a->nwin ? a->nwin : 1) * sizeof(*idx)), i;

	if (!idx)
		return NULL;
	for (i = 0; i < a->nwin; i++)
		idx[i] = i;
	sort_acct = a;
	sort_by = key;
	qsort(idx, a->nwin, sizeof(*idx), cmp_windows);
	return idx;
}

struct emitter {
	bool kmsg;
	int err;
};

/* One line of the text report: a kernel log record, or a line on stdout. */
static void emit(struct emitter *em, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct emitter *em, const char *fmt, ...)
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

/* Copies @s for a terminal: control and non-ASCII bytes become '?'. */
static const char *printable(const char *s, char *buf, size_t size)
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

/* The cells of one table row; @loader is last and never padded. */
struct row {
	char cell[7][MODNAME_MAX + 1];
	char loader[48];
};

enum { COL_NAME, COL_PAGES, COL_KIB, COL_NET, COL_IMG, COL_MS, COL_STATUS, NCOLS };

/* Fills @r for window @w; measured windows add to the totals. */
char *ms_str(char *buf, size_t size, uint64_t ns, unsigned decimals)
{
	uint64_t unit = 1000000, scale = 1;
	unsigned i;

	for (i = 0; i < decimals; i++) {
		unit /= 10;
		scale *= 10;
	}
	ns = (ns + unit / 2) / unit;
	snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64, ns / scale, (int)decimals, ns % scale);
	return buf;
}

/* Bytes in KiB, rounded up, without overflow for any size /proc/modules may print. */
static uint64_t kib_up(uint64_t bytes)
{
	return bytes / 1024 + (bytes % 1024 != 0);
}

static void fill_row(struct row *r, const struct acct *a, const struct window *w,
		     uint64_t kib)
{
	char comm[COMM_MAX + 1];

	printable(w->name, r->cell[COL_NAME], sizeof(r->cell[COL_NAME]));
	if (measured(a, w)) {
		u64s(r->cell[COL_PAGES], w->pages);
		u64s(r->cell[COL_KIB], w->pages * kib);
		u64s(r->cell[COL_NET], w->pages - w->freed_pages);
	} else {
		const char *na = win_traced(w) ? "n/a" : "-";

		strcpy(r->cell[COL_PAGES], na);
		strcpy(r->cell[COL_KIB], na);
		strcpy(r->cell[COL_NET], na);
	}
	if (w->image_bytes)
		u64s(r->cell[COL_IMG], kib_up(w->image_bytes));
	else
		strcpy(r->cell[COL_IMG], "-");
	if (!init_known(w))
		strcpy(r->cell[COL_MS], "-");
	else
		ms_str(r->cell[COL_MS], sizeof(r->cell[COL_MS]), w->ts_end - w->ts_load, 1);
	snprintf(r->cell[COL_STATUS], sizeof(r->cell[COL_STATUS]), "%s",
		 status_name[w->status]);
	if (w->pid < 0)
		strcpy(r->loader, "-");
	else
		snprintf(r->loader, sizeof(r->loader), "%s[%d]",
			 printable(w->comm, comm, sizeof(comm)), w->pid);
}

/* Prints @r with the column widths @wd: the name left-aligned, numbers right-aligned. */
static void emit_row(struct emitter *em, const struct row *r, const int *wd)
{
	emit(em, "%-*s %*s %*s %*s %*s %*s %-*s %s", wd[COL_NAME], r->cell[COL_NAME],
	     wd[COL_PAGES], r->cell[COL_PAGES], wd[COL_KIB], r->cell[COL_KIB], wd[COL_NET],
	     r->cell[COL_NET], wd[COL_IMG], r->cell[COL_IMG], wd[COL_MS], r->cell[COL_MS],
	     wd[COL_STATUS], r->cell[COL_STATUS], r->loader);
}

static void widen(int *wd, const struct row *r)
{
	int c;

	for (c = 0; c < NCOLS; c++)
		if ((int)strlen(r->cell[c]) > wd[c])
			wd[c] = (int)strlen(r->cell[c]);
}

int report_text(const struct acct *a, const struct config *c, const struct report_src *s)
{
	static const struct row head = {
		{ "module", "pages", "KiB", "net", "imgKiB", "initms", "status" }, "loader"
	};
	struct emitter em = { .kmsg = c->kmsg };
	uint64_t tot_pages = 0, tot_net = 0, tot_img = 0, kib = s->page_size / 1024;
	size_t *idx = sorted(a, c->sort), i, n_filtered = 0, n_loading = 0, n_failed = 0,
	       n_next = 0, n_before = 0, n_not_seen = 0, n_loads;
	bool complete = !a->lost && !a->malformed;
	int wd[NCOLS] = { 16, 5, 5, 5, 6, 6, 6 };
	struct row r, total = { { "total" }, "" };

	if (!idx) {
		log_err("out of memory sorting the report");
		return -ENOMEM;
	}
	/* First pass: totals, counts and the width each column needs. */
	for (i = 0; i < a->nwin; i++) {
		const struct window *w = &a->win[i];

		fill_row(&r, a, w, kib);
		widen(wd, &r);
		if (measured(a, w)) {
			tot_pages += w->pages;
			tot_net += w->pages - w->freed_pages;
		}
		tot_img += kib_up(w->image_bytes);
		n_filtered += w->filtered;
		n_loading += w->status == WIN_LOADING;
		n_failed += w->status == WIN_FAILED;
		n_next += w->end == END_NEXT_LOAD;
		n_before += w->status == WIN_BEFORE_TRACING;
		n_not_seen += w->status == WIN_NOT_SEEN;
	}
	n_loads = a->nwin - n_before - n_not_seen;
	u64s(total.cell[COL_PAGES], tot_pages);
	u64s(total.cell[COL_KIB], tot_pages * kib);
	u64s(total.cell[COL_NET], tot_net);
	if (tot_img)
		u64s(total.cell[COL_IMG], tot_img);
	else
		strcpy(total.cell[COL_IMG], "-");
	snprintf(total.loader, sizeof(total.loader), "%zu load%s", n_loads, PLURAL(n_loads));
	widen(wd, &total);

	emit(&em, "module memory while loading, in %u KiB pages, %s", s->page_size / 1024,
	     !s->live ? "from a saved trace" :
	     s->top	? "traced since boot (top-level buffer)" :
			  "traced at this boot");
	emit(&em, "events: %" PRIu64 " read, %" PRIu64 " lost, %" PRIu64
	     " malformed lines skipped: %s", a->events, a->lost, a->malformed,
	     complete ? "complete" : "INCOMPLETE");
	emit_row(&em, &head, wd);
	for (i = 0; i < a->nwin; i++) {
		fill_row(&r, a, &a->win[idx[i]], kib);
		emit_row(&em, &r, wd);
	}
	emit_row(&em, &total, wd);
	if (!a->nwin)
		emit(&em, "no module was loaded while tracing");
	if (a->lost) {
		if (s->top)
			emit(&em, "INCOMPLETE: the top-level buffer lost %" PRIu64 " events, figures are too low; raise trace_buf_size= on the kernel command line, now %" PRIu64 " KiB per CPU",
			     a->lost, s->buffer_kb);
		else if (s->buffer_kb)
			emit(&em, "INCOMPLETE: the ring buffer dropped %" PRIu64 " events, figures are too low; raise rd.memdebug_ko.buffer_kb= (prepare --buffer-kb), now %" PRIu64 " KiB per CPU",
			     a->lost, s->buffer_kb);
		else
			emit(&em, "INCOMPLETE: the trace lost %" PRIu64 " events, figures are too low; record it with a larger buffer_size_kb",
			     a->lost);
	}
	if (a->malformed)
		emit(&em, "INCOMPLETE: %" PRIu64 " lines could not be parsed and were skipped",
		     a->malformed);
	if (a->no_page_events && n_loads)
		emit(&em, "n/a: the trace holds no kmem:mm_page_alloc or mm_page_free event, so no load's pages were measured (a kernel without kmem events?)");
	else if (n_filtered)
		emit(&em, "n/a: %zu load%s by a task the kmem filter did not record; add its name with rd.memdebug_ko.loaders= (--loader)",
		     n_filtered, PLURAL(n_filtered));
	if (n_loading)
		emit(&em, "loading: %zu module%s still in init when the trace ended", n_loading,
		     PLURAL(n_loading));
	if (n_failed)
		emit(&em, "failed: %zu module init%s failed (the module was freed)", n_failed,
		     PLURAL(n_failed));
	if (n_next)
		emit(&em, "%zu load%s closed by the loader's next module_load: this kernel records no module_put",
		     n_next, PLURAL(n_next));
	if (n_before)
		emit(&em, "before-tracing: %zu module%s loaded before tracing started; only the image size is known",
		     n_before, PLURAL(n_before));
	if (n_not_seen)
		emit(&em, "not-seen: %zu module%s in /proc/modules not seen loading: before tracing started, or among the lost events",
		     n_not_seen, PLURAL(n_not_seen));
	if (a->no_put_events && !n_next)
		emit(&em, "this kernel records no module_put: load windows close at the loader's next load");
	free(idx);
	if (!em.err && fflush(stdout) == EOF)
		em.err = -errno;
	return em.err;
}

/* A JSON string; bytes outside printable ASCII are escaped, so the output is valid UTF-8. */
static void json_str(FILE *f, const char *s)
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

int report_json(const struct acct *a, const struct report_src *s, FILE *f)
{
	char ms[32];
	uint64_t tot_pages = 0, tot_net = 0;
	size_t i;

	fprintf(f, "{\"tool\":\"memdebug-ko\",\"version\":\"%s\",\"source\":\"%s\","
		"\"page_size\":%u,\"events\":%" PRIu64 ",\"lost_events\":%" PRIu64
		",\"malformed_lines\":%" PRIu64 ",\"complete\":%s",
		MEMDEBUG_KO_VERSION, s->live ? "live" : "file", s->page_size, a->events, a->lost,
		a->malformed, !a->lost && !a->malformed ? "true" : "false");
	fprintf(f, ",\"pages_measured\":%s", a->no_page_events ? "false" : "true");
	if (s->live)
		fprintf(f, ",\"buffer\":\"%s\"", s->top ? "top-level" : "instance");
	if (s->buffer_kb)
		fprintf(f, ",\"buffer_kb\":%" PRIu64, s->buffer_kb);
	fputs(",\"modules\":[", f);
	for (i = 0; i < a->nwin; i++) {
		const struct window *w = &a->win[i];
		bool m = measured(a, w), t = win_traced(w);

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, w->name);
		if (t) {
			fprintf(f, ",\"pid\":%d,\"comm\":", w->pid);
			json_str(f, w->comm);
		} else {
			fputs(",\"pid\":null,\"comm\":null", f);
		}
		json_u64_or_null(f, "pages", m, w->pages);
		json_u64_or_null(f, "kib", m, w->pages * (s->page_size / 1024));
		json_u64_or_null(f, "net_pages", m, w->pages - w->freed_pages);
		json_u64_or_null(f, "allocs", t, w->allocs);
		json_u64_or_null(f, "frees", t, w->frees);
		json_u64_or_null(f, "failed_allocs", t, w->failed_allocs);
		json_u64_or_null(f, "image_bytes", w->image_bytes, w->image_bytes);
		if (init_known(w)) {
			ms_str(ms, sizeof(ms), w->ts_end - w->ts_load, 3);
			fprintf(f, ",\"init_ms\":%s", ms);
		} else
			fputs(",\"init_ms\":null", f);
		fprintf(f, ",\"status\":\"%s\",\"filtered\":%s,\"closed_by\":\"%s\"}",
			status_name[w->status], w->filtered ? "true" : "false",
			end_name[w->end]);
		if (m) {
			tot_pages += w->pages;
			tot_net += w->pages - w->freed_pages;
		}
	}
	fprintf(f, "],\"total\":{\"pages\":%" PRIu64 ",\"net_pages\":%" PRIu64 "}}\n",
		tot_pages, tot_net);
	/* fflush reports the write error of the last buffer (ENOSPC on a full /run). */
	if (fflush(f) == EOF)
		return errno ? -errno : -EIO;
	return ferror(f) ? -EIO : 0;
}

int report_json_file(const struct acct *a, const struct report_src *s, const char *path)
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
	r = report_json(a, s, f);
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
