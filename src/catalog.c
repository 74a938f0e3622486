// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "log.h"
#include "mdko-config.h"
#include "source-raw.h"
#include "source-text.h"

/*
 * sched_waking of every task but the busiest kernel threads, which no load starts (a
 * boot's few thousand wakeups, most of them RCU's and the workqueues'), and the
 * housekeeping threads that a new thread may wake before its creator: PREEMPT_RT's
 * timer softirq threads (ktimers/N: 6.12-rt's mdko_gt_kthread woke ktimers/0 first, and
 * the report took it for the creator), and the reclaim threads, which a thread that
 * allocates wakes when memory runs low, as in a capture kernel.
 */
#define WAKE_FILTER                                                                      \
	"!(comm ~ \"rcu*\") && !(comm ~ \"kworker/*\") && !(comm ~ \"ksoftirqd/*\") && " \
	"!(comm ~ \"swapper/*\") && !(comm ~ \"migration/*\") && "                       \
	"!(comm ~ \"ktimers/*\") && !(comm ~ \"kswapd*\") && !(comm ~ \"kcompactd*\")"

bool catalog_wake_dropped(const char *comm, size_t len)
{
	/* WAKE_FILTER's patterns, for traces recorded without it (trace_event=) */
	static const struct {
		const char *prefix;
		size_t len;
	} drop[] = { { "rcu", 3 },	{ "kworker/", 8 },    { "ksoftirqd/", 10 },
		     { "swapper/", 8 }, { "migration/", 10 }, { "ktimers/", 8 },
		     { "kswapd", 6 },	{ "kcompactd", 9 } };
	size_t i;

	for (i = 0; comm && i < sizeof(drop) / sizeof(drop[0]); i++)
		if (len >= drop[i].len && !memcmp(comm, drop[i].prefix, drop[i].len))
			return true;
	return false;
}

/*
 * The bulk page allocator (alloc_pages_bulk, vmalloc's), which fires no mm_page_alloc
 * but for a single page it hands to the normal allocator: __alloc_pages_bulk(gfp, nid,
 * nodemask, nr_pages, page_list, page_array) until 6.10 renamed it
 * alloc_pages_bulk_noprof, and 6.14 dropped page_list (kernel commit c8b979530f27), so
 * that the array went from the 6th argument to the 5th. By its BTF name wherever the
 * kernel has CONFIG_PROBE_EVENTS_BTF_ARGS (6.6 and later), by position elsewhere.
 */
static const struct cat_probe bulk_allocator = {
	.what = "the bulk page allocator",
	.sites = {
		{ "alloc_pages_bulk_noprof", "page_array", true, NULL, NULL },
		{ "alloc_pages_bulk_noprof", "$arg5", false, "6.14", NULL },
		{ "alloc_pages_bulk_noprof", "$arg6", false, "6.10", "6.14" },
		{ "__alloc_pages_bulk", "page_array", true, NULL, NULL },
		{ "__alloc_pages_bulk", "$arg6", false, NULL, "6.10" },
	},
};

const struct cat_group_info catalog_groups[CAT_GROUP_COUNT] = {
	[CAT_GROUP_LOAD] = { .level = LOG_LVL_ERR,
			     .without =
				     "no module load can be traced (a kernel without CONFIG_MODULES or tracepoints?)" },
	[CAT_GROUP_PUT] = { .level = LOG_LVL_WARN,
			    .without =
				    "load windows will close at the loader's next load (a kernel without CONFIG_MODULE_UNLOAD?)" },
	/* module_free tells failed inits apart; kernels have had it as long as module_load */
	[CAT_GROUP_FREE] = { .level = LOG_LVL_INFO, .without = NULL },
	[CAT_GROUP_OOM] = { .level = LOG_LVL_INFO,
			    .without =
				    "OOM kills will not be reported (a kernel before 4.13?)" },
	[CAT_GROUP_ALLOC] = { .level = LOG_LVL_WARN,
			      .without = "pages cannot be measured" },
	[CAT_GROUP_PFREE] = { .level = LOG_LVL_WARN,
			      .without = "pages cannot be measured" },
	[CAT_GROUP_BULK] = { .level = LOG_LVL_WARN,
			     .without = "pages of vmalloc will not be counted",
			     .enabled =
				     "counting the bulk allocator's pages (vmalloc) with kprobes on" },
	[CAT_GROUP_WORK] = { .level = LOG_LVL_WARN,
			     .without =
				     "pages of the work that loads queue will not be counted" },
	[CAT_GROUP_THREADS] = { .level = LOG_LVL_WARN,
				.without =
					"pages of kernel threads that loads start will not be counted" },
};

