// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth: init allocates 4 blocks of orders 1 3 3 4 (34 pages) itself, then queues
 * a work item on the system workqueue whose function allocates 5 blocks of orders
 * 0 2 3 4 5 (61 pages), and waits for it with flush_work(). Both sets are kept until the
 * module is removed.
 *
 * Report: mdko_gt_wq pages=34 net=34 status=loaded, and 61 pages, 61 net of work.
 *
 * The 61 pages are allocated by a kworker, not by the loader's pid: the report counts
 * them apart, as the work the load queued (deferred_pages).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/workqueue.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X) X(1) X(3) X(3) X(4)
#define WORK_ORDERS(X) X(0) X(2) X(3) X(4) X(5)

#define EXPECT_PAGES 34
#define EXPECT_NET   34
#define WORK_PAGES   61

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_NET == GT_SUM_PAGES(INIT_ORDERS));
static_assert(WORK_PAGES == GT_SUM_PAGES(WORK_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");
GT_EXPECT_WORK(WORK_PAGES, WORK_PAGES);

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int work_order[] = { WORK_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct page *work_page[ARRAY_SIZE(work_order)];
static int work_err;

/* Runs in a kworker: allocates the work's blocks, sets work_err. */
static void gt_wq_work(struct work_struct *work)
{
	work_err = gt_alloc_blocks(work_page, work_order, ARRAY_SIZE(work_order));
}

static DECLARE_WORK(gt_wq_item, gt_wq_work);

static int __init mdko_gt_wq_init(void)
{
	int err;

	err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));
	if (err)
		return err;
	schedule_work(&gt_wq_item);
	flush_work(&gt_wq_item);
	if (work_err) {
		gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
		return work_err;
	}
	pr_info("kept %u pages in %u blocks; its work item kept %u pages in %u blocks\n",
		EXPECT_PAGES, GT_SUM_BLOCKS(INIT_ORDERS), WORK_PAGES,
		GT_SUM_BLOCKS(WORK_ORDERS));
	return 0;
}

static void __exit mdko_gt_wq_exit(void)
{
	gt_free_blocks(work_page, work_order, ARRAY_SIZE(work_order));
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_wq_init);
module_exit(mdko_gt_wq_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: pages from init and from a work item");
