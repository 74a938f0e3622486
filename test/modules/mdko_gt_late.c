// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of a late probe: init allocates 1 block of order 0 itself and registers a
 * platform driver with no device yet. Writing 1 to the parameter "add_device" (the boot
 * test does it from a pre-pivot hook, as udev binds a device that shows up later) adds
 * the device; its probe, run by the writing task after init returned, allocates 3
 * blocks of orders 1 2 3 (14 pages) with GFP_KERNEL | __GFP_RETRY_MAYFAIL and keeps them.
 *
 * Report: mdko_gt_late pages=1 net=1 status=loaded; with rd.memdebug=5, after the write,
 * late pages: the probe's 14, and the kernel's own pages of adding the device (the
 * stacks of both show this module's code on top).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X)	X(0)
#define PROBE_ORDERS(X) X(1) X(2) X(3)
#define PROBE_GFP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL)

#define EXPECT_PAGES	  1
#define EXPECT_LATE_PAGES 14

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_LATE_PAGES == GT_SUM_PAGES(PROBE_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_PAGES, "loaded");
MODULE_INFO(mdko_expect_late, "pages=" __stringify(EXPECT_LATE_PAGES) " after=hook");

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int probe_order[] = { PROBE_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct page *probe_page[ARRAY_SIZE(probe_order)];
static struct platform_device *gt_dev;
static DEFINE_MUTEX(gt_lock);

static int gt_probe(struct platform_device *pdev)
{
	int err = gt_alloc_blocks_gfp(probe_page, probe_order, ARRAY_SIZE(probe_order),
				      PROBE_GFP);

	if (err)
		return err;
	dev_info(&pdev->dev, "probed late: kept %u pages\n", EXPECT_LATE_PAGES);
	return 0;
}

static struct platform_driver gt_driver = {
	.probe = gt_probe,
	.driver = { .name = KBUILD_MODNAME },
};

/* add_device=1: adds the one device (once), which probes in the writer's context. */
static int gt_add_device(const char *val, const struct kernel_param *kp)
{
	bool add;
	int err = kstrtobool(val, &add);

	if (err || !add)
		return err;
	mutex_lock(&gt_lock);
	if (!gt_dev) {
		gt_dev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
		if (IS_ERR(gt_dev)) {
			err = PTR_ERR(gt_dev);
			gt_dev = NULL;
		}
	}
	mutex_unlock(&gt_lock);
	return err;
}

static const struct kernel_param_ops gt_add_ops = { .set = gt_add_device };
module_param_cb(add_device, &gt_add_ops, NULL, 0200);
MODULE_PARM_DESC(add_device, "1: add the device, whose probe allocates (once)");

static int __init mdko_gt_late_init(void)
{
	int err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));

	if (err)
		return err;
	err = platform_driver_register(&gt_driver);
	if (err)
		gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
	return err;
}

static void __exit mdko_gt_late_exit(void)
{
	if (gt_dev)
		platform_device_unregister(gt_dev);
	platform_driver_unregister(&gt_driver);
	gt_free_blocks(probe_page, probe_order, ARRAY_SIZE(probe_order));
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_late_init);
module_exit(mdko_gt_late_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: a probe after init returned");
