// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth: init first drops three module references, each just taken:
 *   - one on mdko_gt_keep (try_module_get + module_put): a foreign put, traced as
 *     "module_put mdko_gt_keep call_site=gt_ref_get_put" by the loader's pid;
 *   - one on itself (__module_get + module_put) from gt_ref_get_put(), core text:
 *     "module_put mdko_gt_ref call_site=gt_ref_get_put", a put of the loading module by
 *     the loader that is not do_init_module's;
 *   - one on itself from the __init function: its text is freed before the trace is
 *     read, so the call site prints as a bare address, "call_site=0xffffffffc0...";
 * and only then allocates 5 blocks of orders 1 2 3 3 4 (38 pages), kept until the module
 * is removed. A tool that ends the window at any of these puts shows 0 pages.
 *
 * Report: mdko_gt_ref pages=38 net=38 status=loaded.
 *
 * Kbuild builds this file without sibling calls: module_put is called, not jumped to, so
 * each call site is the function that calls it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "mdko_gt.h"

#define REF_ORDERS(X) X(1) X(2) X(3) X(3) X(4)

#define EXPECT_PAGES 38
#define EXPECT_NET   38

static_assert(EXPECT_PAGES == GT_SUM_PAGES(REF_ORDERS));
static_assert(EXPECT_NET == GT_SUM_PAGES(REF_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");

static const unsigned int ref_order[] = { REF_ORDERS(GT_ORDER) };
static struct page *ref_page[ARRAY_SIZE(ref_order)];

/* Takes and drops a reference on @owner, then on itself; -ENODEV if @owner is going. */
static noinline int gt_ref_get_put(struct module *owner)
{
	if (!try_module_get(owner))
		return -ENODEV;
	module_put(owner);
	__module_get(THIS_MODULE);
	module_put(THIS_MODULE);
	return 0;
}

static int __init mdko_gt_ref_init(void)
{
	int err;

	err = gt_ref_get_put(mdko_gt_keep_owner());
	if (err)
		return err;
	__module_get(THIS_MODULE);
	module_put(THIS_MODULE);
	err = gt_alloc_blocks(ref_page, ref_order, ARRAY_SIZE(ref_order));
	if (err)
		return err;
	pr_info("put mdko_gt_keep and itself twice, then kept %u pages in %u blocks\n",
		EXPECT_PAGES, GT_SUM_BLOCKS(REF_ORDERS));
	return 0;
}

static void __exit mdko_gt_ref_exit(void)
{
	gt_free_blocks(ref_page, ref_order, ARRAY_SIZE(ref_order));
}

module_init(mdko_gt_ref_init);
module_exit(mdko_gt_ref_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: module_put inside init, then pages kept");
