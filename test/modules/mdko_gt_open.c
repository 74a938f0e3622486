// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ground truth of memory a driver takes when its interface is brought up, as i40e and
 * qede do in their ndo_open, after the load: init keeps 1 block of order 0 itself and
 * registers a net device, mdkogt0, that nothing opens. `ip link set dev mdkogt0 up`
 * (the boot test does it from a pre-pivot hook, as NetworkManager or ip= would) runs
 * the ndo_open below in the task of `ip`, which is no module loader:
 *
 * - receive buffers: 32 blocks of order 0 and 8 of order 2 (64 pages);
 * - a buffer table of 16 pages from vmalloc (zeroed: vzalloc's flags);
 * - where the kernel has page pools, a pool from which it takes 16 pages: the pool's
 *   first refill takes PP_ALLOC_CACHE_REFILL (64) pages with one bulk call and keeps
 *   those it did not hand out in its cache (64 pages).
 *
 * Each allocation carries __GFP_RETRY_MAYFAIL, which marks the module's own pages for
 * the boot test's oracle (mdko_gt.h); the stop gives everything back.
 *
 * Report: mdko_gt_open pages=1 net=1 status=loaded; after the open, late pages: those
 * 144 (80 without page pools), and the kernel's own pages taken on the open's behalf
 * whose stacks show this module's code first (page tables of the vmalloc).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#if IS_ENABLED(CONFIG_PAGE_POOL)
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif
#define GT_POOL_PAGES 64 /* PP_ALLOC_CACHE_REFILL: the first refill's bulk call */
#else
#define GT_POOL_PAGES 0
#endif

#include "mdko_gt.h"

#define INIT_ORDERS(X) X(0)
/* 8 blocks of @order: the receive buffers are 32 of order 0 and 8 of order 2 */
#define EIGHT(X, order)                                                                  \
	X(order) X(order) X(order) X(order) X(order) X(order) X(order) X(order)
#define RX_ORDERS(X) EIGHT(X, 0) EIGHT(X, 0) EIGHT(X, 0) EIGHT(X, 0) EIGHT(X, 2)
#define OPEN_GFP     (GFP_KERNEL | __GFP_RETRY_MAYFAIL)
#define TABLE_PAGES  16
#define POOL_TAKEN   16

#define EXPECT_PAGES	  1
#define EXPECT_LATE_PAGES (GT_SUM_PAGES(RX_ORDERS) + TABLE_PAGES + GT_POOL_PAGES)

static_assert(EXPECT_PAGES == GT_SUM_PAGES(INIT_ORDERS));
static_assert(GT_SUM_PAGES(RX_ORDERS) == 64);
GT_EXPECT(EXPECT_PAGES, EXPECT_PAGES, "loaded");
#if GT_POOL_PAGES
static_assert(EXPECT_LATE_PAGES == 144);
MODULE_INFO(mdko_expect_late, "pages=144 after=hook");
#else
static_assert(EXPECT_LATE_PAGES == 80);
MODULE_INFO(mdko_expect_late, "pages=80 after=hook");
#endif

static const unsigned int init_order[] = { INIT_ORDERS(GT_ORDER) };
static const unsigned int rx_order[] = { RX_ORDERS(GT_ORDER) };
static struct page *init_page[ARRAY_SIZE(init_order)];

/* What one open holds until its stop. */
struct gt_open {
	struct page *rx[ARRAY_SIZE(rx_order)];
	void *table;
#if GT_POOL_PAGES
	struct page_pool *pool;
	struct page *pooled[POOL_TAKEN];
#endif
};

static struct net_device *gt_netdev;

static void gt_release(struct gt_open *o)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rx_order); i++)
		if (o->rx[i])
			__free_pages(o->rx[i], rx_order[i]);
	vfree(o->table);
#if GT_POOL_PAGES
	for (i = 0; i < POOL_TAKEN; i++)
		if (o->pooled[i])
			page_pool_put_full_page(o->pool, o->pooled[i], false);
	if (o->pool)
		page_pool_destroy(o->pool);
#endif
	memset(o, 0, sizeof(*o));
}

static int gt_open(struct net_device *dev)
{
	struct gt_open *o = netdev_priv(dev);
	unsigned int i;
#if GT_POOL_PAGES
	struct page_pool_params pp = {
		.order = 0,
		.pool_size = 256,
		.nid = NUMA_NO_NODE,
	};
#endif

	if (gt_alloc_blocks_gfp(o->rx, rx_order, ARRAY_SIZE(rx_order), OPEN_GFP))
		goto fail;
	/* vzalloc's flags, and the mark */
	o->table = __vmalloc(TABLE_PAGES * PAGE_SIZE, OPEN_GFP | __GFP_ZERO);
	if (!o->table)
		goto fail;
#if GT_POOL_PAGES
	o->pool = page_pool_create(&pp);
	if (IS_ERR(o->pool)) {
		o->pool = NULL;
		goto fail;
	}
	for (i = 0; i < POOL_TAKEN; i++) {
		o->pooled[i] = page_pool_alloc_pages(o->pool, OPEN_GFP);
		if (!o->pooled[i])
			goto fail;
	}
#endif
	netif_start_queue(dev);
	netdev_info(dev, "opened: took %u pages\n", (unsigned int)EXPECT_LATE_PAGES);
	return 0;

fail:
	gt_release(o);
	return -ENOMEM;
}

static int gt_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
	gt_release(netdev_priv(dev));
	return 0;
}

static netdev_tx_t gt_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev_kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops gt_ops = {
	.ndo_open = gt_open,
	.ndo_stop = gt_stop,
	.ndo_start_xmit = gt_xmit,
};

static void gt_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &gt_ops;
	dev->flags |= IFF_NOARP;
}

static int __init mdko_gt_open_init(void)
{
	int err = gt_alloc_blocks(init_page, init_order, ARRAY_SIZE(init_order));

	if (err)
		return err;
	gt_netdev =
		alloc_netdev(sizeof(struct gt_open), "mdkogt%d", NET_NAME_ENUM, gt_setup);
	if (!gt_netdev) {
		err = -ENOMEM;
		goto out_free;
	}
	eth_hw_addr_random(gt_netdev);
	err = register_netdev(gt_netdev);
	if (!err)
		return 0;
	free_netdev(gt_netdev);
out_free:
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
	return err;
}

static void __exit mdko_gt_open_exit(void)
{
	unregister_netdev(gt_netdev); /* stops it if it is up */
	free_netdev(gt_netdev);
	gt_free_blocks(init_page, init_order, ARRAY_SIZE(init_order));
}

module_init(mdko_gt_open_init);
module_exit(mdko_gt_open_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: a net device that takes pages when opened");
