// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The supplier that mdko_gt_defer's probe waits for: init allocates 1 block of order 0
 * itself and registers a platform driver and its device, which binds at once and
 * allocates nothing. The binding makes the driver core queue its deferred-probe work, in
 * this load; the work probes mdko_gt_defer's device, whose 14 pages are that module's
 * late pages, not this load's work.
 *
 * Report: mdko_gt_supply pages=1 net=1 status=loaded, work 0 0. Without kernel stacks
 * (rd.memdebug=3, rd.memdebug_ko.late=0) the work's code is not known: the 14 pages
 * stay in this load's work (mdko_expect_moved).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X) X(0)

#define EXPECT_PAGES 1

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_PAGES, "loaded");
GT_EXPECT_WORK(0, 0);
/* mdko_gt_defer's probe pages that only the stacks take out of this load's work */
MODULE_INFO(mdko_expect_moved, "pages=14");

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct platform_device *gt_dev;

static int gt_probe(struct platform_device *pdev)
{
	return 0;
}

static struct platform_driver gt_driver = {
	.probe = gt_probe,
	.driver = { .name = KBUILD_MODNAME },
};

static int __init mdko_gt_supply_init(void)
{
	int err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));

	if (err)
		return err;
	gt_dev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
	if (IS_ERR(gt_dev)) {
		err = PTR_ERR(gt_dev);
		goto out_free;
	}
	/* binds the device: the driver core then probes the deferred devices again */
	err = platform_driver_register(&gt_driver);
	if (!err)
		return 0;
	platform_device_unregister(gt_dev);
out_free:
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
	return err;
}

static void __exit mdko_gt_supply_exit(void)
{
	platform_driver_unregister(&gt_driver);
	platform_device_unregister(gt_dev);
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_supply_init);
module_exit(mdko_gt_supply_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: the driver a deferred probe waits for");
