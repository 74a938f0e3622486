// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko follow: in a capture kernel, after the report, the dump step. The report's
 * crashkernel= estimate ends at the report, and the dump runs after it: makedumpfile's
 * program and buffers, and in kdump-tools a whole systemd root. This small resident
 * process samples MemAvailable from then on and, at each new low, says what the estimate
 * becomes in the kernel log (which kdump saves as kexec-dmesg.log after the dump) and
 * in the report's JSON ("after_report", rewritten in place). It holds the directory of
 * the JSON and its files open, so that it goes on after the root is switched.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "budget.h"
#include "cmd.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "proc.h"
#include "tfs.h"

#define DEFAULT_JSON "/run/initramfs/memdebug-ko.json"
/* How often MemAvailable is sampled, and by how much a new low must be lower to be said. */
#define DEFAULT_INTERVAL_MS 100
#define SAY_STEP_KIB	    1024
/* The JSON is rewritten for a new low at most this often, and at the end. */
#define WRITE_MIN_MS 250
/* ... and when nothing changed, every so often all the same: the samples of a follower
 * that still lives, with the time of the last one (last_at_s). */
#define WRITE_EVERY_MS 5000

struct follow_opts {
	const char *json;
	const char *proc;
	const char *interval_arg;
	const char *samples_arg;
	bool daemon, kmsg, quiet;
	uint64_t interval_ms, samples;
};

/* What the report estimated, and what follows from the samples after it. */
struct follow {
	char *text;  /* the report's JSON, without the after_report this writes */
	size_t keep; /* its bytes up to the closing brace of the document */
	double ram_kib, report_low_kib, report_needed_kib, report_mib;
	double fadump_min_mib; /* fadump's least boot memory; 0: kdump */
	uint64_t samples;
	long long low_kib; /* the lowest MemAvailable sampled, -1: none yet */
	long long pcp_kib; /* free in the per-CPU lists then, -1: unknown */
	uint64_t low_ns;
	long long said_kib, written_kib;
	uint64_t written_ns, last_ns;
	int dir;		 /* the JSON's directory */
	char name[NAME_MAX + 1]; /* the JSON's name in it */
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	printf("Usage: memdebug-ko follow [OPTION]...\n"
	       "In a capture kernel, after the report: sample MemAvailable through the dump\n"
	       "step, and at each new low say the crashkernel= it needs in the kernel log and\n"
	       "in the report's JSON (\"after_report\"), until stopped (SIGTERM: a last line).\n\n"
	       "  -j, --json FILE       the report's JSON (default " DEFAULT_JSON ")\n"
	       "  -p, --proc DIR        where meminfo is (default /proc)\n"
	       "  -i, --interval-ms N   sample every N ms (default 100)\n"
	       "  -n, --samples N       stop after N samples (default: when stopped)\n"
	       "  -d, --daemon          go to the background, with no standard input or\n"
	       "                        output: give --kmsg for the lines\n"
	       "  -k, --kmsg            lines and messages to /dev/kmsg (initramfs hooks)\n"
	       "  -q, --quiet           no informational messages\n"
	       "  -h, --help            this help\n");
}

/*
 * Reads the report @path: its estimate, and its text up to the closing brace (any
 * after_report of an earlier follower left out). Returns 0, 1 when the report has no
 * estimate (no capture kernel: said), or -errno (said).
 */
static int read_report(struct follow *f, const char *path)
{
	char err[128], *p;
	const struct json *e;
	struct json *j;
	int r = io_read_all(path, &f->text);

	if (r < 0) {
		log_err("cannot read %s: %s", path, strerror(-r));
		return r;
	}
	j = json_parse(f->text, err, sizeof(err));
	if (!j || j->type != JSON_OBJECT || !json_get(j, "tool")) {
		log_err("%s is not a memdebug-ko report%s%s", path, j ? "" : ": ",
			j ? "" : err);
		json_free(j);
		return -EINVAL;
	}
	e = json_get(json_get(j, "budget"), "estimate");
	if (!e || !json_num(e, "ram_kib", &f->ram_kib) ||
	    !json_num(e, "needed_kib", &f->report_needed_kib) ||
	    !json_num(e, "crashkernel_mib", &f->report_mib)) {
		log_info("%s has no crashkernel= estimate (no capture kernel): nothing to follow",
			 path);
		json_free(j);
		return 1;
	}
	f->report_low_kib = -1;
	json_num(e, "low_available_kib", &f->report_low_kib);
	f->fadump_min_mib = 0;
	if (json_strv(e, "mode") && !strcmp(json_strv(e, "mode"), "fadump"))
		json_num(e, "fadump_min_mib", &f->fadump_min_mib);
	json_free(j);
	/* the document's last brace; an after_report member of ours goes before it */
	p = strstr(f->text, ",\"after_report\":");
	if (!p)
		p = strrchr(f->text, '}');
	if (!p) {
		log_err("%s is not a memdebug-ko report", path);
		return -EINVAL;
	}
	f->keep = (size_t)(p - f->text);
	return 0;
}

