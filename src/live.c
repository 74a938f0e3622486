// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "live.h"
#include "log.h"
#include "text.h"

#define FILTER_MAX 4096

static const char *const page_events[] = { "mm_page_alloc", "mm_page_free" };

/* The kmem filter: the loaders' comms, and PID 1, which loads modules in systemd initrds. */
static int build_filter(const struct config *c, char *buf, size_t size)
{
	size_t i, len = 0;
	int n;

	for (i = 0; i < c->nloaders; i++) {
		n = snprintf(buf + len, size - len, "comm == \"%s\" || ", c->loaders[i]);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	n = snprintf(buf + len, size - len, "common_pid == 1");
	return n < 0 || (size_t)n >= size - len ? -E2BIG : 0;
}

/* Whether file @name of buffer directory @dir starts with "1" (on, or an enabled event). */
static bool is_on(const char *dir, const char *name)
{
	char p[PATH_MAX], v[8];

	return tfs_read(tfs_path(p, dir, "%s", name), v, sizeof(v)) > 0 && v[0] == '1';
}

/* Whether the instance already traces module loads (an earlier prepare). */
static bool instance_active(struct tfs *t)
{
	return is_on(t->inst, "tracing_on") && is_on(t->inst, "events/module/module_load/enable");
}

/*
 * Whether the kernel command line (trace_event=module:module_load,module:module_put,
 * kmem:mm_page_alloc,kmem:mm_page_free) has recorded module loads and page events into
 * the top-level buffer since the first userspace instruction: then that buffer sees
 * every load, also those before prepare, and no instance is needed.
 */
static bool top_traces_loads(struct tfs *t)
{
	return is_on(t->dir, "events/module/module_load/enable") &&
	       is_on(t->dir, "events/kmem/mm_page_alloc/enable") &&
	       is_on(t->dir, "events/kmem/mm_page_free/enable");
}

/* MemFree of @proc/meminfo in KiB, or -1. */
static long long mem_free_kb(const char *proc)
{
	char p[PATH_MAX], line[128];
	long long kb = -1;
	FILE *f;

	snprintf(p, sizeof(p), "%s/meminfo", proc);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "MemFree:", 8)) {
			kb = strtoll(line + 8, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* Raises the global saved_cmdlines_size so loader pids keep their names; never lowers it. */
static void raise_cmdlines(struct tfs *t)
{
	char p[PATH_MAX], v[24];
	uint64_t cur;
	int r;

	tfs_path(p, t->dir, "saved_cmdlines_size");
	if (tfs_read_u64(p, &cur) == 0 && cur >= DEFAULT_CMDLINES)
		return;

	snprintf(v, sizeof(v), "%d", DEFAULT_CMDLINES);
	r = tfs_write(p, v);
	if (r < 0)
		log_warn("cannot raise %s to %s: %s; loader names may show as <...>", p, v,
			 strerror(-r));
}

/* Optional settings: a failure costs precision, not the trace. */
static void set_optional(struct tfs *t, const char *file, const char *val, const char *why)
{
	int r = be_write(t, file, val);

	if (r < 0)
		log_warn("cannot write %s to %s/%s: %s; %s", val, t->inst, file, strerror(-r),
			 why);
}

static int enable_events(struct tfs *t, const struct config *c)
{
	char filter[FILTER_MAX], bad[PATH_MAX];
	bool have_filter;
	size_t i;
	int r;

	r = be_event_enable(t, "module", "module_load");
	if (r < 0) {
		log_err("cannot enable module:module_load in %s: %s (kernel without CONFIG_MODULES or tracepoints?)",
			t->inst, strerror(-r));
		return r;
	}
	r = be_event_enable(t, "module", "module_put");
	if (r < 0)
		log_warn("cannot enable module:module_put: %s (kernel without CONFIG_MODULE_UNLOAD?); load windows will close at the loader's next load",
			 strerror(-r));
	/* module_free tells failed inits apart; kernels have had it as long as module_load. */
	be_event_enable(t, "module", "module_free");
	have_filter = build_filter(c, filter, sizeof(filter)) == 0;
	if (!have_filter)
		log_warn("the loader names do not fit a tracefs filter: recording the page events of every task");
	for (i = 0; i < 2; i++) {
		if (have_filter) {
			r = be_event_filter(t, "kmem", page_events[i], filter);
			/* a missing event is reported once, by the enable below */
			if (r < 0 && r != -ENOENT) {
				log_warn("the kernel refused the filter on kmem:%s (%s): recording the page events of every task",
					 page_events[i], strerror(-r));
				be_event_filter(t, "kmem", page_events[i], "0");
			}
		}
		r = be_event_enable(t, "kmem", page_events[i]);
		if (r < 0) {
			tfs_path(bad, t->inst, "events/kmem/%s", page_events[i]);
			log_warn("cannot enable %s: %s; pages cannot be measured", bad, strerror(-r));
		}
	}
	return 0;
}

int live_prepare(const struct config *c)
{
	long long before, after;
	struct tfs t;
	char v[32];
	bool existed;
	int r;

	r = tfs_locate(&t, c->tracefs, !c->tracefs);
	if (r < 0)
		return r;
	if (top_traces_loads(&t)) {
		raise_cmdlines(&t);
		log_info("the kernel command line traces module loads into the top-level buffer of %s since boot: report reads it, no instance is made",
			 t.dir);
		return 0;
	}
	before = mem_free_kb(c->proc);
	r = be_instance_create(&t, &existed);
	if (r < 0) {
		log_err("cannot create the trace instance %s: %s", t.inst, strerror(-r));
		return r;
	}
	if (existed && instance_active(&t)) {
		log_info("%s is already tracing module loads: left as it is", t.inst);
		return 0;
	}
	/* New instances start with tracing on; nothing is recorded before the events are set. */
	be_write(&t, "tracing_on", "0");
	snprintf(v, sizeof(v), "%" PRIu64, c->buffer_kb);
	set_optional(&t, "buffer_size_kb", v, "the default buffer may overflow");
	set_optional(&t, "trace_clock", "global", "init times may mix CPU clocks");
	/* When full, drop new events (counted) rather than overwrite the first loads. */
	set_optional(&t, "options/overwrite", "0", "a full buffer overwrites the oldest events");
	raise_cmdlines(&t);
	r = enable_events(&t, c);
	if (r < 0)
		goto out_destroy;
	r = be_write(&t, "tracing_on", "1");
	if (r < 0) {
		log_err("cannot turn tracing on in %s: %s", t.inst, strerror(-r));
		goto out_destroy;
	}
	log_info("tracing module loads in %s (%s KiB per CPU)", t.inst, v);
	after = mem_free_kb(c->proc);
	/* The buffer, and on kernels before 6.6 a dentry and inode per event file. */
	if (!existed && before >= 0 && after >= 0)
		log_info("the instance took %lld KiB of MemFree (%lld KiB before, %lld KiB after)",
			 before - after, before, after);
	return 0;
out_destroy:
	if (!existed)
		be_instance_destroy(&t);
	return r;
}

int be_read_text_trace(struct tfs *t, struct acct *a)
{
	char p[PATH_MAX];
	int fd, r;

	fd = open(tfs_path(p, t->inst, "trace"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err("cannot open %s: %s", p, strerror(errno));
		return r;
	}
	r = text_read(fd, p, a);
	close(fd);
	return r;
}

/* Copies the instance's text trace to @path (through a temporary file) for a later replay. */
static int save_trace(struct tfs *t, const char *path)
{
	char src[PATH_MAX], tmp[PATH_MAX], buf[65536];
	int in, out, r = 0;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	in = open(tfs_path(src, t->inst, "trace"), O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		r = -errno;
		log_warn("cannot save the trace: %s: %s", src, strerror(errno));
		return r;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		r = -errno;
		log_warn("cannot save the trace: %s: %s", tmp, strerror(errno));
		goto out_in;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n > 0 && write(out, buf, (size_t)n) != n) {
			r = errno ? -errno : -EIO;
			break;
		}
	}
	if (n < 0)
		r = -errno;
	if (close(out) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		log_warn("cannot save the trace to %s: %s", path, strerror(-r));
		unlink(tmp);
	}
out_in:
	close(in);
	return r;
}

/* Events the ring buffer dropped (no-overwrite mode) or overwrote, summed over CPUs. */
static int read_lost(struct tfs *t, uint64_t *lost)
{
	char p[PATH_MAX], buf[2048], *l, *save;
	struct dirent *d;
	DIR *dir;
	int found = 0;

	*lost = 0;
	dir = opendir(tfs_path(p, t->inst, "per_cpu"));
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "cpu", 3))
			continue;
		if (tfs_read(tfs_path(p, t->inst, "per_cpu/%s/stats", d->d_name), buf,
			     sizeof(buf)) < 0)
			continue;
		found++;
		for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(l, "overrun: ", 9))
				*lost += strtoull(l + 9, NULL, 10);
			else if (!strncmp(l, "dropped events: ", 16))
				*lost += strtoull(l + 16, NULL, 10);
		}
	}
	closedir(dir);
	return found ? 0 : -ENOENT;
}

