// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rawgen: writes a tracefs tree whose ring buffers hold given events in the kernel's
 * binary layout, for tests of the raw reader (src/source-raw.c). It writes the layouts
 * of Linux 6.1 itself (events/header_page and each event's format), and builds each
 * sub-buffer as the kernel's ring buffer does, in this machine's byte order: 5-bit
 * type_len and 27-bit delta headers, time extends for long gaps, records of type_len 0
 * when asked, padding, and the missed-events flag with its count.
 *
 * Usage: rawgen DIR [SUBBUF] < EVENTS
 * DIR gets events/, saved_cmdlines and instances/memdebug-ko/per_cpu/cpuN/trace_pipe_raw.
 * Each line of EVENTS is "CPU NS PID COMM EVENT [KEY=VALUE...]", or a directive:
 *   lost CPU N      the next sub-buffer of CPU says N events were lost before it
 *   flush CPU       the next event of CPU starts a new sub-buffer
 *   long CPU        the next record of CPU has type_len 0 (a length word)
 *   discard CPU N   a discarded record of N bytes (padding with a delta) on CPU
 *   commit CPU N    the commit word of CPU's first sub-buffer is N (a malformed one)
 * "rawgen --byte-order" prints this machine's byte order, little or big, for the tests.
 * EVENT is one of the events below; a missing KEY is 0 (common_flags too: the
 * kernel's trace flags, 0x10 softirq). Names are COMM of saved_cmdlines. A kernel_stack
 * takes its addresses as caller=A,B,... (up to 48), innermost first.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CPUS	   4
#define PAGES_MAX  256
#define DELTA_BITS 27
#define PIDS	   65536

struct field {
	const char *decl; /* as the format file has it */
	const char *name;
	unsigned offset, size;
	int sign;
	int loc; /* a __data_loc string */
};

struct fmt {
	const char *system, *name;
	int id;
	unsigned size; /* of the fixed part of the record */
	struct field fields[8];
};

/* Linux 6.1's layouts (x86_64), after the common fields. */
static const struct fmt fmts[] = {
	{ "module",
	  "module_load",
	  500,
	  16,
	  { { "unsigned int taints", "taints", 8, 4, 0, 0 },
	    { "__data_loc char[] name", "name", 12, 4, 0, 1 } } },
	{ "module",
	  "module_free",
	  501,
	  12,
	  { { "__data_loc char[] name", "name", 8, 4, 0, 1 } } },
	{ "module",
	  "module_put",
	  503,
	  24,
	  { { "unsigned long ip", "ip", 8, 8, 0, 0 },
	    { "int refcnt", "refcnt", 16, 4, 1, 0 },
	    { "__data_loc char[] name", "name", 20, 4, 0, 1 } } },
	{ "oom", "mark_victim", 510, 12, { { "int pid", "pid", 8, 4, 1, 0 } } },
	{ "kmem",
	  "mm_page_alloc",
	  520,
	  40,
	  { { "unsigned long pfn", "pfn", 8, 8, 0, 0 },
	    { "unsigned int order", "order", 16, 4, 0, 0 },
	    { "unsigned long gfp_flags", "gfp_flags", 24, 8, 0, 0 },
	    { "int migratetype", "migratetype", 32, 4, 1, 0 } } },
	{ "kmem",
	  "mm_page_free",
	  521,
	  24,
	  { { "unsigned long pfn", "pfn", 8, 8, 0, 0 },
	    { "unsigned int order", "order", 16, 4, 0, 0 } } },
	{ "memdebug_ko",
	  "bulk_enter",
	  2000,
	  32,
	  { { "unsigned long __probe_ip", "__probe_ip", 8, 8, 0, 0 },
	    { "u64 array", "array", 16, 8, 0, 0 },
	    { "u64 first", "first", 24, 8, 0, 0 } } },
	{ "memdebug_ko",
	  "bulk_exit",
	  2001,
	  32,
	  { { "unsigned long __probe_func", "__probe_func", 8, 8, 0, 0 },
	    { "unsigned long __probe_ret_ip", "__probe_ret_ip", 16, 8, 0, 0 },
	    { "u64 ret", "ret", 24, 8, 0, 0 } } },
	{ "workqueue",
	  "workqueue_queue_work",
	  530,
	  48,
	  { { "void * work", "work", 8, 8, 0, 0 },
	    { "void * function", "function", 16, 8, 0, 0 },
	    { "__data_loc char[] workqueue", "workqueue", 24, 4, 0, 1 },
	    { "int req_cpu", "req_cpu", 28, 4, 1, 0 },
	    { "int cpu", "cpu", 32, 4, 1, 0 } } },
	{ "workqueue",
	  "workqueue_execute_start",
	  531,
	  24,
	  { { "void * work", "work", 8, 8, 0, 0 },
	    { "void * function", "function", 16, 8, 0, 0 } } },
	{ "workqueue",
	  "workqueue_execute_end",
	  532,
	  24,
	  { { "void * work", "work", 8, 8, 0, 0 },
	    { "void * function", "function", 16, 8, 0, 0 } } },
	{ "task",
	  "task_rename",
	  540,
	  48,
	  { { "pid_t pid", "pid", 8, 4, 1, 0 },
	    { "char oldcomm[16]", "oldcomm", 12, 16, 0, 0 },
	    { "char newcomm[16]", "newcomm", 28, 16, 0, 0 },
	    { "short oom_score_adj", "oom_score_adj", 44, 2, 1, 0 } } },
	{ "task",
	  "task_newtask",
	  541,
	  48,
	  { { "pid_t pid", "pid", 8, 4, 1, 0 },
	    { "char comm[16]", "comm", 12, 16, 0, 0 },
	    { "unsigned long clone_flags", "clone_flags", 32, 8, 0, 0 },
	    { "short oom_score_adj", "oom_score_adj", 40, 2, 1, 0 } } },
	/* a stacktrace trigger's record: size addresses from caller on ("caller=A,B,...") */
	{ "ftrace",
	  "kernel_stack",
	  4,
	  16,
	  { { "int size", "size", 8, 4, 1, 0 },
	    { "unsigned long caller[8]", "caller", 16, 64, 0, 0 } } },
	{ "sched",
	  "sched_waking",
	  550,
	  40,
	  { { "char comm[16]", "comm", 8, 16, 0, 0 },
	    { "pid_t pid", "pid", 24, 4, 1, 0 },
	    { "int prio", "prio", 28, 4, 1, 0 },
	    { "int target_cpu", "target_cpu", 32, 4, 1, 0 } } },
};

struct cpu {
	unsigned char *pages;
	size_t npages;
	size_t used;	  /* in the current sub-buffer's data */
	uint64_t last_ts; /* of the last entry */
	uint64_t lost;	  /* for the next sub-buffer */
	int fresh;	  /* the next entry starts a sub-buffer */
	int long_next;
};

static size_t subbuf = 4096;
static char named[PIDS];
static struct cpu cpus[CPUS];

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "rawgen: %s%s\n", msg, arg ? arg : "");
	exit(1);
}

