// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth: init allocates 6 blocks of orders 0 1 2 3 4 4 (47 pages), frees them all
 * and returns -ENODEV, so the kernel frees the module; modprobe reports the error.
 *
 * Report: mdko_gt_fail pages=47 net=0 status=failed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "mdko_gt.h"

#define FAIL_ORDERS(X) X(0) X(1) X(2) X(3) X(4) X(4)

#define EXPECT_PAGES 47
#define EXPECT_NET   0

static_assert(EXPECT_PAGES == GT_SUM_PAGES(FAIL_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "failed");

static const unsigned int fail_order[] = { FAIL_ORDERS(GT_ORDER) };

static int __init mdko_gt_fail_init(void)
{
	struct page *fail_page[ARRAY_SIZE(fail_order)];
	int err;

	err = gt_alloc_blocks(fail_page, fail_order, ARRAY_SIZE(fail_order));
	if (err)
		return err;
	gt_free_blocks(fail_page, fail_order, ARRAY_SIZE(fail_order));
	pr_info("allocated and freed %u pages in %u blocks, init fails with -ENODEV\n",
		EXPECT_PAGES, GT_SUM_BLOCKS(FAIL_ORDERS));
	return -ENODEV;
}

module_init(mdko_gt_fail_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: init frees its pages and fails");
