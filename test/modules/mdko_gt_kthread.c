// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of a kernel thread: init allocates 1 block of order 1 (2 pages) itself,
 * then starts a thread with kthread_run() and waits for it. The thread, named by the
 * loader through kthread_create, allocates 16 blocks of order 2 (64 pages) and
 * vmalloc()s 32 pages (the bulk path, in a task that is no loader), and keeps them all.
 *
 * The thread allocates with GFP_KERNEL | __GFP_RETRY_MAYFAIL: unmovable and without
 * __GFP_ACCOUNT, as the kernel's own allocations are (prepare traces those of every
 * task; a thread's name is its own), and marked for the boot test's own count.
 *
 * Report: mdko_gt_kthread pages=2 net=2 status=loaded, and 96 pages, 96 net of work
 * (its thread's).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/vmalloc.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X) X(1)
#define THREAD_ORDERS(X)                                                                 \
	X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2) X(2)
#define THREAD_VMALLOC 32
#define THREAD_GFP     (GFP_KERNEL | __GFP_RETRY_MAYFAIL)

#define EXPECT_PAGES	  2
#define EXPECT_NET	  2
#define EXPECT_WORK_PAGES 96

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_WORK_PAGES == GT_SUM_PAGES(THREAD_ORDERS) + THREAD_VMALLOC);
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");
GT_EXPECT_WORK(EXPECT_WORK_PAGES, EXPECT_WORK_PAGES);

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int thread_order[] = { THREAD_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct page *thread_page[ARRAY_SIZE(thread_order)];
static void *thread_area;
static int thread_err;
static DECLARE_COMPLETION(thread_done);

static int gt_thread_fn(void *data)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(thread_order); i++) {
		thread_page[i] = alloc_pages(THREAD_GFP, thread_order[i]);
		if (!thread_page[i])
			thread_err = -ENOMEM;
	}
	thread_area = __vmalloc(THREAD_VMALLOC * PAGE_SIZE, THREAD_GFP);
	if (!thread_area)
		thread_err = -ENOMEM;
	complete(&thread_done);
	return 0;
}

static void gt_thread_free(void)
{
	gt_free_blocks(thread_page, thread_order, ARRAY_SIZE(thread_order));
	vfree(thread_area);
	thread_area = NULL;
}

static int __init mdko_gt_kthread_init(void)
{
	struct task_struct *t;
	int err;

	err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));
	if (err)
		return err;
	t = kthread_run(gt_thread_fn, NULL, "mdko_gt_kthread");
	if (IS_ERR(t)) {
		gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
		return PTR_ERR(t);
	}
	wait_for_completion(&thread_done);
	if (thread_err) {
		gt_thread_free();
		gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
		return thread_err;
	}
	pr_info("kept %u pages; its thread kept %u\n", EXPECT_PAGES, EXPECT_WORK_PAGES);
	return 0;
}

static void __exit mdko_gt_kthread_exit(void)
{
	gt_thread_free();
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_kthread_init);
module_exit(mdko_gt_kthread_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: pages of a kernel thread that init starts");