static void put(unsigned char *p, uint64_t v, unsigned size)
{
	uint8_t v1 = (uint8_t)v;
	uint16_t v2 = (uint16_t)v;
	uint32_t v4 = (uint32_t)v;

	if (size == 1)
		memcpy(p, &v1, 1);
	else if (size == 2)
		memcpy(p, &v2, 2);
	else if (size == 4)
		memcpy(p, &v4, 4);
	else
		memcpy(p, &v, 8);
}

static uint32_t header(unsigned type_len, uint32_t delta)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (uint32_t)type_len << DELTA_BITS | delta;
#else
	return delta << 5 | type_len;
#endif
}

static unsigned char *page(struct cpu *c)
{
	return c->pages + (c->npages - 1) * subbuf;
}

/* Ends the current sub-buffer (its commit word) and starts another at @ts. */
static void new_page(struct cpu *c, uint64_t ts)
{
	if (c->npages == PAGES_MAX)
		die("too many sub-buffers", NULL);
	c->npages++;
	memset(page(c), 0, subbuf);
	put(page(c), ts, 8);
	c->used = 0;
	c->last_ts = ts;
	c->fresh = 0;
}

/* Room for @n more bytes in the current sub-buffer, or a new one. */
static unsigned char *room(struct cpu *c, size_t n, uint64_t ts)
{
	if (!c->npages || c->fresh || c->used + n + 8 > subbuf - 16)
		new_page(c, ts);
	return page(c) + 16 + c->used;
}

/* Writes the commit word of every sub-buffer, with the lost counts in place. */
static void close_pages(struct cpu *c, const uint64_t *commits, const uint64_t *lost)
{
	size_t i;

	for (i = 0; i < c->npages; i++) {
		unsigned char *p = c->pages + i * subbuf;
		uint64_t flags = lost[i] ? 1ull << 31 | 1ull << 30 : 0;

		put(p + 8, commits[i] | flags, 8);
		if (lost[i])
			put(p + 16 + commits[i], lost[i], 8);
	}
}

