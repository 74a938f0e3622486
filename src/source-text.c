// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A trace line looks like one of these (trace and trace_pipe print the same lines):
 *
 *        modprobe-123     [001] .....    12.345678: module_load: virtio_blk
 *   (udev-worker)-287     (    287) [000] d..1.  2.000001: mm_page_alloc: page=... pfn=0x1a2b order=0 ...
 *           <...>-99      [003]   5.5: module_put: ext4 call_site=do_init_module refcnt=1
 *
 * The comm is right-aligned in 16 columns and may itself contain spaces, '-' and '[', so
 * the parser anchors on the "[CPU]" field and checks what stands around it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "log.h"
#include "source-text.h"

#define CHUNK (256 * 1024)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses a decimal number of up to 19 digits in [p, e); returns the end or NULL. */
static const char *parse_dec(const char *p, const char *e, uint64_t *out)
{
	const char *start = p;
	uint64_t v = 0;

	while (p < e && is_digit(*p) && p - start < 19)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p == start || (p < e && is_digit(*p)))
		return NULL;
	*out = v;
	return p;
}

/* Parses up to 16 hex digits in [p, e); returns the end (@p itself when none). */
static const char *parse_hex(const char *p, const char *e, uint64_t *out)
{
	const char *start = p;
	uint64_t v = 0;

	for (; p < e && p - start < 16; p++) {
		char c = *p;

		if (is_digit(c))
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint64_t)(c - 'A' + 10);
		else
			break;
	}
	*out = v;
	return p;
}

