// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A read of trace_pipe_raw hands out one sub-buffer of the ring buffer (a page unless
 * buffer_subbuf_size_kb says otherwise), laid out as events/header_page describes: a
 * timestamp, a commit word (the bytes of data, and flags for events lost before it) and
 * the data. The data is a chain of entries, each a 32-bit header of a 5-bit type_len and
 * a 27-bit time delta (in that order from the least significant bit on little-endian
 * machines, from the most significant on big-endian ones), then:
 *   type_len 1-28  a record of type_len * 4 bytes;
 *   type_len 0     a 32-bit length (of itself and the record), then the record;
 *   29 padding     a 32-bit length of what to skip; with a zero delta, the end of data;
 *   30 extend      32 more bits of delta, above the 27;
 *   31 timestamp   an absolute time, its upper bits in the next 32 bits.
 * Each record starts with the common fields: the event's id (common_type) and the pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "io.h"
#include "log.h"
#include "modmap.h"
#include "source-raw.h"
#include "tfs.h"

#define TYPE_PADDING   29
#define TYPE_EXTEND    30
#define TYPE_TIMESTAMP 31
#define DELTA_BITS     27
#define COMMIT_MASK    ((1u << 27) - 1)
#define MISSED_EVENTS  (1ull << 31)
#define MISSED_STORED  (1ull << 30)
#define CPUS_MAX       1024
#define COMM_CACHE     64 /* pids whose comm one drain remembers */
#define INIT_IPS       4
#define PENDING_MAX    32 /* modules loaded since the map was last read */

struct raw_cpu {
	int fd;
	unsigned char *page;
	size_t have;	 /* bytes of the last read */
	size_t pos, end; /* the next entry and the end of data in @page */
	uint64_t ts;	 /* the time of the entry before @pos */
	/* the record found at @pos, when @ready */
	bool ready;
	const unsigned char *rec;
	size_t rec_len, next;
	uint64_t rec_ts;
	bool empty; /* read to the end for this drain */
};

struct comm_entry {
	int pid;
	char comm[COMM_MAX + 1];
	size_t len;
};

struct gfp_name {
	uint64_t mask;
	char name[40];
};

struct raw_source {
	char buf[PATH_MAX]; /* the buffer's directory, for messages */
	char cmdlines[PATH_MAX];
	size_t subbuf; /* bytes a read hands out */
	size_t ts_off, commit_off, commit_size, data_off;
	struct raw_cpu *cpus;
	size_t ncpus;
	struct rawfmt *fmts; /* of each catalog entry; id -1: the kernel has none */
	const struct rawfmt_field *type, *pid, *flags; /* flags: NULL when not named */
	uint64_t no_page; /* the pfn that means no page: -1 in the field's size */
	/* where do_init_module drops the initial reference (its success and failure paths) */
	uint64_t init_ips[INIT_IPS];
	/* comms looked up in this drain, and saved_cmdlines once a task had gone */
	struct comm_entry cache[COMM_CACHE];
	size_t ncache;
	const struct comm_entry *last; /* the last one looked up */
	struct gfp_name *gfp_names;    /* mm_page_alloc's __print_flags table */
	size_t ngfp;
	struct comm_entry *saved;
	size_t nsaved;
	bool saved_read;
	bool proc_comms; /* the tasks are this system's (a kernel's tracefs, not a test's) */
	/* ftrace:kernel_stack, which stacktrace triggers record; id -1: none */
	struct rawfmt stack_fmt;
	const struct rawfmt_field *stack_size, *stack_caller;
	size_t stack_elem; /* bytes of an address */
	/* the modules' text, read at the first stack, then as modules load and go */
	struct modmap map;
	bool map_read;
	char pending[PENDING_MAX][MODNAME_MAX + 1];
	size_t npending; /* PENDING_MAX + 1: too many, read them all again */
	char frame[80];	 /* the name of the frame being handed out */
};

/* ---- the formats ---- */