static uint64_t commits[CPUS][PAGES_MAX], lostc[CPUS][PAGES_MAX];
static uint64_t forced[CPUS]; /* commit CPU N: N + 1, 0 when not asked */

/* Appends the entries of one record to @c: a time extend when the delta needs it. */
static void emit(struct cpu *c, const unsigned char *rec, size_t len, uint64_t ts)
{
	size_t padded = (len + 3) & ~(size_t)3, need;
	uint64_t delta;
	unsigned char *p;
	int lng = c->long_next || padded > 28 * 4;

	need = 4 + padded + (lng ? 4 : 0) + 8;
	p = room(c, need, ts);
	if (c->lost) {
		lostc[c - cpus][c->npages - 1] = c->lost;
		c->lost = 0;
	}
	delta = ts - c->last_ts;
	if (delta >= 1u << DELTA_BITS) {
		put(p, header(30, (uint32_t)(delta & ((1u << DELTA_BITS) - 1))), 4);
		put(p + 4, delta >> DELTA_BITS, 4);
		p += 8;
		c->used += 8;
		delta = 0;
	}
	if (lng) {
		put(p, header(0, (uint32_t)delta), 4);
		put(p + 4, padded + 4, 4);
		memcpy(p + 8, rec, len);
		c->used += 8 + padded;
	} else {
		put(p, header((unsigned)(padded / 4), (uint32_t)delta), 4);
		memcpy(p + 4, rec, len);
		c->used += 4 + padded;
	}
	c->last_ts = ts;
	c->long_next = 0;
	commits[c - cpus][c->npages - 1] = c->used;
}

/* A discarded record of @n bytes: padding with a delta, which the reader keeps no time of. */
static void discard(struct cpu *c, size_t n, uint64_t ts)
{
	unsigned char *p = room(c, 8 + n, ts);

	put(p, header(29, 1), 4);
	put(p + 4, (uint32_t)(n + 4), 4);
	c->used += 8 + n;
	commits[c - cpus][c->npages - 1] = c->used;
}

static const struct fmt *find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(fmts[i].name, name))
			return &fmts[i];
	return NULL;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f))
		die("cannot write ", path);
}

static void mkdirs(const char *path)
{
	char p[4096], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void write_formats(const char *dir)
{
	char path[4096], text[4096];
	size_t i, j;
	int n;

	snprintf(path, sizeof(path), "%s/events", dir);
	mkdirs(path);
	n = snprintf(text, sizeof(text),
		     "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
		     "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		     "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
		     "\tfield: char data;\toffset:16;\tsize:%zu;\tsigned:0;\n",
		     subbuf - 16);
	snprintf(path, sizeof(path), "%s/events/header_page", dir);
	write_file(path, text, (size_t)n);
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		const struct fmt *f = &fmts[i];

		snprintf(path, sizeof(path), "%s/events/%s/%s", dir, f->system, f->name);
		mkdirs(path);
		n = snprintf(
			text, sizeof(text),
			"name: %s\nID: %d\nformat:\n"
			"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
			"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
			"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n",
			f->name, f->id);
		for (j = 0; f->fields[j].decl; j++)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      "\tfield:%s;\toffset:%u;\tsize:%u;\tsigned:%d;\n",
				      f->fields[j].decl, f->fields[j].offset,
				      f->fields[j].size, f->fields[j].sign);
		n += snprintf(text + n, sizeof(text) - (size_t)n, "\nprint fmt: \"\"\n");
		strcat(path, "/format");
		write_file(path, text, (size_t)n);
	}
}

