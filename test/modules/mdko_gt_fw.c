// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of a firmware request after init, as a driver that loads its firmware
 * when its device is first used: init allocates 1 block of order 0 itself and registers
 * a platform device to request for. Writing 1 to the parameter "request" (the boot
 * test's hook does it, after writing /run/mdko-firmware/mdko_gt_fw.bin into the initramfs
 * and naming that directory in firmware_class.path)
 * allocates a buffer of 2 blocks of orders 2 and 1 (6 pages) with GFP_KERNEL |
 * __GFP_RETRY_MAYFAIL in the writing task, and has the firmware loader read the file
 * into its first block (request_firmware_into_buf): the loader allocates no buffer of
 * its own then, only its bookkeeping. The module keeps the buffer.
 *
 * Report: mdko_gt_fw pages=1 net=1 status=loaded; after the hook, late pages: the
 * buffer's 6, and the kernel's own pages of the request (the loader's bookkeeping, the
 * file name's buffer), whose stacks show this module's code first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/firmware.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>

#include "mdko_gt.h"

#define INIT_ORDERS(X)	 X(0)
#define BUFFER_ORDERS(X) X(2) X(1)
#define BUFFER_GFP	 (GFP_KERNEL | __GFP_RETRY_MAYFAIL)
#define FIRMWARE	 "mdko_gt_fw.bin"

#define EXPECT_PAGES	  1
#define EXPECT_LATE_PAGES 6

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(EXPECT_LATE_PAGES == GT_SUM_PAGES(BUFFER_ORDERS));
GT_EXPECT(EXPECT_PAGES, EXPECT_PAGES, "loaded");
MODULE_INFO(mdko_expect_late, "pages=" __stringify(EXPECT_LATE_PAGES) " after=hook");
MODULE_FIRMWARE(FIRMWARE);

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int buffer_order[] = { BUFFER_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];
static struct page *buffer_page[ARRAY_SIZE(buffer_order)];
static struct platform_device *gt_dev;
static bool gt_requested;
static DEFINE_MUTEX(gt_lock);

/* request=1: allocates the buffer and reads the firmware into it (once). */
static int gt_request(const char *val, const struct kernel_param *kp)
{
	const struct firmware *fw;
	bool request;
	int err = kstrtobool(val, &request);

	if (err || !request)
		return err;
	mutex_lock(&gt_lock);
	if (gt_requested)
		goto out;
	err = gt_alloc_blocks_gfp(buffer_page, buffer_order, ARRAY_SIZE(buffer_order),
				  BUFFER_GFP);
	if (err)
		goto out;
	err = request_firmware_into_buf(&fw, FIRMWARE, &gt_dev->dev,
					page_address(buffer_page[0]),
					PAGE_SIZE << buffer_order[0]);
	if (err) {
		gt_free_blocks(buffer_page, buffer_order, ARRAY_SIZE(buffer_order));
		goto out;
	}
	gt_requested = true;
	pr_info("read %zu bytes of firmware into a buffer of %u pages\n", fw->size,
		EXPECT_LATE_PAGES);
	release_firmware(fw);
out:
	mutex_unlock(&gt_lock);
	return err;
}

static const struct kernel_param_ops gt_request_ops = { .set = gt_request };
module_param_cb(request, &gt_request_ops, NULL, 0200);
MODULE_PARM_DESC(request,
		 "1: read firmware " FIRMWARE " into a buffer it allocates (once)");

static int __init mdko_gt_fw_init(void)
{
	int err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));

	if (err)
		return err;
	gt_dev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
	if (IS_ERR(gt_dev)) {
		gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
		return PTR_ERR(gt_dev);
	}
	return 0;
}

static void __exit mdko_gt_fw_exit(void)
{
	platform_device_unregister(gt_dev);
	if (gt_requested)
		gt_free_blocks(buffer_page, buffer_order, ARRAY_SIZE(buffer_order));
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_fw_init);
module_exit(mdko_gt_fw_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: a firmware request after init returned");
