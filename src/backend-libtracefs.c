// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libtracefs backend: instance control through libtracefs, and the events read from
 * the raw per-cpu buffers (trace_pipe_raw) and decoded by libtraceevent, merged in
 * timestamp order. The raw read consumes the buffer, so --keep, the top-level buffer of
 * boot parameters and test trees (which have no ring buffer behind their files) read the
 * text trace file instead.
 */
#include <errno.h>
#include <event-parse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tracefs.h>

#include "backend.h"
#include "log.h"

const char be_name[] = "libtracefs";

static struct tracefs_instance *instance;

/* The instance handle for @t, allocated once. */
static struct tracefs_instance *inst(struct tfs *t)
{
	if (!instance)
		instance = tracefs_instance_alloc(t->dir, INSTANCE_NAME);
	return instance;
}

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

int be_instance_create(struct tfs *t, bool *existed)
{
	struct tracefs_instance *i;
	struct stat st;

	errno = 0;
	if (tracefs_set_tracing_dir(t->dir) < 0)
		return neg_errno();
	/* tracefs_instance_exists() ignores tracefs_set_tracing_dir() in libtracefs 1.6. */
	*existed = stat(t->inst, &st) == 0;
	errno = 0;
	i = tracefs_instance_create(INSTANCE_NAME);
	if (!i)
		return neg_errno();
	tracefs_instance_free(instance);
	instance = i;
	return 0;
}

int be_instance_destroy(struct tfs *t)
{
	int r;

	if (!inst(t))
		return -ENOMEM;
	errno = 0;
	r = tracefs_instance_destroy(instance) < 0 ? neg_errno() : 0;
	tracefs_instance_free(instance);
	instance = NULL;
	return r;
}

int be_write(struct tfs *t, const char *file, const char *val)
{
	char p[PATH_MAX];

	/* The handle is the instance's: the top level's files are written directly. */
	if (t->top)
		return tfs_write(tfs_path(p, t->inst, "%s", file), val);
	if (!inst(t))
		return -ENOMEM;
	errno = 0;
	return tracefs_instance_file_write(instance, file, val) < 0 ? neg_errno() : 0;
}

int be_event_enable(struct tfs *t, const char *sys, const char *event)
{
	if (!inst(t))
		return -ENOMEM;
	errno = 0;
	if (tracefs_event_enable(instance, sys, event) < 0)
		return errno ? -errno : -ENOENT;
	return 0;
}

int be_event_filter(struct tfs *t, const char *sys, const char *event, const char *filter)
{
	if (!inst(t))
		return -ENOMEM;
	errno = 0;
	if (tracefs_event_file_write(instance, sys, event, "filter", filter) < 0)
		return neg_errno();
	return 0;
}

struct raw_ctx {
	struct tep_handle *tep;
	struct acct *acct;
	int load_id, put_id, free_id, alloc_id, pfree_id;
	unsigned long long init_lo, init_hi; /* do_init_module's range, 0 when unknown */
	unsigned long long no_page;	     /* the pfn that means no page: -1 in the field's size */
	int err;
};

/* A __string field of @rec, or NULL. */
static const char *str_field(struct tep_event *e, struct tep_record *rec, const char *name,
			     size_t *len)
{
	int n = 0;
	const char *s = tep_get_field_raw(NULL, e, name, rec, &n, 0);

	if (!s || n <= 0)
		return NULL;
	*len = strnlen(s, (size_t)n);
	return s;
}

static bool num_field(struct tep_event *e, struct tep_record *rec, const char *name,
		      unsigned long long *v)
{
	return tep_get_field_val(NULL, e, name, rec, v, 0) == 0;
}

