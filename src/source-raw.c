// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <event-parse.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tracefs.h>

#include "catalog.h"
#include "log.h"
#include "source-raw.h"

struct raw_source {
	struct tep_handle *tep;
	struct tracefs_instance *inst;
	char path[PATH_MAX]; /* the instance's directory, for messages */
	/* of each catalog entry, -1 when the kernel has no such event */
	int ids[CATALOG_MAX];
	unsigned long long init_lo, init_hi; /* do_init_module's range */
	/* the pfn that means no page: -1 in the field's size */
	unsigned long long no_page;
	/* set for the duration of raw_read() */
	event_fn fn;
	void *ctx;
	struct source_stats *st;
	int err;
};

/* A __string field of @rec, or NULL. */
static const char *str_field(struct tep_event *e, struct tep_record *rec,
			     const char *name, size_t *len)
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

/* A pid field into *@out. */
static bool pid_field(struct tep_event *e, struct tep_record *rec, const char *name,
		      int *out)
{
	unsigned long long v;

	if (!num_field(e, rec, name, &v) || v > INT32_MAX)
		return false;
	*out = (int)v;
	return true;
}

bool raw_module(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev)
{
	unsigned long long ip;

	ev->name = str_field(e, rec, "name", &ev->name_len);
	if (!ev->name || !ev->name_len || ev->name_len > MODNAME_MAX)
		return false;
	ev->put_site = PUT_SITE_UNKNOWN;
	if (ev->type == EV_MODULE_PUT && num_field(e, rec, "ip", &ip))
		ev->put_site = ip >= rs->init_lo && ip < rs->init_hi ? PUT_SITE_INIT
								     : PUT_SITE_OTHER;
	return true;
}

bool raw_page(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
	      struct event *ev)
{
	unsigned long long v, order;

	if (!num_field(e, rec, "pfn", &v) || !num_field(e, rec, "order", &order) ||
	    order > ORDER_MAX)
		return false;
	/* The kernel records pfn -1 when the allocation found no page. */
	ev->failed = v == rs->no_page;
	if (!ev->failed && v >= PFN_LIMIT)
		return false;
	ev->pfn = ev->failed ? 0 : v;
	ev->order = (unsigned)order;
	ev->unmovable = num_field(e, rec, "migratetype", &v) && v == 0;
	return true;
}

bool raw_bulk_enter(const struct raw_source *rs, struct tep_event *e,
		    struct tep_record *rec, struct event *ev)
{
	unsigned long long array, first;

	(void)rs;
	if (!num_field(e, rec, "array", &array) || !num_field(e, rec, "first", &first))
		return false;
	ev->prefilled = array && first;
	return true;
}

bool raw_bulk_exit(const struct raw_source *rs, struct tep_event *e,
		   struct tep_record *rec, struct event *ev)
{
	unsigned long long v;

	(void)rs;
	if (!num_field(e, rec, "ret", &v) || v >= PFN_LIMIT)
		return false;
	ev->ret = v;
	return true;
}

bool raw_work(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
	      struct event *ev)
{
	unsigned long long v;

	(void)rs;
	if (!num_field(e, rec, "work", &v))
		return false;
	ev->work = v;
	return true;
}

bool raw_rename(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev)
{
	unsigned long long v;
	const char *old;
	size_t n;

	(void)rs;
	ev->child = ev->pid;
	if (num_field(e, rec, "pid", &v)) {
		if (v > INT32_MAX)
			return false;
		ev->child = (int)v;
	}
	old = str_field(e, rec, "oldcomm", &n);
	if (!old)
		return false;
	ev->from_kthreadd = n == 8 && !memcmp(old, "kthreadd", 8);
	return true;
}

bool raw_newtask(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		 struct event *ev)
{
	(void)rs;
	if (!pid_field(e, rec, "pid", &ev->child))
		return false;
	ev->name = str_field(e, rec, "comm", &ev->name_len);
	return ev->name != NULL;
}

bool raw_waking(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev)
{
	(void)rs;
	return pid_field(e, rec, "pid", &ev->child);
}

bool raw_victim(const struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		struct event *ev)
{
	(void)rs;
	return pid_field(e, rec, "pid", &ev->victim);
}

