// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of work that a module queues later, from a timer, after its init
 * returned (as drivers do for firmware page requests, watchdogs and link polling): init
 * keeps 1 block of order 0 itself and arms a timer for 500 ms later; the timer queues a
 * work item, and the work, run by a kworker, allocates 3 blocks of orders 2 2 3 (16
 * pages) with GFP_KERNEL | __GFP_RETRY_MAYFAIL and keeps them. No load queued that work,
 * so it is none of the load's deferred work.
 *
 * Report: mdko_gt_timer pages=1 net=1 status=loaded; with rd.memdebug=5, late pages: the
 * work's 16 (its stacks show this module's code first).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/timer.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X) X(0)
#define WORK_ORDERS(X) X(2) X(2) X(3)
#define WORK_GFP       (GFP_KERNEL | __GFP_RETRY_MAYFAIL)

#define EXPECT_PAGES	  1
#define EXPECT_LATE_PAGES 16

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_LATE_PAGES == GT_SUM_PAGES(WORK_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_PAGES, "loaded");
MODULE_INFO(mdko_expect_late, "pages=" __stringify(EXPECT_LATE_PAGES));

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int work_order[] = { WORK_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct page *work_page[ARRAY_SIZE(work_order)];

static void gt_work_fn(struct work_struct *work)
{
	if (gt_alloc_blocks_gfp(work_page, work_order, ARRAY_SIZE(work_order), WORK_GFP))
		return;
	pr_info("work queued by a timer kept %u pages\n", EXPECT_LATE_PAGES);
}

static DECLARE_WORK(gt_work, gt_work_fn);
static struct timer_list gt_timer;

static void gt_timer_fn(struct timer_list *t)
{
	schedule_work(&gt_work);
}

static int __init mdko_gt_timer_init(void)
{
	int err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));

	if (err)
		return err;
	timer_setup(&gt_timer, gt_timer_fn, 0);
	mod_timer(&gt_timer, jiffies + msecs_to_jiffies(500));
	return 0;
}

static void __exit mdko_gt_timer_exit(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	timer_delete_sync(&gt_timer);
#else
	del_timer_sync(&gt_timer);
#endif
	cancel_work_sync(&gt_work);
	gt_free_blocks(work_page, work_order, ARRAY_SIZE(work_order));
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_timer_init);
module_exit(mdko_gt_timer_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: work queued by a timer after init");
