/* SPDX-License-Identifier: GPL-2.0-or-later */
/* event: the trace events memdebug-ko understands, whatever source they came from. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's limits: TASK_COMM_LEN - 1 and MODULE_NAME_LEN - 1 on 64-bit. */
#define COMM_MAX    15
#define MODNAME_MAX 55

/* Orders above this are no buddy allocation any kernel makes: the line is malformed. */
#define ORDER_MAX 20
/* Physical addresses have at most 52 bits, so no real pfn reaches 2^52. */
#define PFN_LIMIT (1ull << 52)

enum ev_type {
	EV_MODULE_LOAD,
	EV_MODULE_PUT,
	EV_MODULE_FREE,
	EV_PAGE_ALLOC,
	EV_PAGE_FREE,
	EV_OOM_VICTIM, /* oom:mark_victim: the OOM killer chose a task to kill */
	/*
	 * memdebug_ko:bulk_enter and bulk_exit, prepare's kprobe and kretprobe on the bulk
	 * allocator (alloc_pages_bulk, vmalloc's), which fires no mm_page_alloc but for a
	 * single page it hands to the normal allocator.
	 */
	EV_BULK_ENTER,
	EV_BULK_EXIT,
	/*
	 * workqueue:workqueue_queue_work, workqueue_execute_start and workqueue_execute_end:
	 * work a task hands to a kworker (async_schedule's too), and its run there.
	 */
	EV_WORK_QUEUE,
	EV_WORK_START,
	EV_WORK_END,
	/*
	 * rd.memdebug=5: "<stack trace>", the kernel stack a stacktrace trigger recorded
	 * after the task's page event, then one EV_STACK_FRAME per " => function+off/size
	 * [module]" line (name, name_len: the frame; pid 0: it belongs to the last stack).
	 */
	EV_STACK,
	EV_STACK_FRAME,
	/*
	 * task:task_rename: kthread_create names the thread it had kthreadd fork, from the
	 * creating task (pid), so a thread whose old comm was "kthreadd" (from_kthreadd)
	 * renamed by another task (child) is a kernel thread that task started.
	 */
	EV_TASK_RENAME,
	/*
	 * From Linux 6.2 kthreadd forks the thread with its name, and nothing renames it:
	 * task:task_newtask by kthreadd gives the new thread (child, name: its comm), and
	 * sched:sched_waking (child: the task woken) by that thread, whose first act is to
	 * wake the task that asked for it, names its creator.
	 */
	EV_TASK_NEW,
	EV_WAKE,
	EV_OTHER, /* a well-formed event memdebug-ko does not use */
};

/* Who dropped a module reference: do_init_module drops the initial one after init. */
enum put_site {
	PUT_SITE_INIT,	/* call_site=do_init_module */
	PUT_SITE_OTHER, /* another function: a module_get/module_put pair inside init */
	/*
	 * A raw address: code without a symbol. A kernel with kallsyms names
	 * do_init_module, so this is freed __init code of the module itself, unless
	 * the kernel names no call site at all (no CONFIG_KALLSYMS).
	 */
	PUT_SITE_RAW,
	PUT_SITE_UNKNOWN, /* no call site: treated as the init put */
};

/* One event. Strings point into the source's buffer and live until the next event. */
struct event {
	enum ev_type type;
	int pid;
	uint64_t ts_ns;
	unsigned cpu; /* where the raw buffers say it happened; 0 in text traces */
	/*
	 * Recorded in interrupt context (a hard or soft interrupt, an NMI): what the
	 * interrupt did on the CPU, not the task it interrupted (pid, comm).
	 */
	bool irq;
	/* the task's comm as the trace shows it, "<...>" when unknown */
	const char *comm;
	size_t comm_len;
	/* module events: the module name; EV_TASK_NEW: the new task's comm; EV_WAKE: the
	 * woken task's (NULL when the event has none) */
	const char *name;
	size_t name_len;
	enum put_site put_site;
	uint64_t pfn;	/* page events */
	unsigned order; /* page events */
	bool failed;	/* mm_page_alloc that returned no page */
	uint64_t gfp;	/* mm_page_alloc in the raw buffers: its gfp_flags */
	/* mm_page_alloc of migratetype 0: the kernel's own, traced for every task */
	bool unmovable;
	int victim;	/* EV_OOM_VICTIM: the pid the OOM killer chose */
	bool prefilled; /* bulk_enter: the page array had pages already */
	uint64_t ret;	/* bulk_exit: the pages the array or list holds now */
	/* work events: the work_struct's address (hashed in text traces) */
	uint64_t work;
	int child; /* EV_TASK_RENAME: the task renamed (its pid field, else the event's pid);
			 * EV_TASK_NEW: the new task; EV_WAKE: the task woken */
	bool from_kthreadd; /* EV_TASK_RENAME: its old comm was "kthreadd" */
};
