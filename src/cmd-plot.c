// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko plot REPORT.json > boot.svg: the initramfs on a time axis, in the spirit of
 * systemd-analyze plot. One row per load window, labelled with its pages, grouped by
 * loader (parallel udev workers show side by side in time), and below them the available
 * memory the watcher sampled, with its low point marked. Plain SVG, no dependency.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "log.h"

#define W	  1200.0
#define LEFT	  210.0 /* the lanes' labels */
#define RIGHT	  30.0
#define TOP	  70.0
#define ROW_H	  18.0
#define GROUP_GAP 4.0
#define CHART_H	  200.0
#define LANES_MAX 256

struct lane {
	int pid;
	char comm[32];
	int rows; /* its windows */
};

struct view {
	double t0, t1;
};

static double x_of(const struct view *v, double t)
{
	return LEFT + (t - v->t0) / (v->t1 - v->t0) * (W - LEFT - RIGHT);
}

/* Writes @s with the characters XML must escape. */
static void xml(const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", stdout);
			break;
		case '<':
			fputs("&lt;", stdout);
			break;
		case '>':
			fputs("&gt;", stdout);
			break;
		case '"':
			fputs("&quot;", stdout);
			break;
		default:
			if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
				putchar(*s);
			else
				putchar('?');
		}
	}
}

static void usage(void)
{
	printf("Usage: memdebug-ko plot REPORT.json > boot.svg\n"
	       "Draw a JSON report as an SVG picture: the module loads on a time axis, one lane\n"
	       "per loader, each bar labelled with its pages, and the available memory the\n"
	       "watcher sampled, with its low point.\n\n"
	       "  -h, --help  this help\n");
}

/* A tick step that gives at most about 12 ticks over @span seconds. */
static double tick_step(double span)
{
	static const double steps[] = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,   2,
					5,    10,   20,	  30,  60,  120, 300, 600 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 12)
			return steps[i];
	return 1200;
}

static int lane_of(struct lane *lanes, int *n, int pid, const char *comm)
{
	int i;

	for (i = 0; i < *n; i++)
		if (lanes[i].pid == pid)
			return i;
	if (*n == LANES_MAX)
		return LANES_MAX - 1;
	lanes[*n].pid = pid;
	lanes[*n].rows = 0;
	snprintf(lanes[*n].comm, sizeof(lanes[*n].comm), "%s", comm ? comm : "?");
	return (*n)++;
}

/* The window's pages as the table shows them: with its work, where measured. */
static bool pages_of(const struct json *m, double *pages)
{
	return json_num(m, "total_pages", pages) || json_num(m, "pages", pages);
}

/* What the drawing needs of one report. */
struct plot {
	const char *path;
	const struct json *mods, *low, *series;
	struct view v;
	double max_kib; /* the highest sample: the memory chart's scale */
	int nwin;	/* windows with a load time */
	struct lane lanes[LANES_MAX];
	int nlanes;
};

/* The time axis from every window and sample, and the lanes; false when it has neither. */
static bool plot_extent(struct plot *pl)
{
	const struct json *m, *p;
	double t, e, kib, pid;

	pl->v = (struct view){ 1e300, -1e300 };
	for (m = pl->mods->child; m; m = m->next) {
		if (!json_num(m, "load_s", &t))
			continue;
		pl->nwin++;
		pl->v.t0 = t < pl->v.t0 ? t : pl->v.t0;
		pl->v.t1 = t > pl->v.t1 ? t : pl->v.t1;
		if (json_num(m, "end_s", &e) && e > pl->v.t1)
			pl->v.t1 = e;
	}
	for (p = pl->series && pl->series->type == JSON_ARRAY ? pl->series->child : NULL;
	     p; p = p->next) {
		if (!p->child || p->child->type != JSON_NUMBER || !p->child->next ||
		    p->child->next->type != JSON_NUMBER)
			continue;
		t = p->child->number;
		kib = p->child->next->number;
		pl->v.t0 = t < pl->v.t0 ? t : pl->v.t0;
		pl->v.t1 = t > pl->v.t1 ? t : pl->v.t1;
		pl->max_kib = kib > pl->max_kib ? kib : pl->max_kib;
	}
	if (!pl->nwin && pl->max_kib <= 0)
		return false;
	if (pl->v.t1 - pl->v.t0 < 0.01)
		pl->v.t1 = pl->v.t0 + 0.01;
	for (m = pl->mods->child; m; m = m->next)
		if (json_get(m, "load_s") && json_num(m, "pid", &pid))
			pl->lanes[lane_of(pl->lanes, &pl->nlanes, (int)pid,
					  json_strv(m, "comm"))]
				.rows++;
	return true;
}