/* Decodes one record into an event; false when its fields are unusable. */
static bool decode(struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		   struct event *ev)
{
	size_t i;

	ev->pid = tep_data_pid(rs->tep, rec);
	ev->ts_ns = rec->ts;
	ev->comm = tep_data_comm_from_pid(rs->tep, ev->pid);
	ev->comm_len = strlen(ev->comm);
	if (ev->comm_len > COMM_MAX)
		ev->comm_len = COMM_MAX;
	for (i = 0; i < catalog_len; i++) {
		if (rs->ids[i] == e->id) {
			ev->type = catalog[i].type;
			return catalog[i].raw(rs, e, rec, ev);
		}
	}
	return true;
}

static int on_record(struct tep_event *e, struct tep_record *rec, int cpu, void *data)
{
	struct raw_source *rs = data;
	struct event ev = { .type = EV_OTHER };

	(void)cpu;
	if (!decode(rs, e, rec, &ev)) {
		rs->st->malformed++;
		return 0;
	}
	rs->st->events++;
	rs->err = rs->fn(rs->ctx, &ev);
	return rs->err ? 1 : 0;
}

static int event_id(struct tep_handle *tep, const char *sys, const char *name)
{
	struct tep_event *e = tep_find_event_by_name(tep, sys, name);

	return e ? e->id : -1;
}

/* do_init_module's address range from kallsyms: its start and the next symbol's. */
static void find_init_range(struct raw_source *rs)
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
			if (addr > rs->init_lo)
				rs->init_hi = addr;
			break;
		}
		if (!strcmp(sym, "do_init_module") && addr) {
			rs->init_lo = addr;
			next = true;
		}
	}
	fclose(f);
	if (!rs->init_hi)
		rs->init_lo = 0;
}

int raw_open(struct raw_source **out, const char *dir, const char *name)
{
	const char *systems[CATALOG_SYSTEMS_MAX];
	struct tep_event *alloc;
	struct tep_format_field *pfn;
	struct raw_source *rs = calloc(1, sizeof(*rs));
	size_t i;

	if (!rs)
		return -EOPNOTSUPP;
	catalog_system_list(systems, CATALOG_SYSTEMS_MAX);
	snprintf(rs->path, sizeof(rs->path), "%s/instances/%s", dir, name);
	rs->tep = tracefs_local_events_system(dir, systems);
	if (!rs->tep) {
		log_warn("libtraceevent cannot load the event formats of %s; reading the text trace",
			 dir);
		goto out_unsupported;
	}
	alloc = tep_find_event_by_name(rs->tep, "kmem", "mm_page_alloc");
	/* Old kernels record a struct page pointer, not the pfn: let the kernel format it. */
	pfn = alloc ? tep_find_field(alloc, "pfn") : NULL;
	if (alloc && !pfn)
		goto out_unsupported;
	rs->no_page = pfn && pfn->size == 4 ? 0xffffffffull : ~0ull;
	for (i = 0; i < catalog_len; i++)
		rs->ids[i] = event_id(rs->tep, catalog[i].system, catalog[i].name);
	find_init_range(rs);
	/*
	 * Without do_init_module's address a module's own module_put inside its init (as
	 * virtio_blk's blkdev_put) would close its window: the kernel names the call site
	 * in the text trace whatever kptr_restrict says.
	 */
	if (!rs->init_lo && event_id(rs->tep, "module", "module_put") >= 0) {
		log_info(
			"do_init_module is not in /proc/kallsyms: reading the text trace");
		goto out_unsupported;
	}
	rs->inst = tracefs_instance_alloc(dir, name);
	if (!rs->inst)
		goto out_unsupported;
	if (tracefs_load_cmdlines(dir, rs->tep) < 0)
		log_warn("cannot read %s/saved_cmdlines: loader names will show as <...>",
			 dir);
	*out = rs;
	return 0;
out_unsupported:
	raw_close(rs);
	return -EOPNOTSUPP;
}

int raw_read(struct raw_source *rs, event_fn fn, void *ctx, struct source_stats *st)
{
	rs->fn = fn;
	rs->ctx = ctx;
	rs->st = st;
	rs->err = 0;
	if (tracefs_iterate_raw_events(rs->tep, rs->inst, NULL, 0, on_record, rs) < 0) {
		log_err("cannot read the ring buffer of %s", rs->path);
		return -EIO;
	}
	if (rs->err) {
		log_err("out of memory while accounting the events of %s", rs->path);
		return rs->err;
	}
	return 0;
}

void raw_close(struct raw_source *rs)
{
	if (!rs)
		return;
	tep_free(rs->tep);
	tracefs_instance_free(rs->inst);
	free(rs);
}