/* Loader names read back from the instance's kmem filter, kept for the acct's lifetime. */
static char filter_text[FILTER_MAX];
static const char *filter_loaders[2 * MAX_LOADERS + 1];

/*
 * Learns from the mm_page_alloc filter whether page events were filtered and by which
 * comms, so that report needs no --loader repeated from prepare.
 */
static void read_filter(struct tfs *t, const struct config *c, struct acct *a)
{
	char p[PATH_MAX], *s, *e;
	size_t n = 0, i;

	for (i = 0; i < c->nloaders; i++)
		filter_loaders[n++] = c->loaders[i];
	filter_loaders[n] = NULL;
	a->loaders = filter_loaders;
	if (tfs_read(tfs_path(p, t->inst, "events/kmem/mm_page_alloc/filter"), filter_text,
		     sizeof(filter_text)) < 0)
		return; /* unknown: acct infers it from the events */
	a->filter_known = true;
	a->filter_active = strstr(filter_text, "comm") != NULL;
	for (s = filter_text; n < 2 * MAX_LOADERS && (s = strstr(s, "comm == \""));) {
		s += 9;
		e = strchr(s, '"');
		if (!e)
			break;
		*e = '\0';
		filter_loaders[n++] = s;
		s = e + 1;
	}
	filter_loaders[n] = NULL;
}