/* What the samples say the dump step used: RAM less their low and the per-CPU lists. */
static long long used_kib(const struct follow *f)
{
	return (long long)f->ram_kib - f->low_kib - (f->pcp_kib > 0 ? f->pcp_kib : 0);
}

/*
 * What the capture kernel needed: what the dump step used (the dump tool's bitmaps and
 * threads are in the samples now), or the report's figure when that is more: the
 * larger of its dump step's and its unpacking's, which is long gone by the dump and
 * not added to the samples.
 */
static long long needed_kib(const struct follow *f)
{
	long long n = used_kib(f);

	return n > (long long)f->report_needed_kib ? n : (long long)f->report_needed_kib;
}

/* That in MiB, rounded up as the report's; fadump's at least its least boot memory. */
static long long needed_mib(const struct follow *f)
{
	long long mib = budget_round_mib(needed_kib(f));

	return mib < (long long)f->fadump_min_mib ? (long long)f->fadump_min_mib : mib;
}

/* Rewrites the JSON with the after_report member, through a temporary file. */
static int write_json(struct follow *f)
{
	char tmp[NAME_MAX + 8], tail[512], pcp[32];
	long long mib = needed_mib(f);
	int fd, r = 0, n;

	if (f->pcp_kib < 0)
		snprintf(pcp, sizeof(pcp), "null");
	else
		snprintf(pcp, sizeof(pcp), "%lld", f->pcp_kib);
	n = snprintf(tail, sizeof(tail),
		     ",\"after_report\":{\"samples\":%" PRIu64
		     ",\"low_available_kib\":%lld,\"low_pcp_kib\":%s,\"low_at_s\":%" PRIu64
		     ".%03u,\"last_at_s\":%" PRIu64
		     ".%03u,\"needed_kib\":%lld,\"crashkernel_mib\":%lld,\"raised\":%s}}\n",
		     f->samples, f->low_kib, pcp, f->low_ns / 1000000000u,
		     (unsigned)(f->low_ns / 1000000u % 1000u), f->last_ns / 1000000000u,
		     (unsigned)(f->last_ns / 1000000u % 1000u), needed_kib(f), mib,
		     mib > (long long)f->report_mib ? "true" : "false");
	if (n < 0 || (size_t)n >= sizeof(tail))
		return -EOVERFLOW;
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->name);
	fd = openat(f->dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = io_write_all(fd, f->text, f->keep);
	if (!r)
		r = io_write_all(fd, tail, (size_t)n);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(f->dir, tmp, f->dir, f->name) < 0)
		r = -errno;
	if (r)
		unlinkat(f->dir, tmp, 0);
	return r;
}

/* One line on what the samples say: @what "fell to" or "was at the lowest". */
static void say(struct follow *f, const char *what)
{
	char line[512];
	long long mib = needed_mib(f);

	snprintf(line, sizeof(line),
		 "after the report: MemAvailable %s %lld KiB at %" PRIu64
		 ".%01u s (samples: %" PRIu64
		 "; the report's low point: %.0f): %scrashkernel=%lldM (RAM %.0f - %lld - free in the per-CPU lists %lld = %lld KiB used; the report's estimate %.0f KiB%s)",
		 what, f->low_kib, f->low_ns / 1000000000u,
		 (unsigned)(f->low_ns / 100000000u % 10u), f->samples, f->report_low_kib,
		 f->fadump_min_mib > 0 ? "fadump=on " : "", mib, f->ram_kib, f->low_kib,
		 f->pcp_kib > 0 ? f->pcp_kib : 0, used_kib(f), f->report_needed_kib,
		 used_kib(f) > (long long)f->report_needed_kib
			 ? ", less: the dump step needs more"
			 : ", the larger, stands");
	if (log_kmsg_enabled())
		log_kmsg_line(LOG_LVL_NOTICE, line);
	else
		printf("%s\n", line);
	f->said_kib = f->low_kib;
}

/*
 * Records sample @kib at @t: a new low is said when it is SAY_STEP_KIB below the last one
 * said, and written to the JSON when it differs from the one there and WRITE_MIN_MS have
 * passed since the last write, or when WRITE_EVERY_MS have.
 */
static void sample(struct follow *f, long long kib, int zoneinfo, uint64_t t)
{
	int r;

	if (kib < 0)
		return;
	f->samples++;
	f->last_ns = t;
	if (f->low_kib < 0 || kib < f->low_kib) {
		f->low_kib = kib;
		f->low_ns = t;
		f->pcp_kib = zoneinfo >= 0 ? proc_pcp_free_fd(zoneinfo) : -1;
		if (f->said_kib < 0 || f->said_kib - kib >= SAY_STEP_KIB)
			say(f, "fell to");
	}
	if (f->written_kib >= 0 &&
	    t - f->written_ns <
		    (f->written_kib == f->low_kib ? WRITE_EVERY_MS : WRITE_MIN_MS) *
			    1000000ull)
		return;
	r = write_json(f);
	if (r < 0)
		log_warn("cannot rewrite %s: %s", f->name, strerror(-r));
	f->written_kib = f->low_kib;
	f->written_ns = t;
}

