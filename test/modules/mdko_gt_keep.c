// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth: init allocates 7 blocks of orders 0 0 1 2 3 3 5 (56 pages) and keeps
 * them all until the module is removed.
 *
 * Report: mdko_gt_keep pages=56 net=56 status=loaded.
 *
 * Also exports mdko_gt_keep_owner() for mdko_gt_ref, which takes and drops a reference on
 * this module inside its own init.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>

#include "mdko_gt.h"

#define KEEP_ORDERS(X) X(0) X(0) X(1) X(2) X(3) X(3) X(5)

#define EXPECT_PAGES 56
#define EXPECT_NET   56

static_assert(EXPECT_PAGES == GT_SUM_PAGES(KEEP_ORDERS));
static_assert(EXPECT_NET == GT_SUM_PAGES(KEEP_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");

static const unsigned int keep_order[] = { KEEP_ORDERS(GT_ORDER) };
static struct page *keep_page[ARRAY_SIZE(keep_order)];

/* This module, for the foreign module_get/module_put pair in mdko_gt_ref's init. */
struct module *mdko_gt_keep_owner(void)
{
	return THIS_MODULE;
}
EXPORT_SYMBOL_GPL(mdko_gt_keep_owner);

static int __init mdko_gt_keep_init(void)
{
	int err;

	err = gt_alloc_blocks(keep_page, keep_order, ARRAY_SIZE(keep_order));
	if (err)
		return err;
	pr_info("kept %u pages in %u blocks\n", GT_SUM_PAGES(KEEP_ORDERS),
		GT_SUM_BLOCKS(KEEP_ORDERS));
	return 0;
}

static void __exit mdko_gt_keep_exit(void)
{
	gt_free_blocks(keep_page, keep_order, ARRAY_SIZE(keep_order));
}

module_init(mdko_gt_keep_init);
module_exit(mdko_gt_keep_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: init allocates pages and keeps them");