/* Fills record @rec (of @f) from "KEY=VALUE" words; returns its length. */
static size_t fill(const struct fmt *f, unsigned char *rec, int pid, char *args)
{
	size_t len = f->size, j;
	char *w, *save = NULL, *v;

	memset(rec, 0, 512);
	put(rec, (uint64_t)f->id, 2);
	put(rec + 4, (uint64_t)pid, 4);
	for (w = strtok_r(args, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		v = strchr(w, '=');
		if (!v)
			die("not KEY=VALUE: ", w);
		*v++ = '\0';
		if (!strcmp(w,
			    "common_flags")) { /* 0x08 hardirq, 0x10 softirq, 0x40 NMI */
			put(rec + 2, strtoull(v, NULL, 0), 1);
			continue;
		}
		if (!strcmp(w, "caller")) {
			size_t k = 0;

			for (v = strtok(v, ","); v && k < 48; v = strtok(NULL, ","))
				put(rec + 16 + 8 * k++, strtoull(v, NULL, 0), 8);
			put(rec + 8, k, 4);
			len = 16 + 8 * k;
			continue;
		}
		for (j = 0; f->fields[j].decl && strcmp(f->fields[j].name, w); j++)
			;
		if (!f->fields[j].decl)
			die("no such field: ", w);
		if (f->fields[j].loc) {
			size_t n = strlen(v) + 1;

			put(rec + f->fields[j].offset, (uint64_t)(len | n << 16), 4);
			memcpy(rec + len, v, n);
			len += n;
		} else if (f->fields[j].size == 16) {
			strncpy((char *)rec + f->fields[j].offset, v, 16);
		} else {
			put(rec + f->fields[j].offset, strtoull(v, NULL, 0),
			    f->fields[j].size);
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	char line[1024], comm[64], ev[64], path[4096], *cmdlines = NULL;
	unsigned char rec[512];
	size_t cmd_len = 0, i;
	unsigned long long ts, n;
	int cpu, pid, off;
	const struct fmt *f;

	if (argc == 2 && !strcmp(argv[1], "--byte-order")) {
		puts(__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? "big" : "little");
		return 0;
	}
	if (argc < 2 || argc > 3)
		die("usage: rawgen DIR [SUBBUF] < EVENTS", NULL);
	if (argc == 3)
		subbuf = strtoul(argv[2], NULL, 0);
	for (i = 0; i < CPUS; i++) {
		cpus[i].pages = malloc(PAGES_MAX * subbuf);
		if (!cpus[i].pages)
			die("out of memory", NULL);
	}
	write_formats(argv[1]);
	while (fgets(line, sizeof(line), stdin)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "lost %d %llu", &cpu, &n) == 2 && cpu >= 0 &&
		    cpu < CPUS) {
			cpus[cpu].lost = n;
			cpus[cpu].fresh = 1;
			continue;
		}
		if (sscanf(line, "flush %d", &cpu) == 1 && cpu >= 0 && cpu < CPUS) {
			cpus[cpu].fresh = 1;
			continue;
		}
		if (sscanf(line, "long %d", &cpu) == 1 && cpu >= 0 && cpu < CPUS) {
			cpus[cpu].long_next = 1;
			continue;
		}
		if (sscanf(line, "commit %d %llu", &cpu, &n) == 2 && cpu >= 0 &&
		    cpu < CPUS) {
			forced[cpu] = n + 1;
			continue;
		}
		if (sscanf(line, "discard %d %llu", &cpu, &n) == 2 && cpu >= 0 &&
		    cpu < CPUS) {
			discard(&cpus[cpu], (size_t)n, cpus[cpu].last_ts);
			continue;
		}
		if (sscanf(line, "%d %llu %d %63s %63s %n", &cpu, &ts, &pid, comm, ev,
			   &off) < 5 ||
		    cpu < 0 || cpu >= CPUS)
			die("cannot read the line: ", line);
		f = find(ev);
		if (!f)
			die("no such event: ", ev);
		/* saved_cmdlines has a line per task: its first name here */
		if (pid >= 0 && pid < PIDS && !named[pid]) {
			named[pid] = 1;
			n = strlen(comm) + 16;
			cmdlines = realloc(cmdlines, cmd_len + n + 1);
			cmd_len += (size_t)snprintf(cmdlines + cmd_len, n + 1, "%d %s\n",
						    pid, comm);
		}
		emit(&cpus[cpu], rec, fill(f, rec, pid, line + off), ts);
	}
	snprintf(path, sizeof(path), "%s/saved_cmdlines", argv[1]);
	write_file(path, cmdlines ? cmdlines : "", cmd_len);
	free(cmdlines);
	for (i = 0; i < CPUS; i++) {
		FILE *out;

		if (!cpus[i].npages) {
			free(cpus[i].pages);
			continue;
		}
		close_pages(&cpus[i], commits[i], lostc[i]);
		if (forced[i])
			put(cpus[i].pages + 8, forced[i] - 1, 8);
		snprintf(path, sizeof(path), "%s/instances/memdebug-ko/per_cpu/cpu%zu",
			 argv[1], i);
		mkdirs(path);
		strcat(path, "/trace_pipe_raw");
		out = fopen(path, "w");
		if (!out ||
		    fwrite(cpus[i].pages, subbuf, cpus[i].npages, out) !=
			    cpus[i].npages ||
		    fclose(out))
			die("cannot write ", path);
		free(cpus[i].pages);
	}
	return 0;
}
