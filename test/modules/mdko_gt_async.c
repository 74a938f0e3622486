// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of async work: init allocates 2 blocks of orders 0 2 (5 pages) itself,
 * then has async_schedule() run a function that allocates 4 blocks of orders 1 2 3 4
 * (30 pages) and frees the order-2 one (26 kept), as drivers probe asynchronously, and
 * waits for it with async_synchronize_cookie(). The async function runs in a kworker.
 *
 * Report: mdko_gt_async pages=5 net=5 status=loaded, and 30 pages, 26 net of work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/async.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X)	X(0) X(2)
#define ASYNC_ORDERS(X) X(1) X(2) X(3) X(4)
#define ASYNC_FREED	1 /* index of the order-2 block */

#define EXPECT_PAGES	  5
#define EXPECT_NET	  5
#define EXPECT_WORK_PAGES 30
#define EXPECT_WORK_NET	  26

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_NET == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_WORK_PAGES == GT_SUM_PAGES(ASYNC_ORDERS));
static_assert(EXPECT_WORK_NET == GT_SUM_PAGES(ASYNC_ORDERS) - 4);
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");
GT_EXPECT_WORK(EXPECT_WORK_PAGES, EXPECT_WORK_NET);

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int async_order[] = { ASYNC_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct page *async_page[ARRAY_SIZE(async_order)];
static int async_err;

/* Runs in a kworker of the async domain. */
static void gt_async_fn(void *data, async_cookie_t cookie)
{
	async_err = gt_alloc_blocks(async_page, async_order, ARRAY_SIZE(async_order));
	if (async_err)
		return;
	__free_pages(async_page[ASYNC_FREED], async_order[ASYNC_FREED]);
	async_page[ASYNC_FREED] = NULL;
}

static int __init mdko_gt_async_init(void)
{
	async_cookie_t cookie;
	int err;

	err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));
	if (err)
		return err;
	cookie = async_schedule(gt_async_fn, NULL);
	async_synchronize_cookie(cookie + 1);
	if (async_err) {
		gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
		return async_err;
	}
	pr_info("kept %u pages; its async function kept %u of %u pages\n", EXPECT_PAGES,
		EXPECT_WORK_NET, EXPECT_WORK_PAGES);
	return 0;
}

static void __exit mdko_gt_async_exit(void)
{
	gt_free_blocks(async_page, async_order, ARRAY_SIZE(async_order));
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_async_init);
module_exit(mdko_gt_async_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: pages from init and from async work");