/* The picture's frame, title and time grid down to @y0. */
static void draw_frame(const struct plot *pl, double y0)
{
	double t, step;

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	       "font-family=\"sans-serif\" font-size=\"11\">\n",
	       W, y0 + 50);
	printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	printf("<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">memdebug-ko: module loads and available memory</text>\n");
	printf("<text x=\"10\" y=\"40\" fill=\"#555\">");
	xml(pl->path);
	printf(": %d load%s, pages with their work; blue loaded, red failed, orange still loading</text>\n",
	       pl->nwin, pl->nwin == 1 ? "" : "s");
	step = tick_step(pl->v.t1 - pl->v.t0);
	for (t = (double)(long long)(pl->v.t0 / step) * step; t <= pl->v.t1 + 1e-9;
	     t += step) {
		double x = x_of(&pl->v, t);

		if (x < LEFT - 0.5)
			continue;
		printf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
		       x, TOP - 8, x, y0);
		printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%g s</text>\n",
		       x, TOP - 12, t);
	}
}

/* Window @m, loaded at @t, as a bar in the row at @y with its label. */
static void draw_window(const struct plot *pl, const struct json *m, double t, double y)
{
	const char *status = json_strv(m, "status"), *name = json_strv(m, "name");
	double x, w, e, pages, late;
	char label[160];
	size_t n;
	bool open;

	open = !json_num(m, "end_s", &e);
	if (open)
		e = pl->v.t1;
	x = x_of(&pl->v, t);
	w = x_of(&pl->v, e) - x;
	if (w < 2)
		w = 2;
	if (pages_of(m, &pages))
		snprintf(label, sizeof(label), "%s %.0f", name, pages);
	else
		snprintf(label, sizeof(label), "%s n/a", name);
	/* what its code took after the load, which the bar's time span does not hold */
	n = strlen(label);
	if (json_num(m, "late_pages", &late) && late > 0)
		snprintf(label + n, sizeof(label) - n, " +%.0f late", late);
	printf("<g><title>");
	xml(label);
	printf(" pages, %s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"%s/>",
	       status ? status : "?", x, y + 3, w, ROW_H - 5,
	       status && !strcmp(status, "failed") ? "#d9534f"
	       : open				   ? "#f0ad4e"
						   : "#4a90d9",
	       open ? " stroke=\"#a66\" stroke-dasharray=\"3,2\"" : "");
	printf("<text x=\"%.1f\" y=\"%.1f\"%s>", x + w + 3 > W - 150 ? x - 3 : x + w + 3,
	       y + 13, x + w + 3 > W - 150 ? " text-anchor=\"end\"" : "");
	xml(label);
	printf("</text></g>\n");
}