static int on_record(struct tep_event *e, struct tep_record *rec, int cpu, void *data)
{
	struct raw_ctx *c = data;
	struct event ev = { .type = EV_OTHER };
	unsigned long long v, order;

	(void)cpu;
	ev.pid = tep_data_pid(c->tep, rec);
	ev.ts_ns = rec->ts;
	ev.comm = tep_data_comm_from_pid(c->tep, ev.pid);
	ev.comm_len = strlen(ev.comm);
	if (ev.comm_len > COMM_MAX)
		ev.comm_len = COMM_MAX;
	if (e->id == c->load_id || e->id == c->put_id || e->id == c->free_id) {
		ev.type = e->id == c->load_id ? EV_MODULE_LOAD :
			  e->id == c->put_id  ? EV_MODULE_PUT :
						EV_MODULE_FREE;
		ev.name = str_field(e, rec, "name", &ev.name_len);
		if (!ev.name || !ev.name_len || ev.name_len > MODNAME_MAX)
			goto malformed;
		ev.put_site = PUT_SITE_UNKNOWN;
		if (ev.type == EV_MODULE_PUT && c->init_lo && num_field(e, rec, "ip", &v))
			ev.put_site = v >= c->init_lo && v < c->init_hi ? PUT_SITE_INIT :
									  PUT_SITE_OTHER;
	} else if (e->id == c->alloc_id || e->id == c->pfree_id) {
		ev.type = e->id == c->alloc_id ? EV_PAGE_ALLOC : EV_PAGE_FREE;
		if (!num_field(e, rec, "pfn", &v) || !num_field(e, rec, "order", &order) ||
		    order > ORDER_MAX)
			goto malformed;
		/* The kernel records pfn -1 when the allocation found no page. */
		ev.failed = v == c->no_page;
		if (!ev.failed && v >= PFN_LIMIT)
			goto malformed;
		ev.pfn = ev.failed ? 0 : v;
		ev.order = (unsigned)order;
	}
	c->err = acct_event(c->acct, &ev);
	return c->err ? 1 : 0;
malformed:
	c->acct->malformed++;
	return 0;
}

static int event_id(struct tep_handle *tep, const char *sys, const char *name)
{
	struct tep_event *e = tep_find_event_by_name(tep, sys, name);

	return e ? e->id : -1;
}

/* do_init_module's address range from kallsyms: its start and the next symbol's. */
static void find_init_range(struct raw_ctx *c)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], sym[256], type;
	unsigned long long addr;
	bool next = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3)
			continue;
		if (next) {
			if (addr > c->init_lo)
				c->init_hi = addr;
			break;
		}
		if (!strcmp(sym, "do_init_module") && addr) {
			c->init_lo = addr;
			next = true;
		}
	}
	fclose(f);
	if (!c->init_hi)
		c->init_lo = 0;
}

int be_read_events(struct tfs *t, struct acct *a, bool keep)
{
	static const char *const systems[] = { "module", "kmem", NULL };
	struct raw_ctx c = { .acct = a };
	struct tep_event *alloc;
	struct tep_format_field *pfn;
	int ret = 0;

	/* The top-level buffer is other users' too: never consume it. */
	if (keep || t->top || !tfs_is_kernel_fs(t->inst) || !inst(t))
		return be_read_text_trace(t, a);
	c.tep = tracefs_local_events_system(t->dir, systems);
	if (!c.tep) {
		log_warn("libtraceevent cannot load the event formats of %s; reading the text trace",
			 t->dir);
		return be_read_text_trace(t, a);
	}
	alloc = tep_find_event_by_name(c.tep, "kmem", "mm_page_alloc");
	/* Old kernels record a struct page pointer, not the pfn: let the kernel format it. */
	pfn = alloc ? tep_find_field(alloc, "pfn") : NULL;
	if (alloc && !pfn) {
		tep_free(c.tep);
		return be_read_text_trace(t, a);
	}
	c.no_page = pfn && pfn->size == 4 ? 0xffffffffull : ~0ull;
	if (tracefs_load_cmdlines(t->dir, c.tep) < 0)
		log_warn("cannot read %s/saved_cmdlines: loader names will show as <...>",
			 t->dir);
	c.load_id = event_id(c.tep, "module", "module_load");
	c.put_id = event_id(c.tep, "module", "module_put");
	c.free_id = event_id(c.tep, "module", "module_free");
	c.alloc_id = event_id(c.tep, "kmem", "mm_page_alloc");
	c.pfree_id = event_id(c.tep, "kmem", "mm_page_free");
	find_init_range(&c);
	/*
	 * Without do_init_module's address a module's own module_put inside its init (as
	 * virtio_blk's blkdev_put) would close its window: the kernel names the call site
	 * in the text trace whatever kptr_restrict says.
	 */
	if (!c.init_lo && c.put_id >= 0) {
		log_info("do_init_module is not in /proc/kallsyms: reading the text trace");
		tep_free(c.tep);
		return be_read_text_trace(t, a);
	}
	if (tracefs_iterate_raw_events(c.tep, instance, NULL, 0, on_record, &c) < 0) {
		log_err("cannot read the ring buffer of %s", t->inst);
		ret = -EIO;
	} else if (c.err) {
		log_err("out of memory while accounting the events of %s", t->inst);
		ret = c.err;
	}
	tep_free(c.tep);
	return ret;
}
