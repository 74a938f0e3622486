// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko compare OLD.json NEW.json: two JSON reports side by side, for "the capture
 * kernel runs out of memory since the kernel update". Per module the memory its loads
 * kept (net pages of the loads and their work) and its image, then and now, sorted by
 * growth, and what its code took after its load (late) where a report measured it; then
 * the budget rows and the low point of both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "log.h"
#include "sink.h"

#define NAME_MAX_LEN 56

/*
 * A module's figures in one report, in KiB; -1: not in it, or not measured. late: what
 * its code took after its load (taken, not kept: the frees of those tasks are not
 * traced), apart from the growth.
 */
struct side {
	double kib, img, late;
	bool present;
};

struct mod_row {
	char name[NAME_MAX_LEN];
	struct side then, now;
	double growth;
	bool growth_known; /* not when a report has the module but not its memory */
};

struct rows {
	struct mod_row *r;
	size_t n, cap;
};

static void usage(void)
{
	printf("Usage: memdebug-ko compare [OPTION]... OLD.json NEW.json\n"
	       "Compare two JSON reports of memdebug-ko: per module the memory its loads kept\n"
	       "(net pages of the loads and their work, in KiB) and its image, then and now,\n"
	       "largest growth first; then the budget of the whole kernel and the low point.\n\n"
	       "  -f, --format FMT  text (default) or json\n"
	       "  -h, --help        this help\n");
}

static struct mod_row *row_of(struct rows *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!strcmp(rs->r[i].name, name))
			return &rs->r[i];
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct mod_row *n = realloc(rs->r, cap * sizeof(*n));

		if (!n)
			return NULL;
		rs->r = n;
		rs->cap = cap;
	}
	memset(&rs->r[rs->n], 0, sizeof(rs->r[0]));
	snprintf(rs->r[rs->n].name, NAME_MAX_LEN, "%s", name);
	rs->r[rs->n].then.kib = rs->r[rs->n].now.kib = -1;
	rs->r[rs->n].then.img = rs->r[rs->n].now.img = -1;
	rs->r[rs->n].then.late = rs->r[rs->n].now.late = -1;
	return &rs->r[rs->n++];
}

/* Adds the loads of report @j to side @now (else then) of the rows. */
static int add_report(struct rows *rs, const struct json *j, bool now)
{
	double psz = 4096, v;
	const struct json *m;

	json_num(j, "page_size", &psz);
	for (m = json_get(j, "modules")->child; m; m = m->next) {
		const char *name = json_strv(m, "name");
		struct mod_row *r;
		struct side *s;

		if (!name)
			continue;
		r = row_of(rs, name);
		if (!r)
			return -ENOMEM;
		s = now ? &r->now : &r->then;
		s->present = true;
		/* with work where the report measured it, else the loader's own */
		if (json_num(m, "total_net_pages", &v) || json_num(m, "net_pages", &v))
			s->kib = (s->kib < 0 ? 0 : s->kib) + v * psz / 1024;
		if (json_num(m, "image_bytes", &v))
			s->img = (double)(((uint64_t)v + 1023) / 1024);
		if (json_num(m, "late_pages", &v))
			s->late = (s->late < 0 ? 0 : s->late) + v * psz / 1024;
	}
	return 0;
}

/* Whether report @j measured late pages: then the comparison has their columns. */
static bool late_measured(const struct json *j)
{
	const struct json *x = json_get(j, "late_measured");

	return x && x->type == JSON_BOOL && x->boolean;
}

static double or0(double v)
{
	return v < 0 ? 0 : v;
}

static int by_growth(const void *pa, const void *pb)
{
	const struct mod_row *a = pa, *b = pb;

	if (a->growth_known != b->growth_known)
		return a->growth_known ? -1 : 1;
	if (a->growth != b->growth)
		return a->growth > b->growth ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* A cell: the figure, "-" when the module is absent, "n/a" when not measured. */
static const char *cell(char *buf, size_t n, const struct side *s, double v)
{
	if (!s->present)
		snprintf(buf, n, "-");
	else if (v < 0)
		snprintf(buf, n, "n/a");
	else
		snprintf(buf, n, "%.0f", v);
	return buf;
}

static const char *cell_num(char *buf, size_t n, double v, bool known)
{
	if (known)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "?");
	return buf;
}

/* A budget row of both reports: its value then and now, where known. */
struct brow {
	const char *name;
	double then, now;
	bool then_known, now_known;
};

#define BROWS_MAX 24

static bool num_of(const struct json *j, const char *key, double *v)
{
	return j && json_num(j, key, v);
}

/* The row named @name of the "rows" of budget @b. */
static bool row_kib(const struct json *b, const char *name, double *v)
{
	const struct json *x = json_get(b, "rows");

	for (x = x ? x->child : NULL; x; x = x->next)
		if (json_strv(x, "row") && !strcmp(json_strv(x, "row"), name))
			return json_num(x, "kib", v);
	return false;
}

