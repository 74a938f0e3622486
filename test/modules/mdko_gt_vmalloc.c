// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of the bulk path: vmalloc fills its pages with alloc_pages_bulk, which
 * fires no mm_page_alloc, in requests of at most 100 pages; a request of a single page
 * goes to the normal allocator inside alloc_pages_bulk and does fire it. Init
 *   keeps   vmalloc(256 pages): 100 + 100 + 56 by the bulk path;
 *   keeps   vmalloc(101 pages): 100 by the bulk path and 1 by the single-page path,
 *           which must not count twice.
 * 357 pages, 357 net. (A vfree inside init is not here: bulk pages have no pfn in the
 * trace, so the report cannot subtract them from net; it bounds the error instead.)
 *
 * Report: mdko_gt_vmalloc pages=357 net=357 status=loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/vmalloc.h>

#include "mdko_gt.h"

#define KEEP_BIG 256
#define KEEP_ODD 101

#define EXPECT_PAGES 357
#define EXPECT_NET   357

static_assert(EXPECT_PAGES == KEEP_BIG + KEEP_ODD);
static_assert(EXPECT_NET == KEEP_BIG + KEEP_ODD);
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");

static void *big, *odd;

static int __init mdko_gt_vmalloc_init(void)
{
	big = __vmalloc(KEEP_BIG * PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	odd = __vmalloc(KEEP_ODD * PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!big || !odd) {
		vfree(big);
		vfree(odd);
		return -ENOMEM;
	}
	pr_info("kept %u pages of vmalloc\n", KEEP_BIG + KEEP_ODD);
	return 0;
}

static void __exit mdko_gt_vmalloc_exit(void)
{
	vfree(big);
	vfree(odd);
}

module_init(mdko_gt_vmalloc_init);
module_exit(mdko_gt_vmalloc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: vmalloc, whose pages come by the bulk path");
