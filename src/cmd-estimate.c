// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko estimate [REPORT.json...]: on the primary system, after test crashes, the
 * crashkernel= to set, from the estimates that capture kernels wrote into the reports
 * beside their dumps (the largest wins, each one named), the commands that set it on
 * this system, and what the running kernel's reservation could give back now.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "budget.h"
#include "cmd.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "proc.h"

#define REPORT_NAME "memdebug-ko.json"
#define REPORTS_MAX 256

struct estimate_opts {
	const char *crash_dir; /* --crash-dir: where the dumps are */
	const char *root;      /* --root: the system whose files are read */
};

static void usage(void)
{
	printf("Usage: memdebug-ko estimate [OPTION]... [REPORT.json]...\n"
	       "The crashkernel= this system needs, from the estimates of the capture kernels'\n"
	       "reports saved beside their dumps (the largest counts), how to set it here,\n"
	       "and what the running kernel's reservation can give back without a reboot.\n"
	       "Without REPORT.json: every " REPORT_NAME
	       " in the dump directories under\n"
	       "--crash-dir (kdump-utils and kdump-tools save them there).\n\n"
	       "  -c, --crash-dir DIR  where the dumps are (default /var/crash)\n"
	       "  -R, --root DIR       the system's root: its /etc/os-release, /proc and /sys\n"
	       "                       (default /)\n"
	       "  -h, --help           this help\n");
}

/* The estimate of one report. */
struct found {
	char path[PATH_MAX];
	double mib, needed_kib, ram_kib, low_kib, initrd_kib, bitmaps_kib, short_kib;
	const char *low_from;
	/* fadump's capture kernel: its least, default and largest boot memory */
	bool fadump;
	double fadump_min, fadump_default, fadump_max;
};

/*
 * The dump step's part, @a: `memdebug-ko follow` sampled the capture kernel's memory
 * after the report, through the dump, and wrote what it needed then. When that is more,
 * it is the estimate (the dump tool's bitmaps were in its samples).
 */
static void after_report(const struct json *a, struct found *f)
{
	double needed, mib, low, pcp = 0;

	if (!a || !json_num(a, "needed_kib", &needed) ||
	    !json_num(a, "crashkernel_mib", &mib) ||
	    !json_num(a, "low_available_kib", &low) || needed <= f->needed_kib)
		return;
	json_num(a, "low_pcp_kib", &pcp);
	f->needed_kib = needed;
	f->mib = f->fadump && mib < f->fadump_min ? f->fadump_min : mib;
	/* what it used then, all of it: no term for the initramfs or the bitmaps */
	f->low_kib = low + pcp;
	f->low_from =
		"the dump step's low point after the report, with the per-CPU lists,";
	f->initrd_kib = 0;
	f->bitmaps_kib = 0;
	f->short_kib = needed > f->ram_kib ? needed - f->ram_kib : 0;
}

/* Reads the estimate of report @path into @f; false (said) when it has none. */
static bool read_estimate(const char *path, struct found *f)
{
	const struct json *e;
	struct json *j = json_read_report(path);
	bool ok;

	if (!j)
		return false;
	e = json_get(json_get(j, "budget"), "estimate");
	snprintf(f->path, sizeof(f->path), "%.*s", (int)sizeof(f->path) - 1, path);
	ok = e && json_num(e, "crashkernel_mib", &f->mib) &&
	     json_num(e, "needed_kib", &f->needed_kib) &&
	     json_num(e, "ram_kib", &f->ram_kib);
	if (ok) {
		json_num(e, "low_available_kib", &f->low_kib);
		json_num(e, "initrd_kib", &f->initrd_kib);
		json_num(e, "dump_bitmaps_kib", &f->bitmaps_kib);
		json_num(e, "short_kib", &f->short_kib);
		f->low_from =
			!strcmp(json_strv(e, "low_from") ? json_strv(e, "low_from") : "",
				"low_point")
				? "the watcher's low point"
				: "the report's reading";
		f->fadump =
			json_strv(e, "mode") && !strcmp(json_strv(e, "mode"), "fadump");
		/* the rules need the crashed system's RAM: null when it was unknown */
		f->fadump_min = f->fadump_default = f->fadump_max = -1;
		json_num(e, "fadump_min_mib", &f->fadump_min);
		json_num(e, "fadump_default_mib", &f->fadump_default);
		json_num(e, "fadump_max_mib", &f->fadump_max);
		after_report(json_get(j, "after_report"), f);
	} else {
		log_warn("%s has no crashkernel= estimate (a report of a capture kernel has one)",
			 path);
	}
	json_free(j);
	return ok;
}