/* The layout of a sub-buffer, from events/header_page. */
static int read_header_page(struct raw_source *rs, const char *dir)
{
	const struct rawfmt_field *ts, *commit, *data;
	char p[PATH_MAX];
	struct rawfmt f;

	if (rawfmt_read(tfs_path(p, dir, "events/header_page"), &f) < 0)
		return -EINVAL;
	ts = rawfmt_field(&f, "timestamp");
	commit = rawfmt_field(&f, "commit");
	data = rawfmt_field(&f, "data");
	if (!ts || ts->size != 8 || !commit || (commit->size != 4 && commit->size != 8) ||
	    !data || data->size < 64)
		return -EINVAL;
	rs->ts_off = ts->offset;
	rs->commit_off = commit->offset;
	rs->commit_size = commit->size;
	rs->data_off = data->offset;
	rs->subbuf = (size_t)data->offset + data->size;
	return 0;
}

/* The formats of the catalog's events; the common fields from the first one found. */
static int read_formats(struct raw_source *rs, const char *dir)
{
	const struct rawfmt_field *pfn;
	char p[PATH_MAX];
	size_t i;
	int r;

	for (i = 0; i < catalog_len; i++) {
		r = rawfmt_read(tfs_path(p, dir, "events/%s/%s/format", catalog[i].system,
					 catalog[i].name),
				&rs->fmts[i]);
		if (r < 0 && r != -E2BIG) {
			rs->fmts[i].id = -1;
			continue;
		}
		if (!rs->type) {
			rs->type = rawfmt_field(&rs->fmts[i], "common_type");
			rs->pid = rawfmt_field(&rs->fmts[i], "common_pid");
			rs->flags = rawfmt_field(&rs->fmts[i], "common_flags");
		}
	}
	if (!rs->type || !rs->pid) {
		log_info("the event formats in %s name no common_type and common_pid: reading the text trace",
			 dir);
		return -EOPNOTSUPP;
	}
	for (i = 0; i < catalog_len; i++) {
		if (catalog[i].type != EV_PAGE_ALLOC || rs->fmts[i].id < 0)
			continue;
		/* Old kernels record a struct page pointer, not the pfn: the kernel formats it. */
		pfn = rawfmt_field(&rs->fmts[i], "pfn");
		if (!pfn) {
			log_info(
				"mm_page_alloc records no pfn on this kernel: reading the text trace");
			return -EOPNOTSUPP;
		}
		rs->no_page = pfn->size == 4 ? 0xffffffffull : ~0ull;
	}
	return 0;
}

/*
 * ftrace:kernel_stack, where a stacktrace trigger puts the stack of the event it fired
 * on: "int size" (addresses in it) and "unsigned long caller[8]", which the record
 * extends to size addresses. None: stacks are counted as other events.
 */
static void read_stack_format(struct raw_source *rs, const char *dir)
{
	char p[PATH_MAX];
	int r;

	r = rawfmt_read(tfs_path(p, dir, "events/ftrace/kernel_stack/format"),
			&rs->stack_fmt);
	rs->stack_size = r < 0 ? NULL : rawfmt_field(&rs->stack_fmt, "size");
	rs->stack_caller = r < 0 ? NULL : rawfmt_field(&rs->stack_fmt, "caller");
	if (!rs->stack_size || !rs->stack_caller ||
	    rs->stack_caller->kind != RAWFMT_PLAIN ||
	    (rs->stack_caller->size != 64 && rs->stack_caller->size != 32)) {
		rs->stack_fmt.id = -1;
		return;
	}
	rs->stack_elem = rs->stack_caller->size / 8;
}

/*
 * An expression of a flag's mask as a print fmt spells it: numbers, |, &, ~, <<,
 * parentheses and casts ("(( gfp_t)0x400u)", "(( gfp_t)((((1UL))) << (22)))"). False when it is not.
 */
static bool eval_or(const char **p, uint64_t *v);