/* A row per window, grouped by loader in the order they first loaded. */
static void draw_lanes(struct plot *pl)
{
	const struct json *m;
	double y = TOP, t, pid;
	int lane, rows;

	for (lane = 0; lane < pl->nlanes; lane++) {
		double top = y;

		rows = 0;
		for (m = pl->mods->child; m; m = m->next) {
			if (!json_num(m, "load_s", &t) || !json_num(m, "pid", &pid) ||
			    !json_strv(m, "name") ||
			    lane_of(pl->lanes, &pl->nlanes, (int)pid, NULL) != lane)
				continue;
			if (!rows++)
				printf("<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\"/>\n",
				       top, W, pl->lanes[lane].rows * ROW_H,
				       lane % 2 ? "#f4f4f4" : "#ffffff");
			draw_window(pl, m, t, y);
			y += ROW_H;
		}
		printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 6,
		       top + 13);
		xml(pl->lanes[lane].comm);
		printf("[%d]</text>\n", pl->lanes[lane].pid);
		y += GROUP_GAP;
	}
}

/* The available memory the watcher sampled, from @chart_top down to @y0, and its low point. */
static void draw_memory(const struct plot *pl, double chart_top, double y0)
{
	double low_kib, low_s;
	const struct json *p;
	bool first = true;

	printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">MemAvailable</text>\n",
	       LEFT - 6, chart_top + 12);
	printf("<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
	       LEFT, y0, W - RIGHT, y0);
	if (pl->max_kib <= 0) {
		printf("<text x=\"%.0f\" y=\"%.1f\" fill=\"#555\">no memory samples: the watcher did not run (a replay, or rd.memdebug below 4)</text>\n",
		       LEFT + 6, chart_top + CHART_H / 2);
		return;
	}
	printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%.0f MiB</text>\n",
	       LEFT - 6, chart_top + 26, pl->max_kib / 1024);
	printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">0</text>\n",
	       LEFT - 6, y0);
	printf("<polyline fill=\"none\" stroke=\"#2a7\" stroke-width=\"2\" points=\"");
	for (p = pl->series->child; p; p = p->next) {
		if (!p->child || !p->child->next)
			continue;
		printf("%s%.1f,%.1f", first ? "" : " ", x_of(&pl->v, p->child->number),
		       y0 - p->child->next->number / pl->max_kib * CHART_H);
		first = false;
	}
	printf("\"/>\n");
	if (json_num(pl->low, "mem_available_kib", &low_kib) &&
	    json_num(pl->low, "seconds", &low_s)) {
		double x = x_of(&pl->v, low_s), y = y0 - low_kib / pl->max_kib * CHART_H;

		printf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#d9534f\"/>\n", x,
		       y);
		printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#d9534f\">low point: %.1f MiB available at %.3f s</text>\n",
		       x, y + 18, x > W / 2 ? "end" : "start", low_kib / 1024, low_s);
	}
}

static int plot(const char *path)
{
	struct plot pl = { .path = path };
	double chart_top, y0;
	struct json *j;

	j = json_read_report(path);
	if (!j)
		return EXIT_FAILURE;
	pl.mods = json_get(j, "modules");
	pl.low = json_get(j, "low_point");
	pl.series = json_get(pl.low, "series");
	if (!plot_extent(&pl)) {
		log_err("%s has no timeline: no load with load_s and no memory samples (a report of memdebug-ko before 0.2?)",
			path);
		json_free(j);
		return EXIT_FAILURE;
	}
	chart_top = TOP + pl.nwin * ROW_H + pl.nlanes * GROUP_GAP + 40;
	y0 = chart_top + CHART_H;
	draw_frame(&pl, y0);
	draw_lanes(&pl);
	draw_memory(&pl, chart_top, y0);
	printf("</svg>\n");
	json_free(j);
	return fflush(stdout) == EOF ? EXIT_FAILURE : 0;
}

static const struct cli_opt plot_opts[] = { CLI_END };

static const struct cli_cmd plot_cli = { "plot", usage, plot_opts, 1, "one JSON report",
					 NULL,	 false };

static int run(int argc, char **argv)
{
	int status, first = cli_parse(&plot_cli, NULL, argc, argv, &status);

	return first < 0 ? status : plot(argv[first]);
}

const struct command cmd_plot = {
	"plot", run, "draw a JSON report as SVG: loads on a time axis, available memory"
};
