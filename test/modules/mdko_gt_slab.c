// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of slab pages: init creates its own cache of 248-byte objects (a
 * constructor keeps the kernel from merging it with another cache, whose partial slabs
 * it would then share; with one, SLUB keeps its free pointer behind the object, which so
 * takes 256 bytes) and allocates 4 slabs' worth of objects, 16 to a slab, on one CPU
 * (SLUB starts a slab per CPU). A new cache has no partial slab: each slab is a new page
 * that the window sees; objects taken from an existing partial slab would show no page.
 * Allocations carry __GFP_RETRY_MAYFAIL, which the slab pages inherit: the boot test tells
 * them from the kernel's own by it. Init checks what it assumes (order-0 slabs, 16
 * objects each, 4 of them) and fails with -EINVAL if a kernel lays the cache out
 * otherwise, so that the figures never pass by luck.
 *
 * Report: mdko_gt_slab pages=4 net=4 status=loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>

#include "mdko_gt.h"

#define OBJ_SIZE      248
#define OBJS_PER_SLAB (PAGE_SIZE / (OBJ_SIZE + sizeof(void *)))
#define SLABS	      4
#define NOBJS	      (SLABS * OBJS_PER_SLAB)

#define EXPECT_PAGES 4
#define EXPECT_NET   4

static_assert(EXPECT_PAGES == SLABS);
GT_EXPECT(EXPECT_PAGES, EXPECT_NET, "loaded");

static struct kmem_cache *cache;
static void *obj[NOBJS];

static void gt_slab_ctor(void *p)
{
}

static void free_all(void)
{
	unsigned int i;

	for (i = 0; i < NOBJS; i++) {
		if (obj[i])
			kmem_cache_free(cache, obj[i]);
		obj[i] = NULL;
	}
	kmem_cache_destroy(cache);
}

/* The distinct order-0 slabs the objects are in, or -1 if one is not order 0. */
static int count_slabs(void)
{
	struct page *seen[NOBJS];
	unsigned int i, j, n = 0;

	for (i = 0; i < NOBJS; i++) {
		struct page *head = virt_to_head_page(obj[i]);

		if (compound_order(head))
			return -1;
		for (j = 0; j < n && seen[j] != head; j++)
			;
		if (j == n)
			seen[n++] = head;
	}
	return n;
}

static int __init mdko_gt_slab_init(void)
{
	unsigned int i;
	int slabs;

	/*
	 * On 7.x (seen on 7.3) every cache fills per-CPU sheaves by bulk refills that take
	 * objects from several slabs at once: 64 objects took 6 slabs. A cache kmemleak
	 * does not track has none (calculate_sheaf_capacity()), and its objects come one
	 * at a time from a slab, as before sheaves; on older kernels the flag changes
	 * nothing of the layout.
	 */
	cache = kmem_cache_create("mdko_gt_slab", OBJ_SIZE, 0, SLAB_NOLEAKTRACE,
				  gt_slab_ctor);
	if (!cache)
		return -ENOMEM;
	migrate_disable();
	for (i = 0; i < NOBJS; i++) {
		obj[i] = kmem_cache_alloc(cache, GFP_KERNEL | __GFP_RETRY_MAYFAIL);
		if (!obj[i])
			break;
	}
	migrate_enable();
	if (i < NOBJS) {
		free_all();
		return -ENOMEM;
	}
	slabs = count_slabs();
	if (slabs != SLABS) {
		pr_err("the cache took %d slabs for %lu objects, not %d order-0 ones\n",
		       slabs, NOBJS, SLABS);
		free_all();
		return -EINVAL;
	}
	pr_info("kept %lu objects in %d new slab pages\n", NOBJS, slabs);
	return 0;
}

static void __exit mdko_gt_slab_exit(void)
{
	free_all();
}

module_init(mdko_gt_slab_init);
module_exit(mdko_gt_slab_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: slab pages of a new cache");