/* Opens the directory of @path and keeps the name; returns 0 or -errno (said). */
static int open_dir(struct follow *f, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	snprintf(f->name, sizeof(f->name), "%s", slash ? slash + 1 : path);
	f->dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dir < 0) {
		log_err("cannot open %s: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The background: setsid, no standard files. Returns 1 in the parent, 0 in the child. */
static int daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("cannot follow in the background: fork: %s", strerror(errno));
		return -errno;
	}
	if (pid > 0) {
		log_info("following MemAvailable through the dump step (pid %d)",
			 (int)pid);
		return 1;
	}
	setsid();
	io_std_null();
	return 0;
}

/*
 * Not a victim of the OOM killer, and none of its few pages reclaimed: the dump step may
 * run short, and its low point is what this is for.
 */
static void harden(void)
{
	int r = tfs_write("/proc/self/oom_score_adj", "-1000");

	if (r < 0)
		log_warn("cannot set oom_score_adj: %s; the OOM killer may end the follower",
			 strerror(-r));
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("cannot lock the follower's memory: %s", strerror(errno));
}

static int follow(struct follow_opts *o)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct follow f = {
		.low_kib = -1, .pcp_kib = -1, .said_kib = -1, .written_kib = -1, .dir = -1
	};
	char path[PATH_MAX];
	int meminfo = -1, zoneinfo = -1, r;

	r = read_report(&f, o->json);
	if (r != 0)
		goto out;
	r = open_dir(&f, o->json);
	if (r < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/meminfo", o->proc);
	meminfo = open(path, O_RDONLY | O_CLOEXEC);
	if (meminfo < 0) {
		r = -errno;
		log_err("cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/zoneinfo", o->proc);
	zoneinfo = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/meminfo", o->proc);
	if (log_kmsg_enabled()) {
		r = log_kmsg_reserve();
		if (r < 0)
			log_warn("cannot open /dev/kmsg ahead: %s", strerror(-r));
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o->daemon) {
		r = daemonize();
		if (r != 0)
			goto out;
	}
	harden();
	while (!stop && (!o->samples || f.samples < o->samples)) {
		sample(&f, proc_available_fd(meminfo), zoneinfo, io_now_ns());
		if (!o->samples || f.samples < o->samples)
			io_sleep_ms((long)o->interval_ms);
	}
	r = 0;
	if (f.low_kib >= 0) {
		say(&f, "was at the lowest");
		r = write_json(&f);
		if (r < 0)
			log_warn("cannot rewrite %s: %s", o->json, strerror(-r));
	} else {
		log_warn("no sample of MemAvailable from %s after the report", path);
	}
out:
	if (meminfo >= 0)
		close(meminfo);
	if (zoneinfo >= 0)
		close(zoneinfo);
	if (f.dir >= 0)
		close(f.dir);
	free(f.text);
	return r < 0 ? r : 0;
}

static const struct cli_opt follow_opts[] = {
	CLI_VALUE("json", 'j', struct follow_opts, json),
	CLI_VALUE("proc", 'p', struct follow_opts, proc),
	CLI_VALUE("interval-ms", 'i', struct follow_opts, interval_arg),
	CLI_VALUE("samples", 'n', struct follow_opts, samples_arg),
	CLI_FLAG("daemon", 'd', struct follow_opts, daemon),
	CLI_FLAG("kmsg", 'k', struct follow_opts, kmsg),
	CLI_FLAG("quiet", 'q', struct follow_opts, quiet),
	CLI_END,
};

static const struct cli_cmd follow_cli = { "follow", usage, follow_opts, 0,
					   NULL,     "",    false };

static int run(int argc, char **argv)
{
	struct follow_opts o = { .json = DEFAULT_JSON, .proc = "/proc" };
	int status;

	if (cli_parse(&follow_cli, &o, argc, argv, &status) < 0)
		return status;
	o.interval_ms = DEFAULT_INTERVAL_MS;
	if (o.interval_arg && cli_range(o.interval_arg, 1, 60000, &o.interval_ms) < 0) {
		fprintf(stderr,
			"memdebug-ko follow: --interval-ms takes 1 to 60000, not '%s'\n",
			o.interval_arg);
		return cli_usage_error("follow ");
	}
	if (o.samples_arg && cli_range(o.samples_arg, 1, UINT32_MAX, &o.samples) < 0) {
		fprintf(stderr,
			"memdebug-ko follow: --samples takes a whole number, not '%s'\n",
			o.samples_arg);
		return cli_usage_error("follow ");
	}
	log_use_kmsg(o.kmsg);
	log_set_quiet(o.quiet);
	return follow(&o) < 0 ? EXIT_FAILURE : 0;
}

const struct command cmd_follow = {
	"follow", run,
	"in a capture kernel, sample the memory of the dump step after the report"
};
