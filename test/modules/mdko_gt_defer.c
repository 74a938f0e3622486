// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of a deferred probe: init allocates 1 block of order 0 itself and
 * registers a platform driver and its device, whose probe defers (-EPROBE_DEFER) while
 * the driver of mdko_gt_supply is not registered, allocating nothing. Loading
 * mdko_gt_supply later binds its driver, and the driver core probes the deferred devices
 * again from its deferred-probe work, which mdko_gt_supply's loader queued: there this
 * probe allocates 3 blocks of orders 1 2 3 (14 pages) with GFP_KERNEL |
 * __GFP_RETRY_MAYFAIL and keeps them.
 *
 * Report: mdko_gt_defer pages=1 net=1 status=loaded; late pages (rd.memdebug=4 and 5):
 * the probe's 14, and the kernel's own pages whose stack shows this module's code on
 * top; none of them in mdko_gt_supply's work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device/driver.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X)	X(0)
#define PROBE_ORDERS(X) X(1) X(2) X(3)
#define PROBE_GFP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL)
/* the driver whose arrival the probe waits for (mdko_gt_supply.c) */
#define SUPPLIER "mdko_gt_supply"

#define EXPECT_PAGES	  1
#define EXPECT_LATE_PAGES 14

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_LATE_PAGES == GT_SUM_PAGES(PROBE_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_PAGES, "loaded");
MODULE_INFO(mdko_expect_late, "pages=" __stringify(EXPECT_LATE_PAGES));

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int probe_order[] = { PROBE_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct page *probe_page[ARRAY_SIZE(probe_order)];
static struct platform_device *gt_dev;

static int gt_probe(struct platform_device *pdev)
{
	int err;

	/* before any allocation: a probe that defers takes nothing */
	if (!driver_find(SUPPLIER, &platform_bus_type))
		return -EPROBE_DEFER;
	err = gt_alloc_blocks_gfp(probe_page, probe_order, ARRAY_SIZE(probe_order),
				  PROBE_GFP);
	if (err)
		return err;
	dev_info(&pdev->dev, "probed after %s: kept %u pages\n", SUPPLIER,
		 EXPECT_LATE_PAGES);
	return 0;
}

static struct platform_driver gt_driver = {
	.probe = gt_probe,
	.driver = { .name = KBUILD_MODNAME },
};

static int __init mdko_gt_defer_init(void)
{
	int err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));

	if (err)
		return err;
	err = platform_driver_register(&gt_driver);
	if (err)
		goto out_free;
	gt_dev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
	if (!IS_ERR(gt_dev))
		return 0;
	err = PTR_ERR(gt_dev);
	platform_driver_unregister(&gt_driver);
out_free:
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
	return err;
}

static void __exit mdko_gt_defer_exit(void)
{
	platform_device_unregister(gt_dev);
	platform_driver_unregister(&gt_driver);
	gt_free_blocks(probe_page, probe_order, ARRAY_SIZE(probe_order));
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_defer_init);
module_exit(mdko_gt_defer_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: a probe deferred until another driver");
