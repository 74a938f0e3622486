// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth: init allocates 3 blocks of orders 1 2 4 (22 pages), then 4 blocks of
 * orders 0 1 3 5 (43 pages), then frees the first 3 whole blocks, after the later
 * allocations, and keeps the 43 pages until the module is removed.
 *
 * Report: mdko_gt_free pages=65 net=43 status=loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>

#include "mdko_gt.h"

#define DROP_ORDERS(X) X(1) X(2) X(4)
#define KEEP_ORDERS(X) X(0) X(1) X(3) X(5)

#define EXPECT_PAGES 65
#define EXPECT_NET   43

static_assert(EXPECT_PAGES == GT_SUM_PAGES(DROP_ORDERS) + GT_SUM_PAGES(KEEP_ORDERS));
static_assert(EXPECT_NET == GT_SUM_PAGES(KEEP_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");

static const unsigned int drop_order[] = { DROP_ORDERS(GT_ORDER) };
static const unsigned int keep_order[] = { KEEP_ORDERS(GT_ORDER) };
static struct page *keep_page[ARRAY_SIZE(keep_order)];

static int __init mdko_gt_free_init(void)
{
	struct page *drop_page[ARRAY_SIZE(drop_order)];
	int err;

	err = gt_alloc_blocks(drop_page, drop_order, ARRAY_SIZE(drop_order));
	if (err)
		return err;
	err = gt_alloc_blocks(keep_page, keep_order, ARRAY_SIZE(keep_order));
	gt_free_blocks(drop_page, drop_order, ARRAY_SIZE(drop_order));
	if (err)
		return err;
	pr_info("allocated %u pages in %u blocks, freed %u pages in %u blocks, kept %u pages\n",
		EXPECT_PAGES, GT_SUM_BLOCKS(DROP_ORDERS) + GT_SUM_BLOCKS(KEEP_ORDERS),
		GT_SUM_PAGES(DROP_ORDERS), GT_SUM_BLOCKS(DROP_ORDERS), EXPECT_NET);
	return 0;
}

static void __exit mdko_gt_free_exit(void)
{
	gt_free_blocks(keep_page, keep_order, ARRAY_SIZE(keep_order));
}

module_init(mdko_gt_free_init);
module_exit(mdko_gt_free_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: init frees some of the pages it allocates");
