// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko plot REPORT.json > boot.svg: the initramfs on a time axis, in the spirit of
 * systemd-analyze plot. One row per load window, labelled with its pages, grouped by
 * loader (parallel udev workers show side by side in time), and below them the available
 * memory the watcher sampled, with its low point marked. Plain SVG, no dependency.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "log.h"

#define W	   1200.0
#define LEFT	   210.0 /* the lanes' labels */
#define RIGHT	   30.0
#define TOP	   70.0
#define ROW_H	   18.0
#define GROUP_GAP  4.0
#define CHART_H	   200.0
#define LANES_MAX  256

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
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
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
	static const double steps[] = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60,
					120, 300, 600 };
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

static int plot(const char *path)
{
	char label[128];
	const struct json *mods, *m, *low, *series, *p;
	struct lane lanes[LANES_MAX];
	struct view v = { 1e300, -1e300 };
	double t, e, pages, max_kib = 0, kib, step, y0, chart_top, low_kib = -1, low_s = 0;
	int nlanes = 0, nwin = 0;
	struct json *j;
	bool first;

	j = json_read_report(path);
	if (!j)
		return EXIT_FAILURE;
	mods = json_get(j, "modules");
	/* the time axis: every window, and the samples */
	for (m = mods->child; m; m = m->next) {
		if (!json_num(m, "load_s", &t))
			continue;
		nwin++;
		v.t0 = t < v.t0 ? t : v.t0;
		v.t1 = t > v.t1 ? t : v.t1;
		if (json_num(m, "end_s", &e) && e > v.t1)
			v.t1 = e;
	}
	low = json_get(j, "low_point");
	series = json_get(low, "series");
	for (p = series && series->type == JSON_ARRAY ? series->child : NULL; p; p = p->next) {
		if (!p->child || p->child->type != JSON_NUMBER || !p->child->next ||
		    p->child->next->type != JSON_NUMBER)
			continue;
		t = p->child->number;
		kib = p->child->next->number;
		v.t0 = t < v.t0 ? t : v.t0;
		v.t1 = t > v.t1 ? t : v.t1;
		max_kib = kib > max_kib ? kib : max_kib;
	}
	if (!nwin && max_kib <= 0) {
		log_err("%s has no timeline: no load with load_s and no memory samples (a report of memdebug-ko before 0.2?)",
			path);
		json_free(j);
		return EXIT_FAILURE;
	}
	if (v.t1 - v.t0 < 0.01)
		v.t1 = v.t0 + 0.01;
	for (m = mods->child; m; m = m->next) {
		double pid;

		if (json_get(m, "load_s") && json_num(m, "pid", &pid))
			lanes[lane_of(lanes, &nlanes, (int)pid, json_strv(m, "comm"))].rows++;
	}
	chart_top = TOP + nwin * ROW_H + nlanes * GROUP_GAP + 40;
	y0 = chart_top + CHART_H;
	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	       "font-family=\"sans-serif\" font-size=\"11\">\n", W, y0 + 50);
	printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	printf("<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">memdebug-ko: module loads and available memory</text>\n");
	printf("<text x=\"10\" y=\"40\" fill=\"#555\">");
	xml(path);
	printf(": %d load%s, pages with their work; blue loaded, red failed, orange still loading</text>\n",
	       nwin, nwin == 1 ? "" : "s");
	/* the time grid */
	step = tick_step(v.t1 - v.t0);
	for (t = (double)(long long)(v.t0 / step) * step; t <= v.t1 + 1e-9; t += step) {
		double x = x_of(&v, t);

		if (x < LEFT - 0.5)
			continue;
		printf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x,
		       TOP - 8, x, y0);
		printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%g s</text>\n",
		       x, TOP - 12, t);
	}
	/* a row per window, grouped by loader in the order they first loaded */
	{
		double y = TOP;
		int lane;

		for (lane = 0; lane < nlanes; lane++) {
			double top = y;
			int rows = 0;

			for (m = mods->child; m; m = m->next) {
				const char *status = json_strv(m, "status"), *name = json_strv(m, "name");
				double pid, x, w;
				bool open;

				if (!json_num(m, "load_s", &t) || !json_num(m, "pid", &pid) || !name ||
				    lane_of(lanes, &nlanes, (int)pid, NULL) != lane)
					continue;
				if (!rows++)
					printf("<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\"/>\n",
					       top, W, lanes[lane].rows * ROW_H,
					       lane % 2 ? "#f4f4f4" : "#ffffff");
				open = !json_num(m, "end_s", &e);
				if (open)
					e = v.t1;
				x = x_of(&v, t);
				w = x_of(&v, e) - x;
				if (w < 2)
					w = 2;
				if (pages_of(m, &pages))
					snprintf(label, sizeof(label), "%s %.0f", name, pages);
				else
					snprintf(label, sizeof(label), "%s n/a", name);
				printf("<g><title>");
				xml(label);
				printf(" pages, %s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"%s/>",
				       status ? status : "?", x, y + 3, w, ROW_H - 5,
				       status && !strcmp(status, "failed") ? "#d9534f" :
				       open ? "#f0ad4e" : "#4a90d9",
				       open ? " stroke=\"#a66\" stroke-dasharray=\"3,2\"" : "");
				printf("<text x=\"%.1f\" y=\"%.1f\"%s>", x + w + 3 > W - 150 ? x - 3 : x + w + 3,
				       y + 13, x + w + 3 > W - 150 ? " text-anchor=\"end\"" : "");
				xml(label);
				printf("</text></g>\n");
				y += ROW_H;
			}
			printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 6, top + 13);
			xml(lanes[lane].comm);
			printf("[%d]</text>\n", lanes[lane].pid);
			y += GROUP_GAP;
		}
	}
	/* the available memory */
	printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">MemAvailable</text>\n", LEFT - 6,
	       chart_top + 12);
	printf("<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\"/>\n", LEFT, y0,
	       W - RIGHT, y0);
	if (max_kib > 0) {
		printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%.0f MiB</text>\n",
		       LEFT - 6, chart_top + 26, max_kib / 1024);
		printf("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">0</text>\n",
		       LEFT - 6, y0);
		printf("<polyline fill=\"none\" stroke=\"#2a7\" stroke-width=\"2\" points=\"");
		first = true;
		for (p = series->child; p; p = p->next) {
			if (!p->child || !p->child->next)
				continue;
			printf("%s%.1f,%.1f", first ? "" : " ", x_of(&v, p->child->number),
			       y0 - p->child->next->number / max_kib * CHART_H);
			first = false;
		}
		printf("\"/>\n");
		if (json_num(low, "mem_available_kib", &low_kib) && json_num(low, "seconds", &low_s)) {
			double x = x_of(&v, low_s), y = y0 - low_kib / max_kib * CHART_H;

			printf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#d9534f\"/>\n", x, y);
			printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#d9534f\">low point: %.1f MiB available at %.3f s</text>\n",
			       x, y + 18, x > W / 2 ? "end" : "start", low_kib / 1024, low_s);
		}
	} else {
		printf("<text x=\"%.0f\" y=\"%.1f\" fill=\"#555\">no memory samples: the watcher did not run (a replay, or rd.memdebug below 4)</text>\n",
		       LEFT + 6, chart_top + CHART_H / 2);
	}
	printf("</svg>\n");
	json_free(j);
	return fflush(stdout) == EOF ? EXIT_FAILURE : 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage();
			return 0;
		}
		return cli_usage_error("plot ");
	}
	if (argc - optind != 1) {
		fprintf(stderr, "memdebug-ko: plot takes one JSON report\n");
		return cli_usage_error("plot ");
	}
	return plot(argv[optind]);
}

const struct command cmd_plot = {
	"plot", run, "draw a JSON report as SVG: loads on a time axis, available memory"
};