/* In the order prepare enables them. */
const struct cat_event catalog[] = {
	{ "module", "module_load", EV_MODULE_LOAD, CAT_GROUP_LOAD, .text = text_module,
	  .raw = raw_module },
	{ "module", "module_put", EV_MODULE_PUT, CAT_GROUP_PUT, .text = text_module_put,
	  .raw = raw_module_put },
	{ "module", "module_free", EV_MODULE_FREE, CAT_GROUP_FREE, .text = text_module,
	  .raw = raw_module },
	/* the OOM killer's choices: rare, and what a report of an OOM death must show */
	{ "oom", "mark_victim", EV_OOM_VICTIM, CAT_GROUP_OOM, .text = text_victim,
	  .raw = raw_victim },
	{ "kmem", "mm_page_alloc", EV_PAGE_ALLOC, CAT_GROUP_ALLOC,
	  .filter = CAT_FILTER_ALLOCS, .stacks = true, .text = text_page,
	  .raw = raw_page },
	{ "kmem", "mm_page_free", EV_PAGE_FREE, CAT_GROUP_PFREE,
	  .filter = CAT_FILTER_LOADERS, .text = text_page, .raw = raw_page },
	/*
	 * Every task's: bulk calls are few, and work and threads of loads make them too.
	 * The page array, whose first entry tells whether it came with pages already.
	 */
	{ PROBE_SYSTEM, "bulk_enter", EV_BULK_ENTER, CAT_GROUP_BULK,
	  .probe = &bulk_allocator, .fetch = "array=%A:x64 first=+0(%A):x64",
	  .text = text_bulk_enter, .raw = raw_bulk_enter },
	{ PROBE_SYSTEM, "bulk_exit", EV_BULK_EXIT, CAT_GROUP_BULK, .stacks = true,
	  .probe = &bulk_allocator, .ret = true, .fetch = "ret=$retval:u64",
	  .text = text_bulk_exit, .raw = raw_bulk_exit },
	/* the work a load queues (async_schedule's too) and its run in a kworker */
	{ "workqueue", "workqueue_queue_work", EV_WORK_QUEUE, CAT_GROUP_WORK,
	  .filter = CAT_FILTER_LOADERS, .text = text_work_queue, .raw = raw_work },
	{ "workqueue", "workqueue_execute_start", EV_WORK_START, CAT_GROUP_WORK,
	  .filter = CAT_FILTER_LOADERS, .text = text_work_run, .raw = raw_work },
	{ "workqueue", "workqueue_execute_end", EV_WORK_END, CAT_GROUP_WORK,
	  .filter = CAT_FILTER_LOADERS, .text = text_work_run, .raw = raw_work },
	/*
	 * Kernel threads that loads start, and who started them. Up to Linux 6.1
	 * kthread_create renames the thread kthreadd forked, from its caller. From 6.2
	 * kthreadd forks it under its name, and the first wakeup between the thread and
	 * another task (it wakes its caller, or its caller wakes it) names the caller.
	 */
	{ "task", "task_rename", EV_TASK_RENAME, CAT_GROUP_THREADS, 0, CAT_FILTER_FIXED,
	  "oldcomm == \"kthreadd\"", .text = text_rename, .raw = raw_rename },
	{ "task", "task_newtask", EV_TASK_NEW, CAT_GROUP_THREADS, 1, CAT_FILTER_FIXED,
	  "common_pid == 2", .text = text_newtask, .raw = raw_newtask },
	{ "sched", "sched_waking", EV_WAKE, CAT_GROUP_THREADS, 1, CAT_FILTER_FIXED,
	  WAKE_FILTER, .text = text_waking, .raw = raw_waking },
};

const size_t catalog_len = sizeof(catalog) / sizeof(catalog[0]);
_Static_assert(sizeof(catalog) / sizeof(catalog[0]) <= CATALOG_MAX, "raise CATALOG_MAX");

size_t catalog_system_list(const char **out, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < catalog_len && n + 1 < max; i++) {
		for (j = 0; j < n && strcmp(out[j], catalog[i].system); j++)
			;
		if (j == n)
			out[n++] = catalog[i].system;
	}
	out[n] = NULL;
	return n;
}

const struct cat_event *catalog_find(const char *name, size_t len)
{
	size_t i;

	/* by length first: a line may hold a NUL byte, where strncmp() would stop */
	for (i = 0; i < catalog_len; i++)
		if (strlen(catalog[i].name) == len && !memcmp(catalog[i].name, name, len))
			return &catalog[i];
	return NULL;
}

int catalog_probe_def(const struct cat_event *ev, const struct cat_site *site, char sep,
		      char *out, size_t size)
{
	const char *f;
	size_t n;
	int r;

	r = snprintf(out, size, "%c:%s/%s%c%s%c", ev->ret ? 'r' : 'p', ev->system,
		     ev->name, sep, site->func, sep);
	if (r < 0 || (size_t)r >= size)
		return -E2BIG;
	n = (size_t)r;
	for (f = ev->fetch; *f; f++) {
		if (f[0] == '%' && f[1] == 'A') {
			r = snprintf(out + n, size - n, "%s", site->arg);
			f++;
		} else {
			r = snprintf(out + n, size - n, "%c", *f == ' ' ? sep : *f);
		}
		if (r < 0 || (size_t)r >= size - n)
			return -E2BIG;
		n += (size_t)r;
	}
	return 0;
}

bool catalog_release_at_least(const char *r, const char *since)
{
	unsigned long a, b, x, y;
	char *end;

	a = strtoul(r, &end, 10);
	b = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
	x = strtoul(since, &end, 10);
	y = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
	return a > x || (a == x && b >= y);
}

bool catalog_site_fits(const struct cat_site *site, const char *release)
{
	if (site->btf)
		return true;
	/* a release that does not start "MAJOR.MINOR" tells nothing */
	if (!release || release[0] < '0' || release[0] > '9' || !strchr(release, '.'))
		return false;
	return (!site->since || catalog_release_at_least(release, site->since)) &&
	       (!site->before || !catalog_release_at_least(release, site->before));
}
