// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sink-trace: events as lines of the ftrace text format, for a trace saved by a reader of
 * the raw buffers (watch --save-trace), which `report --input` replays as it replays a
 * trace the kernel printed. A line carries what the accounting reads of its event and no
 * more: the fields a raw record has but memdebug-ko does not use are left out, and what
 * an event lacks is a dash (a woken task's comm, the page's hashed pointer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "io.h"
#include "sink.h"

/* What trace_tee buffers before it writes: room for a line is kept free. */
#define TEE_BUF	 (16 * 1024)
#define TEE_LINE 1024

/* The arguments of @ev after "NAME: "; returns the length, 0 to skip, -1 when too long. */
static int args(const struct event *ev, const char *gfp, char *out, size_t size)
{
	int n = (int)ev->name_len;

	switch (ev->type) {
	case EV_MODULE_LOAD:
	case EV_MODULE_FREE:
		return snprintf(out, size, "%.*s", n, ev->name);
	case EV_MODULE_PUT:
		/* any name but do_init_module's is another call site to the parser */
		if (ev->put_site == PUT_SITE_UNKNOWN)
			return snprintf(out, size, "%.*s", n, ev->name);
		return snprintf(out, size, "%.*s call_site=%s", n, ev->name,
				ev->put_site == PUT_SITE_INIT ? "do_init_module"
							      : "other_call_site");
	case EV_PAGE_ALLOC:
		return snprintf(out, size, "page=%s pfn=0x%llx order=%u%s%s%s",
				ev->failed ? "(null)" : "-", (unsigned long long)ev->pfn,
				ev->order, ev->unmovable ? " migratetype=0" : "",
				gfp ? " gfp_flags=" : "", gfp ? gfp : "");
	case EV_PAGE_FREE:
		return snprintf(out, size, "page=- pfn=0x%llx order=%u",
				(unsigned long long)ev->pfn, ev->order);
	case EV_OOM_VICTIM:
		return snprintf(out, size, "pid=%d", ev->victim);
	case EV_BULK_ENTER:
		return snprintf(out, size, "(-) array=0x%d first=0x%d", ev->prefilled,
				ev->prefilled);
	case EV_BULK_EXIT:
		return snprintf(out, size, "(-) ret=%llu", (unsigned long long)ev->ret);
	case EV_WORK_QUEUE:
		return snprintf(out, size, "work struct=0x%llx",
				(unsigned long long)ev->work);
	case EV_WORK_START:
	case EV_WORK_END:
		return snprintf(out, size, "work struct 0x%llx",
				(unsigned long long)ev->work);
	case EV_TASK_RENAME:
		return snprintf(out, size, "pid=%d oldcomm=%s newcomm=%.*s", ev->child,
				ev->from_kthreadd ? "kthreadd" : "-", ev->name ? n : 1,
				ev->name ? ev->name : "-");
	case EV_TASK_NEW:
		return snprintf(out, size, "pid=%d comm=%.*s clone_flags=-", ev->child, n,
				ev->name);
	case EV_WAKE:
		return snprintf(out, size, "comm=%.*s pid=%d", ev->name ? n : 1,
				ev->name ? ev->name : "-", ev->child);
	default:
		return 0;
	}
}

int sink_trace_line(const struct event *ev, const char *gfp, char *out, size_t size)
{
	const char *name = NULL;
	size_t i;
	int h, a;

	/* a frame of the stack above, as the kernel prints one */
	if (ev->type == EV_STACK_FRAME) {
		h = snprintf(out, size, " => %.*s\n", (int)ev->name_len, ev->name);
		return h < 0 || (size_t)h >= size ? -1 : h;
	}
	for (i = 0; i < catalog_len && !name; i++)
		if (catalog[i].type == ev->type)
			name = catalog[i].name;
	if (ev->type == EV_STACK)
		name = "<stack trace>";
	if (!name)
		return 0;
	/* the flags column says interrupt context alone, as a softirq's "..s.." */
	h = snprintf(out, size, "%16.*s-%-7d [%03u] %s %llu.%09llu: %s%s",
		     (int)ev->comm_len, ev->comm, ev->pid, ev->cpu,
		     ev->irq ? "..s.." : ".....",
		     (unsigned long long)(ev->ts_ns / 1000000000u),
		     (unsigned long long)(ev->ts_ns % 1000000000u), name,
		     ev->type == EV_STACK ? "" : ": ");
	if (h < 0 || (size_t)h >= size)
		return -1;
	if (ev->type == EV_STACK) {
		if ((size_t)h + 1 >= size)
			return -1;
		out[h] = '\n';
		return h + 1;
	}
	a = args(ev, gfp, out + h, size - (size_t)h);
	if (a <= 0)
		return a;
	if ((size_t)(h + a) + 1 >= size)
		return -1;
	out[h + a] = '\n';
	return h + a + 1;
}

int sink_trace_header(int fd)
{
	char line[96];
	int n = snprintf(line, sizeof(line), TRACE_PAGE_SIZE_LINE "%ld\n",
			 sysconf(_SC_PAGESIZE));

	return io_write_all(fd, line, (size_t)n);
}

int trace_tee_init(struct trace_tee *t, int fd)
{
	*t = (struct trace_tee){ .fd = fd };
	t->buf = malloc(TEE_BUF);
	return t->buf ? 0 : -ENOMEM;
}

void trace_tee_flush(struct trace_tee *t)
{
	int r;

	if (!t->used || t->err)
		return;
	r = io_write_all(t->fd, t->buf, t->used);
	if (r < 0)
		t->err = -r;
	t->used = 0;
}

void trace_tee_event(struct trace_tee *t, const struct event *ev, const char *gfp)
{
	int n;

	if (t->err)
		return;
	if (TEE_BUF - t->used < TEE_LINE)
		trace_tee_flush(t);
	n = sink_trace_line(ev, gfp, t->buf + t->used, TEE_BUF - t->used);
	if (n > 0)
		t->used += (size_t)n;
}

void trace_tee_free(struct trace_tee *t)
{
	free(t->buf);
	t->buf = NULL;
}