/*
 * The budget rows of both reports, in the newer report's order, with MemTotal first and
 * the available memory and the low point last; returns how many, 0 when one has none.
 */
static size_t collect_budget(const struct json *o, const struct json *n, struct brow *out)
{
	const struct json *bo = json_get(o, "budget"), *bn = json_get(n, "budget"), *r;
	size_t k = 0;

	if (!bo || !bn)
		return 0;
	out[k] = (struct brow){ .name = "MemTotal" };
	out[k].then_known = num_of(bo, "mem_total_kib", &out[k].then);
	out[k].now_known = num_of(bn, "mem_total_kib", &out[k].now);
	k++;
	for (r = json_get(bn, "rows") ? json_get(bn, "rows")->child : NULL;
	     r && k < BROWS_MAX - 2; r = r->next) {
		if (!json_strv(r, "row"))
			continue;
		out[k] = (struct brow){ .name = json_strv(r, "row") };
		out[k].now_known = json_num(r, "kib", &out[k].now);
		out[k].then_known = row_kib(bo, out[k].name, &out[k].then);
		k++;
	}
	out[k] = (struct brow){ .name = "available" };
	out[k].then_known = num_of(bo, "mem_available_kib", &out[k].then);
	out[k].now_known = num_of(bn, "mem_available_kib", &out[k].now);
	k++;
	out[k] = (struct brow){ .name = "low point" };
	out[k].then_known =
		num_of(json_get(o, "low_point"), "mem_available_kib", &out[k].then);
	out[k].now_known =
		num_of(json_get(n, "low_point"), "mem_available_kib", &out[k].now);
	return k + 1;
}

static void text_budget(const struct json *o, const struct json *n)
{
	struct brow b[BROWS_MAX];
	size_t i, k = collect_budget(o, n, b);
	char x[32], y[32], z[32];

	if (!k) {
		printf("budget: %s\n",
		       !json_get(o, "budget") && !json_get(n, "budget")
			       ? "in neither report (a replay without --proc has none)"
		       : !json_get(o, "budget") ? "only in the new report"
						: "only in the old report");
		return;
	}
	printf("%-14s %8s %8s %8s\n", "budget, KiB", "then", "now", "change");
	for (i = 0; i < k; i++)
		printf("%-14s %8s %8s %8s\n", b[i].name,
		       cell_num(x, 32, b[i].then, b[i].then_known),
		       cell_num(y, 32, b[i].now, b[i].now_known),
		       cell_num(z, 32, b[i].now - b[i].then,
				b[i].then_known && b[i].now_known));
}

static void text(const struct rows *rs, const char *po, const char *pn,
		 const struct json *o, const struct json *n)
{
	char a[32], b[32], c[32], d[32], e[32], f[32], late[72] = "";
	double to = 0, tn = 0, io = 0, in = 0, lo = 0, ln = 0;
	bool with_late = late_measured(o) || late_measured(n);
	size_t i;

	printf("then: %s\nnow:  %s\n", po, pn);
	printf("module memory kept by each module's loads (net pages of the loads and their work) and its image, in KiB, largest growth first%s\n",
	       with_late ? "; late: taken by its code after its load (not in the growth)"
			 : "");
	if (with_late)
		snprintf(late, sizeof(late), " %8s %8s", "latethen", "latenow");
	printf("%-22s %8s %8s %8s %8s %8s%s\n", "module", "then", "now", "imgthen",
	       "imgnow", "growth", late);
	for (i = 0; i < rs->n; i++) {
		const struct mod_row *r = &rs->r[i];

		char g[32] = "?";

		if (r->growth_known)
			snprintf(g, sizeof(g), "%+.0f", r->growth);
		if (with_late)
			snprintf(late, sizeof(late), " %8s %8s",
				 cell(e, 32, &r->then, r->then.late),
				 cell(f, 32, &r->now, r->now.late));
		printf("%-22s %8s %8s %8s %8s %8s%s\n", r->name,
		       cell(a, 32, &r->then, r->then.kib),
		       cell(b, 32, &r->now, r->now.kib),
		       cell(c, 32, &r->then, r->then.img),
		       cell(d, 32, &r->now, r->now.img), g, late);
		to += or0(r->then.kib);
		tn += or0(r->now.kib);
		io += or0(r->then.img);
		in += or0(r->now.img);
		lo += or0(r->then.late);
		ln += or0(r->now.late);
	}
	if (with_late)
		snprintf(late, sizeof(late), " %8.0f %8.0f", lo, ln);
	printf("%-22s %8.0f %8.0f %8.0f %8.0f %+8.0f%s\n", "total", to, tn, io, in,
	       tn + in - to - io, late);
	printf("(-: not in that report; n/a: loaded before tracing or not measured there, so its growth is ?; the totals count those as 0)\n");
	text_budget(o, n);
}