static void skip_space(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

static bool eval_primary(const char **p, uint64_t *v)
{
	const char *q;
	char *end;

	skip_space(p);
	if (**p == '~') {
		(*p)++;
		if (!eval_primary(p, v))
			return false;
		*v = ~*v;
		return true;
	}
	if (**p == '(') {
		for (q = *p + 1; (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				 *q == '_' || *q == ' ';
		     q++)
			;
		if (*q == ')' && q > *p + 1) { /* a cast */
			*p = q + 1;
			return eval_primary(p, v);
		}
		(*p)++;
		if (!eval_or(p, v))
			return false;
		skip_space(p);
		if (**p != ')')
			return false;
		(*p)++;
		return true;
	}
	if (**p < '0' || **p > '9')
		return false;
	*v = strtoull(*p, &end, 0);
	*p = end;
	while (**p == 'u' || **p == 'U' || **p == 'l' || **p == 'L')
		(*p)++;
	return true;
}

static bool eval_shift(const char **p, uint64_t *v)
{
	uint64_t n;

	if (!eval_primary(p, v))
		return false;
	skip_space(p);
	while ((*p)[0] == '<' && (*p)[1] == '<') {
		*p += 2;
		if (!eval_primary(p, &n) || n > 63)
			return false;
		*v <<= n;
		skip_space(p);
	}
	return true;
}

static bool eval_and(const char **p, uint64_t *v)
{
	uint64_t n;

	if (!eval_shift(p, v))
		return false;
	skip_space(p);
	while (**p == '&') {
		(*p)++;
		if (!eval_shift(p, &n))
			return false;
		*v &= n;
		skip_space(p);
	}
	return true;
}

static bool eval_or(const char **p, uint64_t *v)
{
	uint64_t n;

	if (!eval_and(p, v))
		return false;
	skip_space(p);
	while (**p == '|') {
		(*p)++;
		if (!eval_and(p, &n))
			return false;
		*v |= n;
		skip_space(p);
	}
	return true;
}

/*
 * The names mm_page_alloc's print fmt gives the gfp flags ("{mask, "NAME"}, ..." of its
 * __print_flags), for the text lines of a saved trace. Without them, numbers.
 */
static void read_gfp_names(struct raw_source *rs, const char *dir)
{
	const char *p, *name, *end;
	char path[PATH_MAX], *text;
	size_t cap = 0;
	uint64_t mask;

	if (io_read_all(tfs_path(path, dir, "events/kmem/mm_page_alloc/format"), &text) <
	    0)
		return;
	p = strstr(text, "__print_flags(");
	while (p && (p = strchr(p, '{')) != NULL) {
		p++;
		if (!eval_or(&p, &mask) || *p != ',')
			break;
		name = strchr(p, '"');
		end = name ? strchr(name + 1, '"') : NULL;
		if (!end || (size_t)(end - name - 1) >= sizeof(rs->gfp_names[0].name))
			break;
		if (rs->ngfp == cap) {
			struct gfp_name *n;

			cap = cap ? cap * 2 : 32;
			n = realloc(rs->gfp_names, cap * sizeof(*n));
			if (!n)
				break;
			rs->gfp_names = n;
		}
		rs->gfp_names[rs->ngfp].mask = mask;
		memcpy(rs->gfp_names[rs->ngfp].name, name + 1, (size_t)(end - name - 1));
		rs->gfp_names[rs->ngfp].name[end - name - 1] = '\0';
		rs->ngfp++;
		p = end;
	}
	free(text);
}

int raw_gfp_str(const struct raw_source *rs, uint64_t gfp, char *out, size_t size)
{
	size_t i, n = 0;
	int r;

	if (!gfp)
		return snprintf(out, size, "none");
	out[0] = '\0';
	/* as the kernel's __print_flags: each name whose mask is all set, then the rest */
	for (i = 0; i < rs->ngfp && gfp; i++) {
		if (!rs->gfp_names[i].mask ||
		    (gfp & rs->gfp_names[i].mask) != rs->gfp_names[i].mask)
			continue;
		gfp &= ~rs->gfp_names[i].mask;
		r = snprintf(out + n, size - n, "%s%s", n ? "|" : "",
			     rs->gfp_names[i].name);
		if (r < 0 || (size_t)r >= size - n)
			return -1;
		n += (size_t)r;
	}
	if (gfp) {
		r = snprintf(out + n, size - n, "%s0x%llx", n ? "|" : "",
			     (unsigned long long)gfp);
		if (r < 0 || (size_t)r >= size - n)
			return -1;
		n += (size_t)r;
	}
	return (int)n;
}

/* Opens per_cpu/cpuN/trace_pipe_raw of every CPU that has one. */
static int open_cpus(struct raw_source *rs)
{
	size_t n = 0, cap = 0;
	char p[PATH_MAX];
	int cpu, fd;

	/* possible CPUs may have holes: look a little past the last one found */
	for (cpu = 0; cpu < CPUS_MAX && cpu < (int)n + 64; cpu++) {
		fd = open(tfs_path(p, rs->buf, "per_cpu/cpu%d/trace_pipe_raw", cpu),
			  O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (rs->ncpus == cap) {
			struct raw_cpu *c;

			cap = cap ? cap * 2 : 4;
			c = realloc(rs->cpus, cap * sizeof(*c));
			if (!c) {
				close(fd);
				return -ENOMEM;
			}
			rs->cpus = c;
		}
		rs->cpus[rs->ncpus] =
			(struct raw_cpu){ .fd = fd, .page = malloc(rs->subbuf) };
		if (!rs->cpus[rs->ncpus].page) {
			close(fd);
			return -ENOMEM;
		}
		rs->ncpus++;
		n = (size_t)cpu + 1;
	}
	if (!rs->ncpus) {
		log_info("cannot open %s/per_cpu/cpu0/trace_pipe_raw: reading the text trace",
			 rs->buf);
		return -EOPNOTSUPP;
	}
	return 0;
}

int raw_open(struct raw_source **out, const char *dir, const char *buf,
	     const char *sys_module)
{
	struct raw_source *rs = calloc(1, sizeof(*rs));
	int r = -ENOMEM;

	if (!rs)
		return -ENOMEM;
	snprintf(rs->buf, sizeof(rs->buf), "%s", buf);
	tfs_path(rs->cmdlines, dir, "saved_cmdlines");
	rs->proc_comms = tfs_is_kernel_fs(dir);
	rs->fmts = calloc(catalog_len, sizeof(*rs->fmts));
	if (!rs->fmts)
		goto out_free;
	if (read_header_page(rs, dir) < 0) {
		log_info("cannot read the ring buffer's layout in %s/events/header_page: reading the text trace",
			 dir);
		r = -EOPNOTSUPP;
		goto out_free;
	}
	r = read_formats(rs, dir);
	if (r == 0)
		r = open_cpus(rs);
	if (r == 0) {
		read_gfp_names(rs, dir);
		read_stack_format(rs, dir);
		modmap_init(&rs->map, sys_module       ? sys_module
				      : rs->proc_comms ? "/sys/module"
						       : NULL);
	}
	if (r < 0)
		goto out_free;
	*out = rs;
	return 0;
out_free:
	raw_close(rs);
	return r;
}

void raw_close(struct raw_source *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->ncpus; i++) {
		close(rs->cpus[i].fd);
		free(rs->cpus[i].page);
	}
	free(rs->cpus);
	free(rs->fmts);
	free(rs->saved);
	free(rs->gfp_names);
	modmap_free(&rs->map);
	free(rs);
}

size_t raw_fds(const struct raw_source *rs, int *fds, size_t max)
{
	size_t i;

	for (i = 0; i < rs->ncpus && i < max; i++)
		fds[i] = rs->cpus[i].fd;
	return i;
}

/* ---- the sub-buffers ---- */

static void split_header(uint32_t h, unsigned *type_len, uint32_t *delta)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	*type_len = h >> DELTA_BITS;
	*delta = h & ((1u << DELTA_BITS) - 1);
#else
	*type_len = h & 31;
	*delta = h >> 5;
#endif
}

/*
 * Walks the entries of @c's sub-buffer from its position to the next record, keeping
 * time; false at the end of its data. A malformed chain ends the sub-buffer (counted).
 */
static bool next_record(struct raw_cpu *c, struct source_stats *st)
{
	unsigned type_len;
	uint32_t delta, len;

	while (c->pos + 4 <= c->end) {
		const unsigned char *e = c->page + c->pos;

		split_header((uint32_t)rawfmt_load(e, 4), &type_len, &delta);
		switch (type_len) {
		case TYPE_PADDING:
			if (!delta)
				goto out_end; /* the rest of the sub-buffer is empty */
			if (c->pos + 8 > c->end)
				goto out_bad;
			/* a discarded record: the kernel's reader keeps no time of it */
			len = (uint32_t)rawfmt_load(e + 4, 4);
			c->pos += 4 + (size_t)len;
			continue;
		case TYPE_EXTEND:
			if (c->pos + 8 > c->end)
				goto out_bad;
			c->ts += ((uint64_t)rawfmt_load(e + 4, 4) << DELTA_BITS) + delta;
			c->pos += 8;
			continue;
		case TYPE_TIMESTAMP:
			if (c->pos + 8 > c->end)
				goto out_bad;
			c->ts = ((uint64_t)rawfmt_load(e + 4, 4) << DELTA_BITS) | delta;
			c->pos += 8;
			continue;
		case 0:
			if (c->pos + 8 > c->end)
				goto out_bad;
			len = (uint32_t)rawfmt_load(e + 4, 4);
			if (len < 4 || c->pos + 4 + len > c->end)
				goto out_bad;
			c->rec = e + 8;
			c->rec_len = len - 4;
			c->next = c->pos + 4 + len;
			break;
		default:
			len = type_len * 4;
			if (c->pos + 4 + len > c->end)
				goto out_bad;
			c->rec = e + 4;
			c->rec_len = len;
			c->next = c->pos + 4 + len;
			break;
		}
		c->ts += delta;
		c->rec_ts = c->ts;
		c->ready = true;
		return true;
	}
	goto out_end;
out_bad:
	st->malformed++;
out_end:
	c->ready = false;
	return false;
}

/*
 * Reads @c's next sub-buffer that holds a record; false when its buffer is empty for
 * now (or at the end of a file), or on an error (-errno in *@err, reported).
 */
static bool fill(struct raw_source *rs, struct raw_cpu *c, struct source_stats *st,
		 int *err)
{
	uint64_t commit, missed;
	ssize_t n;
	size_t len;

	for (;;) {
		n = io_read(c->fd, c->page, rs->subbuf);
		if (n < 0 && n != -EAGAIN && n != -EINTR) {
			log_err("cannot read %s/per_cpu/*/trace_pipe_raw: %s", rs->buf,
				strerror((int)-n));
			*err = (int)n;
		}
		if (n <= 0) {
			c->empty = true;
			return false;
		}
		c->have = (size_t)n;
		if (c->have < rs->data_off) {
			st->malformed++;
			continue;
		}
		commit = rawfmt_load(c->page + rs->commit_off, rs->commit_size);
		len = commit & COMMIT_MASK;
		if (rs->data_off + len > c->have) {
			st->malformed++;
			continue;
		}
		/* events lost before this sub-buffer; the count follows the data if it fit */
		if (commit & MISSED_EVENTS) {
			missed = 1;
			if ((commit & MISSED_STORED) &&
			    rs->data_off + len + rs->commit_size <= c->have)
				missed = rawfmt_load(c->page + rs->data_off + len,
						     rs->commit_size);
			st->lost += missed;
		}
		c->ts = rawfmt_load(c->page + rs->ts_off, 8);
		c->pos = rs->data_off;
		c->end = rs->data_off + len;
		if (next_record(c, st))
			return true;
	}
}

/* ---- the comms ---- */

static int cmp_pid(const void *a, const void *b)
{
	const struct comm_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Reads saved_cmdlines ("PID COMM" lines), sorted by pid: at most once in a drain. */
static void read_saved(struct raw_source *rs)
{
	char *text, *line, *save = NULL, *sp;
	size_t cap = 0;
	long pid;

	rs->saved_read = true;
	rs->nsaved = 0;
	if (io_read_all(rs->cmdlines, &text) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		pid = strtol(line, &sp, 10);
		if (sp == line || *sp != ' ' || pid <= 0 || pid > INT_MAX)
			continue;
		if (rs->nsaved == cap) {
			struct comm_entry *n;

			cap = cap ? cap * 2 : 256;
			n = realloc(rs->saved, cap * sizeof(*n));
			if (!n)
				break;
			rs->saved = n;
		}
		rs->saved[rs->nsaved].pid = (int)pid;
		snprintf(rs->saved[rs->nsaved].comm, sizeof(rs->saved[0].comm), "%s",
			 sp + 1);
		rs->nsaved++;
	}
	free(text);
	/* an empty table has no array, and qsort's is declared nonnull */
	if (rs->nsaved)
		qsort(rs->saved, rs->nsaved, sizeof(*rs->saved), cmp_pid);
}

/*
 * The comm of @pid as the text trace would print it now: the task's own while it lives
 * (/proc/PID/comm, after an exec too), else the kernel's saved_cmdlines, else "<...>".
 * Names found in /proc are kept for one drain.
 */
static const struct comm_entry *comm_of(struct raw_source *rs, int pid)
{
	static const struct comm_entry idle = { 0, "<idle>", 6 };
	struct comm_entry key = { .pid = pid }, *hit, *e;
	char p[64];
	size_t i;
	int r;

	if (pid == 0)
		return &idle;
	/* events come in runs of one task's */
	if (rs->last && rs->last->pid == pid)
		return rs->last;
	for (i = 0; i < rs->ncache; i++)
		if (rs->cache[i].pid == pid)
			return rs->last = &rs->cache[i];
	e = &rs->cache[rs->ncache < COMM_CACHE ? rs->ncache++ : (size_t)pid % COMM_CACHE];
	rs->last = e;
	e->pid = pid;
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	r = rs->proc_comms ? io_read_small(p, e->comm, sizeof(e->comm)) : -ENOENT;
	if (r > 0) {
		e->comm[strcspn(e->comm, "\n")] = '\0';
		e->len = strlen(e->comm);
		return e;
	}
	/* a task that is gone keeps its name: the table is read again only for a new one */
	hit = rs->nsaved ? bsearch(&key, rs->saved, rs->nsaved, sizeof(key), cmp_pid)
			 : NULL;
	if (!hit && !rs->saved_read) {
		read_saved(rs);
		hit = rs->nsaved
			      ? bsearch(&key, rs->saved, rs->nsaved, sizeof(key), cmp_pid)
			      : NULL;
	}
	snprintf(e->comm, sizeof(e->comm), "%s", hit ? hit->comm : "<...>");
	e->len = strlen(e->comm);
	return e;
}

/* ---- the events ---- */

static bool decode(struct raw_source *rs, const struct raw_cpu *c, struct event *ev)
{
	const struct comm_entry *ce;
	uint64_t type, pid, flags;
	struct raw_rec r;
	size_t i;

	if (!rawfmt_num(rs->type, c->rec, c->rec_len, &type) ||
	    !rawfmt_num(rs->pid, c->rec, c->rec_len, &pid) || (int64_t)pid < 0 ||
	    pid > INT32_MAX)
		return false;
	ev->type = EV_OTHER;
	ev->pid = (int)pid;
	ev->ts_ns = c->rec_ts;
	ev->cpu = (unsigned)(c - rs->cpus);
	/* kernel/trace/trace.h: TRACE_FLAG_HARDIRQ 0x08, _SOFTIRQ 0x10, _NMI 0x40 */
	ev->irq = rs->flags && rawfmt_num(rs->flags, c->rec, c->rec_len, &flags) &&
		  (flags & (0x08 | 0x10 | 0x40));
	ce = comm_of(rs, ev->pid);
	ev->comm = ce->comm;
	ev->comm_len = ce->len;
	if (rs->stack_fmt.id >= 0 && type == (uint64_t)rs->stack_fmt.id) {
		ev->type = EV_STACK;
		return true;
	}
	for (i = 0; i < catalog_len; i++) {
		if (rs->fmts[i].id < 0 || (uint64_t)rs->fmts[i].id != type)
			continue;
		ev->type = catalog[i].type;
		r = (struct raw_rec){ .data = c->rec,
				      .len = c->rec_len,
				      .fmt = &rs->fmts[i] };
		return catalog[i].raw(rs, &r, ev);
	}
	return true;
}

/* ---- kernel stacks ---- */

/* Keeps the module map in step with the loads and frees that the events show. */
static void map_note(struct raw_source *rs, const struct event *ev)
{
	if (!rs->map_read)
		return;
	if (ev->type == EV_MODULE_FREE) {
		modmap_drop(&rs->map, ev->name, ev->name_len);
	} else if (ev->type == EV_MODULE_LOAD && rs->npending <= PENDING_MAX) {
		if (rs->npending == PENDING_MAX || ev->name_len > MODNAME_MAX) {
			rs->npending = PENDING_MAX + 1;
			return;
		}
		memcpy(rs->pending[rs->npending], ev->name, ev->name_len);
		rs->pending[rs->npending++][ev->name_len] = '\0';
	}
}

/*
 * Brings the map up to date before a stack is placed: all modules the first time, then
 * those loaded since. The map is of the modules as they are when the stack is read, not
 * when it was recorded: a module whose load failed is gone, and its stacks were in its
 * load, where the windows count the pages.
 */
static void map_update(struct raw_source *rs)
{
	size_t i;

	if (!rs->map_read || rs->npending > PENDING_MAX) {
		rs->map_read = true;
		modmap_scan(&rs->map);
	} else {
		for (i = 0; i < rs->npending; i++)
			modmap_add(&rs->map, rs->pending[i], strlen(rs->pending[i]));
	}
	rs->npending = 0;
}

/*
 * Hands on the stack record @c as the text trace has it: EV_STACK (in @ev), then a frame
 * for each address, "0xADDR [module]" in a module's text, else "0xADDR". The frames
 * before the first in no module are left out: a stack starts in tracing and the
 * allocator, the kernel's own code, and what reads as a module's there is a trampoline
 * that ftrace or a kprobe put among the modules. Returns 0, -EINVAL for a malformed
 * record, or what @fn returned.
 */
static int emit_stack(struct raw_source *rs, const struct raw_cpu *c, struct event *ev,
		      event_fn fn, void *ctx, struct source_stats *st)
{
	uint64_t n, addr, end = rs->stack_elem == 8 ? ~0ull : 0xffffffffull;
	size_t i, off = rs->stack_caller->offset;
	const char *mod;
	bool lead = true;
	int r;

	if (!rawfmt_num(rs->stack_size, c->rec, c->rec_len, &n) || c->rec_len < off)
		return -EINVAL;
	if (n > (c->rec_len - off) / rs->stack_elem)
		n = (c->rec_len - off) / rs->stack_elem;
	map_update(rs);
	if (!modmap_usable(&rs->map))
		st->stacks_unplaced++;
	r = fn(ctx, ev);
	for (i = 0; r >= 0 && i < n; i++) {
		struct event f = { .type = EV_STACK_FRAME,
				   .cpu = ev->cpu,
				   .ts_ns = ev->ts_ns };

		addr = rawfmt_load(c->rec + off + i * rs->stack_elem, rs->stack_elem);
		/* old kernels end the stack with ULONG_MAX */
		if (!addr || addr == end)
			continue;
		mod = modmap_find(&rs->map, addr);
		if (lead && mod)
			continue;
		lead = false;
		f.name = rs->frame;
		f.name_len =
			(size_t)snprintf(rs->frame, sizeof(rs->frame), "0x%llx%s%s%s",
					 (unsigned long long)addr, mod ? " [" : "",
					 mod ? mod : "", mod ? "]" : "");
		r = fn(ctx, &f);
	}
	return r < 0 ? r : 0;
}

long raw_drain(struct raw_source *rs, event_fn fn, void *ctx, struct source_stats *st)
{
	struct raw_cpu *c, *first;
	long n = 0;
	size_t i;
	int err = 0, r;

	rs->ncache = 0;
	rs->last = NULL;
	rs->saved_read = false;
	for (i = 0; i < rs->ncpus; i++) {
		rs->cpus[i].empty = false;
		if (!rs->cpus[i].ready)
			fill(rs, &rs->cpus[i], st, &err);
	}
	for (;;) {
		first = NULL;
		for (i = 0; i < rs->ncpus; i++) {
			c = &rs->cpus[i];
			if (c->ready && (!first || c->rec_ts < first->rec_ts))
				first = c;
		}
		if (!first)
			break;
		c = first;
		{
			struct event ev = { .type = EV_OTHER };

			n++;
			if (!decode(rs, c, &ev)) {
				st->malformed++;
			} else {
				st->events++;
				if (ev.type == EV_STACK) {
					r = emit_stack(rs, c, &ev, fn, ctx, st);
					if (r == -EINVAL) {
						st->events--;
						st->malformed++;
						r = 0;
					}
				} else {
					map_note(rs, &ev);
					r = fn(ctx, &ev);
				}
				if (r < 0) {
					log_err("out of memory while accounting the events of %s",
						rs->buf);
					return r;
				}
			}
		}
		c->pos = c->next;
		if (!next_record(c, st) && !c->empty)
			fill(rs, c, st, &err);
	}
	return err < 0 ? err : n;
}

void raw_wait(struct raw_source *rs, int ms)
{
	struct pollfd p[64];
	size_t i, n = rs->ncpus < 64 ? rs->ncpus : 64;

	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = rs->cpus[i].fd, .events = POLLIN };
	poll(p, n, ms);
}

/* ---- the decoders ---- */

static bool num(const struct raw_rec *r, const char *name, uint64_t *v)
{
	const struct rawfmt_field *f = rawfmt_field_memo(r->fmt, name);

	return f && rawfmt_num(f, r->data, r->len, v);
}

static const char *str(const struct raw_rec *r, const char *name, size_t *n)
{
	const struct rawfmt_field *f = rawfmt_field_memo(r->fmt, name);

	return f ? rawfmt_str(f, r->data, r->len, n) : NULL;
}

static bool pid_num(const struct raw_rec *r, const char *name, int *out)
{
	uint64_t v;

	if (!num(r, name, &v) || (int64_t)v < 0 || v > INT32_MAX)
		return false;
	*out = (int)v;
	return true;
}

bool raw_module(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	(void)rs;
	ev->name = str(r, "name", &ev->name_len);
	return ev->name && ev->name_len && ev->name_len <= MODNAME_MAX;
}

/*
 * The initial reference that do_init_module drops after init, or after an init that
 * failed, is the last one a loading module holds: its put leaves refcnt 1, where a get
 * and put inside init leave 2 or more. Its call sites (one on each path), constant for
 * the boot, then tell it apart also for an init that kept a reference of its own. No
 * symbol lookup: reading /proc/kallsyms costs seconds in a slow VM.
 */
bool raw_module_put(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	uint64_t ip, refcnt;
	size_t i;

	if (!raw_module(rs, r, ev))
		return false;
	ev->put_site = PUT_SITE_UNKNOWN;
	if (!num(r, "ip", &ip) || !num(r, "refcnt", &refcnt))
		return true;
	for (i = 0; i < INIT_IPS && rs->init_ips[i] && rs->init_ips[i] != ip; i++)
		;
	if ((int64_t)refcnt <= 1 && i < INIT_IPS)
		rs->init_ips[i] = ip;
	ev->put_site = (int64_t)refcnt <= 1 || (i < INIT_IPS && rs->init_ips[i] == ip)
			       ? PUT_SITE_INIT
			       : PUT_SITE_OTHER;
	return true;
}

bool raw_page(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	uint64_t v, order;

	if (!num(r, "pfn", &v) || !num(r, "order", &order) || order > ORDER_MAX)
		return false;
	/* The kernel records pfn -1 when the allocation found no page. */
	ev->failed = v == rs->no_page;
	if (!ev->failed && v >= PFN_LIMIT)
		return false;
	ev->pfn = ev->failed ? 0 : v;
	ev->order = (unsigned)order;
	ev->unmovable = num(r, "migratetype", &v) && v == 0;
	if (!num(r, "gfp_flags", &ev->gfp))
		ev->gfp = 0;
	return true;
}

bool raw_bulk_enter(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	uint64_t array, first;

	(void)rs;
	if (!num(r, "array", &array) || !num(r, "first", &first))
		return false;
	ev->prefilled = array && first;
	return true;
}

bool raw_bulk_exit(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	uint64_t v;

	(void)rs;
	if (!num(r, "ret", &v) || v >= PFN_LIMIT)
		return false;
	ev->ret = v;
	return true;
}

bool raw_work(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	(void)rs;
	return num(r, "work", &ev->work);
}

bool raw_rename(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	const char *old;
	size_t n;

	(void)rs;
	ev->child = ev->pid;
	if (rawfmt_field_memo(r->fmt, "pid") && !pid_num(r, "pid", &ev->child))
		return false;
	old = str(r, "oldcomm", &n);
	if (!old)
		return false;
	ev->from_kthreadd = n == 8 && !memcmp(old, "kthreadd", 8);
	ev->name = str(r, "newcomm", &ev->name_len);
	return true;
}

bool raw_newtask(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	(void)rs;
	if (!pid_num(r, "pid", &ev->child))
		return false;
	ev->name = str(r, "comm", &ev->name_len);
	return ev->name != NULL;
}

bool raw_waking(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	(void)rs;
	ev->name = str(r, "comm", &ev->name_len);
	return pid_num(r, "pid", &ev->child);
}

bool raw_victim(struct raw_source *rs, const struct raw_rec *r, struct event *ev)
{
	(void)rs;
	return pid_num(r, "pid", &ev->victim);
}