int live_collect(struct tfs *t, const struct config *c, struct acct *a,
		 struct report_src *s)
{
	char p[PATH_MAX];
	struct stat st;
	uint64_t lost;
	long psz;
	int r;

	r = tfs_locate(t, c->tracefs, false);
	if (r < 0)
		return r;
	if (stat(t->inst, &st) < 0) {
		r = -errno;
		if (r != -ENOENT || !top_traces_loads(t)) {
			log_err("no trace instance %s: was 'memdebug-ko prepare' run at this boot?",
				t->inst);
			return r;
		}
		/* Boot parameters: the top-level buffer is read, never consumed or cleared. */
		snprintf(t->inst, sizeof(t->inst), "%s", t->dir);
		t->top = true;
		t->was_on = is_on(t->dir, "tracing_on");
		log_info("reading the top-level buffer of %s (trace_event= on the kernel command line)",
			 t->dir);
	}
	t->found = true;
	/* Stop first: the buffer must not change while it is read. */
	r = be_write(t, "tracing_on", "0");
	if (r < 0)
		log_warn("cannot stop tracing in %s: %s", t->inst, strerror(-r));
	psz = sysconf(_SC_PAGESIZE);
	*s = (struct report_src){ .live = true, .top = t->top,
				  .page_size = psz > 0 ? (unsigned)psz : 4096 };
	tfs_read_u64(tfs_path(p, t->inst, "buffer_size_kb"), &s->buffer_kb);
	read_filter(t, c, a);
	if (stat(tfs_path(p, t->inst, "events/module/module_put"), &st) < 0)
		a->no_put_events = true;
	if (c->save_trace)
		save_trace(t, c->save_trace);
	r = be_read_events(t, a, c->keep);
	if (r < 0)
		return r;
	/* The per-cpu stats are the ring buffer's own count; the text header may double it. */
	if (read_lost(t, &lost) == 0)
		a->lost = lost;
	else
		log_warn("cannot read %s/per_cpu/*/stats: lost events are counted from the trace only",
			 t->inst);
	return 0;
}

int live_finish(struct tfs *t, const struct config *c)
{
	long long before, after;
	int r = 0;

	if (!t->found)
		return 0;
	if (t->top) {
		/* Not ours: its data and size stay, and tracing goes on as it was. */
		if (t->was_on)
			r = be_write(t, "tracing_on", "1");
		if (r < 0)
			log_warn("cannot turn tracing back on in %s: %s", t->inst, strerror(-r));
		log_info("the top-level buffer stays allocated as the kernel command line asked; write 0 to %s/buffer_size_kb to free it",
			 t->dir);
		return r;
	}
	if (c->keep) {
		r = be_write(t, "tracing_on", "1");
		if (r < 0)
			log_warn("cannot turn tracing back on in %s: %s", t->inst, strerror(-r));
		return r;
	}
	before = mem_free_kb(c->proc);
	r = be_instance_destroy(t);
	if (r < 0) {
		log_warn("cannot remove %s: %s; its buffer stays allocated", t->inst,
			 strerror(-r));
		return r;
	}
	after = mem_free_kb(c->proc);
	if (before >= 0 && after >= 0)
		log_info("removed %s: MemFree %lld KiB before, %lld KiB after (%+lld KiB)",
			 t->inst, before, after, after - before);
	return 0;
}
