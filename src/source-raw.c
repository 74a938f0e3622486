// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <event-parse.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tracefs.h>

#include "log.h"
#include "source-raw.h"
#include "tfs.h"

struct raw_source {
	struct tep_handle *tep;
	struct tracefs_instance *inst;
	char path[PATH_MAX]; /* the instance's directory, for messages */
	int load_id, put_id, free_id, alloc_id, pfree_id, victim_id, enter_id, exit_id;
	int queue_id, start_id, end_id, rename_id, newtask_id, waking_id;
	unsigned long long init_lo, init_hi; /* do_init_module's range */
	unsigned long long no_page;	     /* the pfn that means no page: -1 in the field's size */
	/* set for the duration of raw_read() */
	event_fn fn;
	void *ctx;
	struct source_stats *st;
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

/* Decodes one record into an event; false when its fields are unusable. */
static bool decode(struct raw_source *rs, struct tep_event *e, struct tep_record *rec,
		   struct event *ev)
{
	unsigned long long v, order;

	ev->pid = tep_data_pid(rs->tep, rec);
	ev->ts_ns = rec->ts;
	ev->comm = tep_data_comm_from_pid(rs->tep, ev->pid);
	ev->comm_len = strlen(ev->comm);
	if (ev->comm_len > COMM_MAX)
		ev->comm_len = COMM_MAX;
	if (e->id == rs->load_id || e->id == rs->put_id || e->id == rs->free_id) {
		ev->type = e->id == rs->load_id ? EV_MODULE_LOAD :
			   e->id == rs->put_id	? EV_MODULE_PUT :
						  EV_MODULE_FREE;
		ev->name = str_field(e, rec, "name", &ev->name_len);
		if (!ev->name || !ev->name_len || ev->name_len > MODNAME_MAX)
			return false;
		ev->put_site = PUT_SITE_UNKNOWN;
		if (ev->type == EV_MODULE_PUT && num_field(e, rec, "ip", &v))
			ev->put_site = v >= rs->init_lo && v < rs->init_hi ? PUT_SITE_INIT :
									     PUT_SITE_OTHER;
	} else if (e->id == rs->alloc_id || e->id == rs->pfree_id) {
		ev->type = e->id == rs->alloc_id ? EV_PAGE_ALLOC : EV_PAGE_FREE;
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
	} else if (e->id == rs->enter_id) {
		unsigned long long first;

		ev->type = EV_BULK_ENTER;
		if (!num_field(e, rec, "array", &v) || !num_field(e, rec, "first", &first))
			return false;
		ev->prefilled = v && first;
	} else if (e->id == rs->exit_id) {
		ev->type = EV_BULK_EXIT;
		if (!num_field(e, rec, "ret", &v) || v >= PFN_LIMIT)
			return false;
		ev->ret = v;
	} else if (e->id == rs->queue_id || e->id == rs->start_id || e->id == rs->end_id) {
		ev->type = e->id == rs->queue_id ? EV_WORK_QUEUE :
			   e->id == rs->start_id ? EV_WORK_START :
						   EV_WORK_END;
		if (!num_field(e, rec, "work", &v))
			return false;
		ev->work = v;
	} else if (e->id == rs->rename_id) {
		const char *old;
		size_t n;

		ev->type = EV_TASK_RENAME;
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
	} else if (e->id == rs->newtask_id || e->id == rs->waking_id) {
		ev->type = e->id == rs->newtask_id ? EV_TASK_NEW : EV_WAKE;
		if (!num_field(e, rec, "pid", &v) || v > INT32_MAX)
			return false;
		ev->child = (int)v;
		if (ev->type == EV_TASK_NEW) {
			ev->name = str_field(e, rec, "comm", &ev->name_len);
			if (!ev->name)
				return false;
		}
	} else if (e->id == rs->victim_id) {
		ev->type = EV_OOM_VICTIM;
		if (!num_field(e, rec, "pid", &v) || v > INT32_MAX)
			return false;
		ev->victim = (int)v;
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
	static const char *const systems[] = { "module", "kmem", "oom", "workqueue", "task",
					       "sched", BULK_SYSTEM, NULL };
	struct tep_event *alloc;
	struct tep_format_field *pfn;
	struct raw_source *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -EOPNOTSUPP;
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
	rs->load_id = event_id(rs->tep, "module", "module_load");
	rs->put_id = event_id(rs->tep, "module", "module_put");
	rs->free_id = event_id(rs->tep, "module", "module_free");
	rs->alloc_id = event_id(rs->tep, "kmem", "mm_page_alloc");
	rs->pfree_id = event_id(rs->tep, "kmem", "mm_page_free");
	rs->victim_id = event_id(rs->tep, "oom", "mark_victim");
	rs->enter_id = event_id(rs->tep, BULK_SYSTEM, BULK_ENTER);
	rs->queue_id = event_id(rs->tep, "workqueue", "workqueue_queue_work");
	rs->start_id = event_id(rs->tep, "workqueue", "workqueue_execute_start");
	rs->end_id = event_id(rs->tep, "workqueue", "workqueue_execute_end");
	rs->exit_id = event_id(rs->tep, BULK_SYSTEM, BULK_EXIT);
	rs->rename_id = event_id(rs->tep, "task", "task_rename");
	rs->newtask_id = event_id(rs->tep, "task", "task_newtask");
	rs->waking_id = event_id(rs->tep, "sched", "sched_waking");
	find_init_range(rs);
	/*
	 * Without do_init_module's address a module's own module_put inside its init (as
	 * virtio_blk's blkdev_put) would close its window: the kernel names the call site
	 * in the text trace whatever kptr_restrict says.
	 */
	if (!rs->init_lo && rs->put_id >= 0) {
		log_info("do_init_module is not in /proc/kallsyms: reading the text trace");
		goto out_unsupported;
	}
	rs->inst = tracefs_instance_alloc(dir, name);
	if (!rs->inst)
		goto out_unsupported;
	if (tracefs_load_cmdlines(dir, rs->tep) < 0)
		log_warn("cannot read %s/saved_cmdlines: loader names will show as <...>", dir);
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