/* Puts the reports of the dumps under @dir (@dir/DUMP/memdebug-ko.json) into @paths. */
static size_t find_reports(const char *dir, char (*paths)[PATH_MAX], size_t max)
{
	char p[PATH_MAX];
	struct dirent **list;
	struct stat st;
	size_t n = 0;
	int i, count = scandir(dir, &list, NULL, alphasort);

	if (count < 0) {
		log_err("cannot read %s: %s", dir, strerror(errno));
		return 0;
	}
	for (i = 0; i < count; i++) {
		if (list[i]->d_name[0] != '.' && n < max &&
		    snprintf(p, sizeof(p), "%s/%s/" REPORT_NAME, dir, list[i]->d_name) <
			    (int)sizeof(p) &&
		    stat(p, &st) == 0 && S_ISREG(st.st_mode))
			memcpy(paths[n++], p, sizeof(p));
		free(list[i]);
	}
	free(list);
	return n;
}

/* Whether word @w is in the space-separated value of @key in os-release @text. */
static bool os_is(const char *text, const char *key, const char *w)
{
	char line[256], *v, *tok, *save;
	const char *l;
	size_t klen = strlen(key), n;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) || l[klen] != '=')
			continue;
		n = strcspn(l + klen + 1, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, l + klen + 1);
		for (v = line; (tok = strtok_r(v, " \"'", &save)); v = NULL)
			if (!strcmp(tok, w))
				return true;
	}
	return false;
}

/* Prints how to set @args (crashkernel=, with fadump=on for fadump) on the system of @root. */
static void print_how(const char *root, const char *args)
{
	const char *q = strchr(args, ' ') ? "\"" : "";
	char p[PATH_MAX], *osr = NULL;
	bool debian, redhat;

	snprintf(p, sizeof(p), "%s/etc/os-release", root);
	if (io_read_all(p, &osr) < 0) {
		snprintf(p, sizeof(p), "%s/usr/lib/os-release", root);
		io_read_all(p, &osr);
	}
	debian = osr &&
		 (os_is(osr, "ID", "debian") || os_is(osr, "ID", "ubuntu") ||
		  os_is(osr, "ID_LIKE", "debian") || os_is(osr, "ID_LIKE", "ubuntu"));
	redhat =
		osr && (os_is(osr, "ID", "fedora") || os_is(osr, "ID", "rhel") ||
			os_is(osr, "ID_LIKE", "fedora") || os_is(osr, "ID_LIKE", "rhel"));
	free(osr);
	if (debian || !redhat) {
		printf("set it on Debian and Ubuntu (kdump-tools), then reboot:\n"
		       "  echo 'GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT %s\"' > /etc/default/grub.d/kdump-tools.cfg\n"
		       "  update-grub\n",
		       args);
	}
	if (redhat || !debian) {
		printf("set it on Fedora, RHEL and CentOS Stream (kdump-utils), then reboot:\n"
		       "  grubby --update-kernel=ALL --args=%s%s%s\n"
		       "  (kdumpctl reset-crashkernel would set the distribution's default instead)\n",
		       q, args, q);
	}
}

/*
 * fadump: the boot memory is what crashkernel= sizes, with fadump=on (Linux
 * arch/powerpc/kernel/fadump.c fadump_calculate_reserve_size(); budget.c has the
 * rules); its reservation, the dump area, is in /sys/kernel/fadump/mem_reserved, as
 * kdump-utils' get_reserved_mem_size() reads it, and cannot shrink without a reboot.
 */
static void print_fadump(const char *root, const struct found *best)
{
	char p[PATH_MAX], v[32];
	uint64_t have;

	if (best->fadump_default < 0 || best->fadump_max < 0 || best->fadump_min < 0)
		goto reserved;
	printf("fadump: its boot memory is at least %.0f MiB; without crashkernel= this system takes %.0f MiB (5 %% of RAM rounded down to 256 MiB, at least that); crashkernel= above %.0f MiB (25 %% of RAM) is cut down to it\n",
	       best->fadump_min, best->fadump_default, best->fadump_max);
	if (best->mib <= best->fadump_default)
		printf("fadump: the default of %.0f MiB is enough: fadump=on alone would do\n",
		       best->fadump_default);
	if (best->mib > best->fadump_max)
		printf("fadump: more than 25 %% of this system's RAM: the kernel gives only %.0f MiB\n",
		       best->fadump_max);
reserved:
	snprintf(p, sizeof(p), "%s/sys/kernel/fadump/mem_reserved", root);
	if (io_read_small(p, v, sizeof(v)) <= 0)
		return;
	have = strtoull(v, NULL, 10);
	if (have && have < (uint64_t)best->mib * 1024 * 1024)
		printf("the running kernel reserved %" PRIu64
		       " MiB for fadump (%s), less than that: set it and reboot\n",
		       have >> 20, p);
	else if (have)
		printf("the running kernel reserved %" PRIu64
		       " MiB for fadump (%s): fadump gives nothing back without a reboot\n",
		       have >> 20, p);
}

