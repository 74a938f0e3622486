/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the ground-truth modules. Each module lists the orders of its page blocks as
 * an X-macro, LIST(X) = X(order) X(order) ..., so one list gives the array of orders
 * (GT_ORDER), the page count (GT_PAGES) and the block count (GT_BLOCKS) at compile time.
 * A module states its expected figures as literal numbers, checks them against its lists
 * with static_assert, and carries them in the .ko as modinfo field mdko_expect, which
 * test/modules/build copies into OUTDIR/expected.
 */
#ifndef MDKO_GT_H
#define MDKO_GT_H

#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/stringify.h>

/* Exported by mdko_gt_keep: that module, for mdko_gt_ref to take a reference on. */
struct module *mdko_gt_keep_owner(void);

#define GT_ORDER(order)	 (order),
#define GT_PAGES(order)	 +(1u << (order))
#define GT_BLOCKS(order) +1u

/* Pages and blocks of an order list LIST, as integer constant expressions. */
#define GT_SUM_PAGES(LIST)  (0 LIST(GT_PAGES))
#define GT_SUM_BLOCKS(LIST) (0 LIST(GT_BLOCKS))

/* What the report must show for this module: "pages=N net=N status=loaded|failed". */
#define GT_EXPECT(pages, net, status)                                                    \
	MODULE_INFO(mdko_expect, GT_EXPECT_STR(pages, net, status))
#define GT_EXPECT_STR(pages, net, status)                                                \
	"pages=" __stringify(pages) " net=" __stringify(net) " status=" status

/*
 * What the report must show as the load's deferred part (JSON deferred_pages and
 * deferred_net_pages): the pages of the work it queued, run by kworkers. Without this
 * field, 0 and 0.
 */
/*
 * Late pages are stated as MODULE_INFO(mdko_expect_late, "pages=N"), or "pages=N
 * after=hook" where only the boot test's hook (mdko_gt_late's device, mdko_gt_open's
 * interface, mdko_gt_fw's firmware) makes the module take them: a boot without it expects none. A load's work
 * that runs another module's code states those pages as mdko_expect_moved "pages=N".
 */
#define GT_EXPECT_WORK(pages, net)                                                       \
	MODULE_INFO(mdko_expect_work,                                                    \
		    "pages=" __stringify(pages) " net=" __stringify(net))

/*
 * Allocates block i with alloc_pages(@gfp, order[i]); all or nothing: -ENOMEM. Outside
 * a load window the modules mark their own blocks with GFP_KERNEL | __GFP_RETRY_MAYFAIL,
 * which the boot test's oracle looks for (test/boot/oracle.awk).
 */
static inline int gt_alloc_blocks_gfp(struct page **page, const unsigned int *order,
				      unsigned int n, gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		page[i] = alloc_pages(gfp, order[i]);
		if (!page[i])
			goto out_free;
	}
	return 0;

out_free:
	while (i--) {
		__free_pages(page[i], order[i]);
		page[i] = NULL;
	}
	return -ENOMEM;
}

/*
 * gt_alloc_blocks_gfp() with GFP_KERNEL_ACCOUNT. The trace prints these flags as
 * gfp_flags=GFP_KERNEL_ACCOUNT, which the kernel's own page allocations inside a load
 * window (a slab refill for do_init_module's kmalloc, the uevent buffer) do not use: the
 * boot test tells the two apart by them.
 */
static inline int gt_alloc_blocks(struct page **page, const unsigned int *order,
				  unsigned int n)
{
	return gt_alloc_blocks_gfp(page, order, n, GFP_KERNEL_ACCOUNT);
}

/* Frees the blocks gt_alloc_blocks() gave; blocks already freed (NULL) are skipped. */
static inline void gt_free_blocks(struct page **page, const unsigned int *order,
				  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (page[i])
			__free_pages(page[i], order[i]);
		page[i] = NULL;
	}
}

#endif /* MDKO_GT_H */