/* Parses a 0x-prefixed hex number of up to 16 digits, or a decimal one. */
static const char *parse_num(const char *p, const char *e, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if (e - p < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X'))
		return parse_dec(p, e, out);
	end = parse_hex(p + 2, e, &v);
	if (end == p + 2 || (end < e && !is_space(*end)))
		return NULL;
	*out = v;
	return end;
}

/* Timestamp "SECS[.FRACTION]:" in [p, e) as nanoseconds; returns the ':' or NULL. */
static const char *parse_ts(const char *p, const char *e, uint64_t *ns)
{
	uint64_t sec, frac = 0;
	int digits = 0;

	p = parse_dec(p, e, &sec);
	if (!p)
		return NULL;
	if (p < e && *p == '.') {
		for (p++; p < e && is_digit(*p); p++, digits++)
			if (digits < 9)
				frac = frac * 10 + (uint64_t)(*p - '0');
		if (!digits)
			return NULL;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (p >= e || *p != ':' || sec > UINT64_MAX / 1000000000ull - 1)
		return NULL;
	*ns = sec * 1000000000ull + frac;
	return p;
}

/* Finds "KEY=" as a whole word in [p, e); returns the value's start or NULL. */
static const char *find_field(const char *p, const char *e, const char *key, size_t klen)
{
	while (e - p > (ptrdiff_t)klen) {
		const char *hit = memmem(p, (size_t)(e - p), key, klen);

		if (!hit)
			return NULL;
		if (hit == p || is_space(hit[-1]))
			return hit + klen;
		p = hit + 1;
	}
	return NULL;
}

/* The word at @p up to a space or @e. */
static size_t word_len(const char *p, const char *e)
{
	const char *w = p;

	while (w < e && !is_space(*w))
		w++;
	return (size_t)(w - p);
}

static bool all_zero(const char *p, size_t n)
{
	size_t i;

	if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		n -= 2;
	}
	for (i = 0; i < n; i++)
		if (p[i] != '0')
			return false;
	return n > 0;
}

/* The module name that starts the arguments of module events. */
bool text_module(const char *p, const char *e, struct event *ev)
{
	ev->name = p;
	ev->name_len = word_len(p, e);
	return ev->name_len > 0 && ev->name_len <= MODNAME_MAX;
}

bool text_module_put(const char *p, const char *e, struct event *ev)
{
	const char *site;
	size_t n;

	if (!text_module(p, e, ev))
		return false;
	ev->put_site = PUT_SITE_UNKNOWN;
	site = find_field(p + ev->name_len, e, "call_site=", 10);
	if (!site)
		return true;
	n = word_len(site, e);
	if (n >= 14 && !memcmp(site, "do_init_module", 14) &&
	    (n == 14 || site[14] == '+' || site[14] == '.'))
		ev->put_site = PUT_SITE_INIT;
	else if (n > 1 && site[0] == '0' && (site[1] == 'x' || site[1] == 'X'))
		ev->put_site = PUT_SITE_RAW;
	else if (n && !is_digit(site[0]))
		ev->put_site = PUT_SITE_OTHER;
	return true;
}

/* Whether the page= value of @n bytes at @page is NULL: "(null)" or zeros. */
static bool null_page(const char *page, size_t n)
{
	return (n == 6 && !memcmp(page, "(null)", 6)) || all_zero(page, n);
}

/*
 * The kernel's own layout, "page=P pfn=N order=N ...", read in one pass: most lines of
 * a trace are page events, and the search for each field by name cost half the time.
 * Returns false, having set nothing that counts, when the line is laid out otherwise.
 */
static bool parse_page_fast(const char *p, const char *e, struct event *ev)
{
	const char *v;
	uint64_t order;
	size_t n;

	if (e - p < 5 || memcmp(p, "page=", 5))
		return false;
	n = word_len(p + 5, e);
	v = p + 5 + n;
	if (e - v < 5 || memcmp(v, " pfn=", 5))
		return false;
	v = parse_num(v + 5, e, &ev->pfn);
	if (!v || e - v < 7 || memcmp(v, " order=", 7))
		return false;
	v = parse_dec(v + 7, e, &order);
	if (!v || (v < e && !is_space(*v)) || order > ORDER_MAX || ev->pfn >= PFN_LIMIT)
		return false;
	ev->order = (unsigned)order;
	ev->failed = null_page(p + 5, n);
	ev->unmovable = e - v >= 14 && !memcmp(v, " migratetype=0", 14) &&
			(v + 14 == e || is_space(v[14]));
	return true;
}

/* pfn= and order= of mm_page_alloc/mm_page_free; page=NULL marks a failed allocation. */
bool text_page(const char *p, const char *e, struct event *ev)
{
	const char *v, *page;
	uint64_t order;

	if (parse_page_fast(p, e, ev))
		return true;
	v = find_field(p, e, "pfn=", 4);
	if (!v || !parse_num(v, e, &ev->pfn) || ev->pfn >= PFN_LIMIT)
		return false;
	v = find_field(p, e, "order=", 6);
	if (!v || !(v = parse_dec(v, e, &order)) || (v < e && !is_space(*v)) ||
	    order > ORDER_MAX)
		return false;
	ev->order = (unsigned)order;
	/* The kernel prints pfn=0 and a NULL page ("(null)" or zeros) when it had no page. */
	page = find_field(p, e, "page=", 5);
	if (page)
		ev->failed = null_page(page, word_len(page, e));
	else
		ev->failed = ev->pfn == 0;
	v = find_field(p, e, "migratetype=", 12);
	ev->unmovable = v && v < e && *v == '0' && (v + 1 == e || is_space(v[1]));
	return true;
}

/*
 * task:task_rename: "pid=N oldcomm=OLD newcomm=NEW oom_score_adj=N"; kernels that rename
 * only the current task print no pid=. A comm may hold spaces, so oldcomm ends where
 * " newcomm=" starts.
 */
bool text_rename(const char *p, const char *e, struct event *ev)
{
	const char *v, *old, *end;
	uint64_t pid;

	ev->child = ev->pid;
	if (e - p > 4 && !memcmp(p, "pid=", 4)) {
		if (!(v = parse_dec(p + 4, e, &pid)) || (v < e && !is_space(*v)) ||
		    pid > INT32_MAX)
			return false;
		ev->child = (int)pid;
	}
	old = find_field(p, e, "oldcomm=", 8);
	if (!old)
		return false;
	for (end = old; end + 9 <= e && memcmp(end, " newcomm=", 9); end++)
		;
	if (end + 9 > e)
		return false;
	ev->from_kthreadd = end - old == 8 && !memcmp(old, "kthreadd", 8);
	return true;
}

/* oom:mark_victim: "pid=N", and on newer kernels more fields after it. */
bool text_victim(const char *p, const char *e, struct event *ev)
{
	const char *v = find_field(p, e, "pid=", 4);
	uint64_t pid;

	if (!v || !(v = parse_dec(v, e, &pid)) || (v < e && !is_space(*v)) ||
	    pid > INT32_MAX)
		return false;
	ev->victim = (int)pid;
	return true;
}

/*
 * The kprobe events on the bulk allocator: "bulk_enter: (__alloc_pages_bulk+0x0/0x6b0)
 * array=0xffff... first=0x0", where first is the array's first entry (0 when it starts
 * empty, or when there is no array), and "bulk_exit: (CALLER <- __alloc_pages_bulk)
 * ret=100".
 */
bool text_bulk_enter(const char *p, const char *e, struct event *ev)
{
	const char *v;
	uint64_t array, first;

	v = find_field(p, e, "array=", 6);
	if (!v || !parse_num(v, e, &array))
		return false;
	v = find_field(p, e, "first=", 6);
	if (!v || !parse_num(v, e, &first))
		return false;
	ev->prefilled = array && first;
	return true;
}

bool text_bulk_exit(const char *p, const char *e, struct event *ev)
{
	const char *v = find_field(p, e, "ret=", 4);

	return v && parse_num(v, e, &ev->ret) && ev->ret < PFN_LIMIT;
}

/* A pointer as %p prints it: hex digits without 0x (hashed), or with 0x. */
static const char *parse_ptr(const char *p, const char *e, uint64_t *out)
{
	const char *end;
	uint64_t v;

	/* hashed before the kernel's random pool is ready: no identity (0) */
	if (e - p >= 16 && !memcmp(p, "(____ptrval____)", 16)) {
		*out = 0;
		return p + 16;
	}
	if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	end = parse_hex(p, e, &v);
	if (end == p || (end < e && !is_space(*end) && *end != ':'))
		return NULL;
	*out = v;
	return end;
}

/* workqueue_queue_work: "work struct=PTR function=... workqueue=... req_cpu=N cpu=N". */
bool text_work_queue(const char *p, const char *e, struct event *ev)
{
	const char *v = find_field(p, e, "struct=", 7);

	return v && parse_ptr(v, e, &ev->work);
}

/* workqueue_execute_start and _end: "work struct PTR: function ...", or "work struct PTR". */
bool text_work_run(const char *p, const char *e, struct event *ev)
{
	if (e - p < 12 || memcmp(p, "work struct ", 12))
		return false;
	return parse_ptr(p + 12, e, &ev->work) != NULL;
}

/* A pid= field that ends at a space or the line's end. */
static bool parse_pid_at(const char *v, const char *e, int *out)
{
	uint64_t pid;

	if (!(v = parse_dec(v, e, &pid)) || (v < e && !is_space(*v)) || pid > INT32_MAX)
		return false;
	*out = (int)pid;
	return true;
}

/* task:task_newtask: "pid=N comm=NAME clone_flags=X oom_score_adj=N". */
bool text_newtask(const char *p, const char *e, struct event *ev)
{
	const char *end;

	if (e - p < 4 || memcmp(p, "pid=", 4) || !parse_pid_at(p + 4, e, &ev->child))
		return false;
	ev->name = find_field(p, e, "comm=", 5);
	if (!ev->name)
		return false;
	for (end = ev->name; end + 13 <= e && memcmp(end, " clone_flags=", 13); end++)
		;
	if (end + 13 > e)
		return false;
	ev->name_len = (size_t)(end - ev->name);
	return true;
}

/* sched:sched_waking: "comm=NAME pid=N prio=N target_cpu=N"; a comm may hold spaces. */
bool text_waking(const char *p, const char *e, struct event *ev)
{
	const char *v;

	if (e - p < 5 || memcmp(p, "comm=", 5))
		return false;
	for (v = p + 5; v + 5 <= e && memcmp(v, " pid=", 5); v++)
		;
	ev->name = p + 5;
	ev->name_len = (size_t)(v - ev->name);
	return v + 5 <= e && parse_pid_at(v + 5, e, &ev->child);
}

/* The event name and arguments after "TIMESTAMP: ". */
static bool parse_event(const char *p, const char *e, struct event *ev)
{
	const char *colon = memchr(p, ':', (size_t)(e - p));
	const struct cat_event *c;

	if (e - p == 13 && !memcmp(p, "<stack trace>", 13)) {
		ev->type = EV_STACK;
		return true;
	}

	if (!colon || colon == p || (colon + 1 < e && colon[1] != ' '))
		return false;
	c = catalog_find(p, (size_t)(colon - p));
	if (!c) {
		ev->type = EV_OTHER;
		return true;
	}
	for (p = colon + 1; p < e && is_space(*p); p++)
		;
	ev->type = c->type;
	return c->text(p, e, ev);
}

/*
 * Checks that the '[' at @br opens the CPU field of a line starting at @s: before it,
 * "COMM-PID" and an optional "(TGID)"; after it, "CPU]", optional irq flags and the
 * timestamp. On success fills comm, pid, ts and irq and returns where the event name
 * starts. The flags' third character says the context: h, H (hard in soft), s, z, Z
 * (NMI) an interrupt; '.' or 'b' (bottom halves off) the task.
 */
static const char *parse_prefix(const char *s, const char *br, const char *e,
				struct event *ev)
{
	const char *p = br - 1, *q, *tok, *colon;
	uint64_t pid, cpu;
	int tokens;

	if (p < s || !is_space(*p))
		return NULL;
	while (p > s && is_space(*p))
		p--;
	if (*p == ')') { /* tgid column: "(  123)" or "(-------)" */
		while (p > s && *p != '(')
			p--;
		if (*p != '(' || p == s)
			return NULL;
		p--;
		if (!is_space(*p))
			return NULL;
		while (p > s && is_space(*p))
			p--;
	}
	for (q = p; q > s && is_digit(*q); q--)
		;
	if (q == p || *q != '-' || !parse_dec(q + 1, p + 1, &pid) || pid > INT32_MAX)
		return NULL;
	ev->comm = s;
	ev->comm_len = (size_t)(q - s);
	ev->pid = (int)pid;

	p = parse_dec(br + 1, e, &cpu);
	if (!p || p >= e || *p != ']')
		return NULL;
	p++;
	/* Up to two tokens: the irq-info flags (optional), then "TIMESTAMP:". */
	for (tokens = 0; tokens < 2; tokens++) {
		if (p >= e || !is_space(*p))
			return NULL;
		while (p < e && is_space(*p))
			p++;
		tok = p;
		while (p < e && !is_space(*p))
			p++;
		if (p > tok && p[-1] == ':') {
			colon = parse_ts(tok, p, &ev->ts_ns);
			if (colon == p - 1)
				break;
			return NULL;
		}
		if (p - tok > 8)
			return NULL;
		ev->irq = p - tok >= 3 && strchr("hHszZ", tok[2]);
	}
	if (tokens == 2 || p >= e || !is_space(*p))
		return NULL;
	while (p < e && is_space(*p))
		p++;
	return p;
}

/* "CPU:N [LOST M EVENTS]" and the trace header's "entries-in-buffer/entries-written". */
static bool parse_lost(const char *s, const char *e, uint64_t *lost)
{
	const char *p;
	uint64_t in, written;

	p = memmem(s, (size_t)(e - s), "[LOST ", 6);
	if (p && e - s >= 4 && !memcmp(s, "CPU:", 4))
		return parse_dec(p + 6, e, lost) != NULL;
	p = memmem(s, (size_t)(e - s), "entries-in-buffer/entries-written:", 34);
	if (!p)
		return false;
	for (p += 34; p < e && is_space(*p); p++)
		;
	p = parse_dec(p, e, &in);
	if (!p || p >= e || *p != '/' || !parse_dec(p + 1, e, &written))
		return false;
	*lost = written > in ? written - in : 0;
	return true;
}

/* A trace memdebug-ko saved starts with its machine's page size (sink_trace_header). */
static bool parse_page_size(const char *s, const char *e, uint64_t *page_size)
{
	const size_t n = sizeof(TRACE_PAGE_SIZE_LINE) - 1;

	return (size_t)(e - s) > n && !memcmp(s, TRACE_PAGE_SIZE_LINE, n) &&
	       parse_dec(s + n, e, page_size) && source_page_size_ok(*page_size);
}

enum line_kind text_parse_line(const char *s, size_t len, struct event *ev, uint64_t *num)
{
	const char *e = s + len, *br, *p;

	while (e > s && (e[-1] == '\r' || is_space(e[-1])))
		e--;
	while (s < e && is_space(*s))
		s++;
	if (s == e)
		return LINE_IGNORED;
	if (*s == '#' && parse_page_size(s, e, num))
		return LINE_PAGE_SIZE;
	if (*s == '#')
		return parse_lost(s, e, num) ? LINE_LOST : LINE_IGNORED;
	if (e - s >= 4 && !memcmp(s, "CPU:", 4))
		return parse_lost(s, e, num) ? LINE_LOST : LINE_MALFORMED;
	*ev = (struct event){ 0 };
	/* a frame of the stack above: " => function+0x1a/0x80 [module]" */
	if (e - s > 3 && !memcmp(s, "=> ", 3)) {
		ev->type = EV_STACK_FRAME;
		ev->name = s + 3;
		ev->name_len = (size_t)(e - s - 3);
		return LINE_FRAME;
	}
	for (br = memchr(s, '[', (size_t)(e - s)); br;
	     br = memchr(br + 1, '[', (size_t)(e - br - 1))) {
		p = parse_prefix(s, br, e, ev);
		if (p)
			return parse_event(p, e, ev) ? LINE_EVENT : LINE_MALFORMED;
	}
	return LINE_MALFORMED;
}

/* Hands one line to the parser, and its event to @fn. */
static int feed(const char *s, size_t len, event_fn fn, void *ctx,
		struct source_stats *st)
{
	struct event ev;
	uint64_t num = 0;

	switch (text_parse_line(s, len, &ev, &num)) {
	case LINE_EVENT:
		st->events++;
		return fn(ctx, &ev);
	case LINE_FRAME:
		return fn(ctx, &ev);
	case LINE_LOST:
		st->lost += num;
		return 0;
	case LINE_PAGE_SIZE:
		st->page_size = (unsigned)num;
		return 0;
	case LINE_MALFORMED:
		st->malformed++;
		return 0;
	case LINE_IGNORED:
		break;
	}
	return 0;
}

int text_stream_init(struct text_stream *ts, size_t size, event_fn fn, void *ctx,
		     struct source_stats *st)
{
	*ts = (struct text_stream){
		.size = size, .fn = fn, .ctx = ctx, .st = st, .tee_fd = -1
	};
	ts->buf = malloc(size);
	return ts->buf ? 0 : -ENOMEM;
}

void text_stream_free(struct text_stream *ts)
{
	free(ts->buf);
	ts->buf = NULL;
}

ssize_t text_stream_read(struct text_stream *ts, int fd)
{
	ssize_t r;
	char *p, *nl, *end;

	do
		r = read(fd, ts->buf + ts->have, ts->size - ts->have);
	while (r < 0 && errno == EINTR && !ts->stop_on_eintr);
	if (r <= 0)
		return r < 0 ? -errno : 0;
	if (ts->tee_fd >= 0 && write(ts->tee_fd, ts->buf + ts->have, (size_t)r) != r)
		ts->tee_err = errno ? errno : EIO;
	ts->have += (size_t)r;
	end = ts->buf + ts->have;
	for (p = ts->buf; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		if (ts->skipping) {
			ts->skipping = false;
			continue;
		}
		ts->fn_err = feed(p, (size_t)(nl - p), ts->fn, ts->ctx, ts->st);
		if (ts->fn_err < 0)
			return ts->fn_err;
	}
	ts->have = (size_t)(end - p);
	if (ts->have == ts->size) { /* no newline in a whole buffer: not a trace line */
		if (!ts->skipping)
			ts->st->malformed++;
		ts->skipping = true;
		ts->have = 0;
	} else {
		memmove(ts->buf, p, ts->have);
	}
	return r;
}

int text_stream_end(struct text_stream *ts)
{
	int r = 0;

	/* A last line without newline: a truncated trace still counts. */
	if (ts->have && !ts->skipping)
		r = ts->fn_err = feed(ts->buf, ts->have, ts->fn, ts->ctx, ts->st);
	ts->have = 0;
	return r;
}

int text_read(int fd, const char *what, event_fn fn, void *ctx, struct source_stats *st)
{
	struct text_stream ts;
	ssize_t r;
	int ret;

	if (text_stream_init(&ts, CHUNK, fn, ctx, st) < 0) {
		log_err("out of memory reading %s", what);
		return -ENOMEM;
	}
	while ((r = text_stream_read(&ts, fd)) > 0)
		;
	ret = r < 0 ? (int)r : text_stream_end(&ts);
	if (ret < 0 && ts.fn_err < 0)
		log_err("out of memory reading %s", what);
	else if (ret < 0)
		log_err("cannot read %s: %s", what, strerror(-ret));
	text_stream_free(&ts);
	return ret;
}