/* The estimate from reports @paths (@n), and how to apply it. */
static int estimate(const struct estimate_opts *o, char (*paths)[PATH_MAX], size_t n)
{
	struct found f, best = { .mib = 0 };
	char p[PATH_MAX], c[PATH_MAX], meminfo[4096], args[64];
	uint64_t have, want, cma, rest;
	long long ram;
	size_t i, used = 0;

	for (i = 0; i < n; i++) {
		if (!read_estimate(paths[i], &f))
			continue;
		used++;
		printf("%s: %scrashkernel=%.0fM: its %scapture kernel had %.0f KiB of %s and needed %.0f KiB (%s %.0f KiB available, compressed initramfs %.0f KiB, dump bitmaps %.0f KiB)%s\n",
		       f.path, f.fadump ? "fadump=on " : "", f.mib,
		       f.fadump ? "fadump " : "", f.ram_kib,
		       f.fadump ? "boot memory" : "RAM", f.needed_kib, f.low_from,
		       f.low_kib, f.initrd_kib, f.bitmaps_kib,
		       f.short_kib > 0 ? ", and fell short" : "");
		if (f.mib > best.mib)
			best = f;
	}
	if (!used) {
		log_err("no report with a crashkernel= estimate: boot a capture kernel with rd.memdebug=4 (a test crash) and run this again");
		return EXIT_FAILURE;
	}
	snprintf(args, sizeof(args), "%scrashkernel=%.0fM",
		 best.fadump ? "fadump=on " : "", best.mib);
	printf("%s (from %s%s)\n", args, best.path, used > 1 ? ", the largest" : "");
	print_how(o->root, args);
	if (best.fadump) {
		print_fadump(o->root, &best);
		return 0;
	}
	snprintf(p, sizeof(p), "%s/proc/meminfo", o->root);
	ram = io_read_small(p, meminfo, sizeof(meminfo)) > 0
		      ? proc_text_kb(meminfo, "MemTotal:")
		      : -1;
	if (ram > 4ll * 1024 * 1024)
		printf("this system has %lld MiB of RAM: where the boot loader finds no %.0fM below 4 GiB, crashkernel=%.0fM,high places it above, and the kernel adds a low part for DMA (crashkernel=...,low sizes it)\n",
		       ram / 1024, best.mib, best.mib);
	have = budget_crash_size(o->root, p, sizeof(p));
	cma = budget_crash_cma(o->root, c, sizeof(c));
	want = (uint64_t)best.mib << 20;
	if (cma) {
		/* the capture kernel gets both; CMA pages in use are not in the dump */
		rest = want > cma ? ((want - cma + (16 << 20) - 1) >> 24) << 4 : 0;
		printf("the running kernel reserved %" PRIu64 " MiB (%s) and %" PRIu64
		       " MiB of CMA (%s, crashkernel=...,cma), which the capture kernel gets besides: ",
		       have >> 20, p, cma >> 20, c);
		if (have + cma < want)
			printf("less than that: set it and reboot\n");
		else if (rest && rest < have >> 20)
			printf("enough; with the ,cma part kept, crashkernel=%" PRIu64
			       "M would do, if it still holds the kernel and initramfs\n",
			       rest);
		else
			printf("enough\n");
		return 0;
	}
	if (have && have < want)
		printf("the running kernel reserved %" PRIu64
		       " MiB (%s), less than that: set it and reboot\n",
		       have >> 20, p);
	else if (have > want)
		printf("the running kernel reserved %" PRIu64
		       " MiB (%s): with the capture kernel unloaded (kdumpctl stop, or kdump-config unload), 'echo %" PRIu64
		       " > %s' gives %" PRIu64
		       " MiB back without a reboot; then load it again\n",
		       have >> 20, p, want, p, (have - want) >> 20);
	return 0;
}

static const struct cli_opt estimate_opts[] = {
	CLI_VALUE("crash-dir", 'c', struct estimate_opts, crash_dir),
	CLI_VALUE("root", 'R', struct estimate_opts, root),
	CLI_END,
};

static const struct cli_cmd estimate_cli = { "estimate", usage, estimate_opts, -1,
					     NULL,	 NULL,	false };

static int run(int argc, char **argv)
{
	struct estimate_opts o = { .crash_dir = "/var/crash", .root = "" };
	static char paths[REPORTS_MAX][PATH_MAX];
	int status, first = cli_parse(&estimate_cli, &o, argc, argv, &status), i;
	size_t n = 0;

	if (first < 0)
		return status;
	if (!strcmp(o.root, "/"))
		o.root = "";
	for (i = first; i < argc && n < REPORTS_MAX; i++)
		snprintf(paths[n++], PATH_MAX, "%s", argv[i]);
	if (first == argc) {
		n = find_reports(o.crash_dir, paths, REPORTS_MAX);
		if (!n) {
			log_err("no %s in the dump directories under %s: give the reports, or --crash-dir",
				REPORT_NAME, o.crash_dir);
			return EXIT_FAILURE;
		}
	}
	return estimate(&o, paths, n);
}

const struct command cmd_estimate = {
	"estimate", run, "the crashkernel= to set, from the capture kernels' reports"
};