static void json_side(const char *key, const struct side *s, double v)
{
	printf(",\"%s\":", key);
	if (s->present && v >= 0)
		printf("%.0f", v);
	else
		printf("null");
}

static void json_val(const char *key, double v, bool known)
{
	if (known)
		printf(",\"%s\":%.0f", key, v);
	else
		printf(",\"%s\":null", key);
}

static void json_out(const struct rows *rs, const char *po, const char *pn,
		     const struct json *o, const struct json *n)
{
	struct brow b[BROWS_MAX];
	size_t i, k;

	printf("{\"tool\":\"memdebug-ko\",\"compare\":{\"old\":");
	sink_json_str(stdout, po);
	printf(",\"new\":");
	sink_json_str(stdout, pn);
	printf("},\"modules\":[");
	for (i = 0; i < rs->n; i++) {
		const struct mod_row *r = &rs->r[i];

		printf(i ? ",{\"name\":" : "{\"name\":");
		sink_json_str(stdout, r->name);
		printf(",\"in_old\":%s,\"in_new\":%s", r->then.present ? "true" : "false",
		       r->now.present ? "true" : "false");
		json_side("then_kib", &r->then, r->then.kib);
		json_side("now_kib", &r->now, r->now.kib);
		json_side("image_then_kib", &r->then, r->then.img);
		json_side("image_now_kib", &r->now, r->now.img);
		json_side("late_then_kib", &r->then, r->then.late);
		json_side("late_now_kib", &r->now, r->now.late);
		if (r->growth_known)
			printf(",\"growth_kib\":%.0f}", r->growth);
		else
			printf(",\"growth_kib\":null}");
	}
	printf("]");
	k = collect_budget(o, n, b);
	if (k) {
		printf(",\"budget\":[");
		for (i = 0; i < k; i++) {
			printf(i ? ",{\"row\":" : "{\"row\":");
			sink_json_str(stdout, b[i].name);
			json_val("then_kib", b[i].then, b[i].then_known);
			json_val("now_kib", b[i].now, b[i].now_known);
			json_val("change_kib", b[i].now - b[i].then,
				 b[i].then_known && b[i].now_known);
			putchar('}');
		}
		putchar(']');
	}
	printf("}\n");
}

static int compare(const char *po, const char *pn, bool as_json)
{
	struct json *o = json_read_report(po), *n = o ? json_read_report(pn) : NULL;
	struct rows rs = { 0 };
	size_t i;
	int r = EXIT_FAILURE;

	if (!o || !n)
		goto out;
	if (add_report(&rs, o, false) < 0 || add_report(&rs, n, true) < 0) {
		log_err("out of memory comparing the reports");
		goto out;
	}
	for (i = 0; i < rs.n; i++) {
		struct mod_row *m = &rs.r[i];

		m->growth = or0(m->now.kib) + or0(m->now.img) - or0(m->then.kib) -
			    or0(m->then.img);
		/*
		 * absent is 0; present without a figure (before tracing, filtered) is unknown,
		 * and so is an image that one report has and the other does not (a replay
		 * reads no /proc/modules): it is no shrinkage
		 */
		m->growth_known = !(m->then.present && m->then.kib < 0) &&
				  !(m->now.present && m->now.kib < 0) &&
				  !(m->then.present && m->now.present &&
				    (m->then.img < 0) != (m->now.img < 0));
	}
	if (rs.n)
		qsort(rs.r, rs.n, sizeof(rs.r[0]), by_growth);
	if (as_json)
		json_out(&rs, po, pn, o, n);
	else
		text(&rs, po, pn, o, n);
	r = fflush(stdout) == EOF ? EXIT_FAILURE : 0;
out:
	free(rs.r);
	json_free(o);
	json_free(n);
	return r;
}

/* The options of compare: --format. */
struct compare_opts {
	const char *format;
};

static const struct cli_opt compare_opts[] = {
	CLI_VALUE("format", 'f', struct compare_opts, format),
	CLI_END,
};

static const struct cli_cmd compare_cli = {
	"compare", usage, compare_opts, 2, "two JSON reports, OLD and NEW", NULL, false
};

static int run(int argc, char **argv)
{
	struct compare_opts o = { .format = "text" };
	int status, first = cli_parse(&compare_cli, &o, argc, argv, &status);

	if (first < 0)
		return status;
	if (strcmp(o.format, "text") && strcmp(o.format, "json")) {
		fprintf(stderr, "memdebug-ko: --format must be text or json, not '%s'\n",
			o.format);
		return cli_usage_error("compare ");
	}
	return compare(argv[first], argv[first + 1], !strcmp(o.format, "json"));
}

const struct command cmd_compare = {
	"compare", run, "compare two JSON reports: module memory and budget, then and now"
};
