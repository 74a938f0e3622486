// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Out-of-memory ground truth: init takes single pages (GFP_KERNEL_ACCOUNT) and keeps
 * them until MemAvailable falls below leave_kib (or, with take_kib, once it holds that
 * much: the driver of a known size that test/boot/kdump-test's crashkernel= bisection
 * adds; a load that cannot take it all frees what it took and fails), then
 *   stuck=0  prints "kept N pages" and returns 0: the memory stays taken;
 *   stuck=1  goes on taking pages until the OOM killer (or panic_on_oom) ends it,
 *            printing "N pages so far" every 1024 pages; when its loader is chosen as
 *            the OOM victim it frees everything and fails (-ENOMEM).
 * With open=1 init takes nothing: it registers a net device, mdkooom0, whose ndo_open
 * (`ip link set dev mdkooom0 up`, in the task of `ip`, after the load) takes the pages as
 * init would, with GFP_KERNEL | __GFP_NORETRY (no __GFP_ACCOUNT: an i40e's receive
 * rings are the kernel's own), prints "open kept N pages" and keeps them: the late pages
 * of a driver whose interface eats the capture kernel's memory.
 * If the kernel panics meanwhile (panic_on_oom), a panic notifier prints "N pages at the
 * panic": the exact count even when the OOM strikes before init printed anything.
 * It yields the CPU every 64 pages, as a driver's probe sleeps now and then, so that a
 * one-CPU capture kernel runs its other tasks too.
 * Not loaded by the boot test: test/boot/oom-test loads it with rd.driver.pre=.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/sched/signal.h>

static unsigned int leave_kib = 4096;
module_param(leave_kib, uint, 0444);
MODULE_PARM_DESC(leave_kib, "stop taking pages when MemAvailable is below this (KiB)");

static unsigned int take_kib;
module_param(take_kib, uint, 0444);
MODULE_PARM_DESC(take_kib,
		 "take exactly this much (KiB) and keep it, or fail (0: no limit)");

static bool stuck;
module_param(stuck, bool, 0444);
MODULE_PARM_DESC(stuck, "after leave_kib, take pages until the OOM killer strikes");

static bool open;
module_param(open, bool, 0444);
MODULE_PARM_DESC(open, "take the pages in the ndo_open of mdkooom0, not in init");

static LIST_HEAD(kept);
static unsigned long nkept;
static struct net_device *hog_netdev;

static bool take_one(gfp_t gfp)
{
	struct page *page = alloc_page(gfp);

	if (!page)
		return false;
	list_add(&page->lru, &kept);
	nkept++;
	if (!(nkept % 64))
		cond_resched();
	return true;
}

static void free_all(void)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &kept, lru)
	{
		list_del(&page->lru);
		__free_page(page);
	}
	nkept = 0;
}

static int at_panic(struct notifier_block *nb, unsigned long event, void *data)
{
	pr_info("%lu pages at the panic\n", READ_ONCE(nkept));
	return NOTIFY_DONE;
}

static struct notifier_block panic_nb = { .notifier_call = at_panic };

static int hog_open(struct net_device *dev)
{
	unsigned long leave_pages = leave_kib / (PAGE_SIZE / 1024);

	while (si_mem_available() > leave_pages &&
	       take_one(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN))
		;
	pr_info("open kept %lu pages\n", nkept);
	netif_start_queue(dev);
	return 0;
}

static int hog_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
	free_all();
	return 0;
}

static netdev_tx_t hog_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev_kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops hog_ops = {
	.ndo_open = hog_open,
	.ndo_stop = hog_stop,
	.ndo_start_xmit = hog_xmit,
};

static void hog_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &hog_ops;
	dev->flags |= IFF_NOARP;
}

/* open=1: the net device whose open takes the pages. */
static int register_hog(void)
{
	int err;

	hog_netdev = alloc_netdev(0, "mdkooom%d", NET_NAME_ENUM, hog_setup);
	if (!hog_netdev)
		return -ENOMEM;
	eth_hw_addr_random(hog_netdev);
	err = register_netdev(hog_netdev);
	if (err) {
		free_netdev(hog_netdev);
		hog_netdev = NULL;
	}
	return err;
}

static int __init mdko_oom_hog_init(void)
{
	unsigned long leave_pages = leave_kib / (PAGE_SIZE / 1024);
	unsigned long take_pages = take_kib / (PAGE_SIZE / 1024);
	int err;

	atomic_notifier_chain_register(&panic_notifier_list, &panic_nb);
	if (open) {
		err = register_hog();
		if (err)
			atomic_notifier_chain_unregister(&panic_notifier_list, &panic_nb);
		return err;
	}

	/* __GFP_NORETRY: while memory lasts, take it without waking the OOM killer */
	while (si_mem_available() > leave_pages && (!take_pages || nkept < take_pages) &&
	       take_one(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN))
		;
	if (nkept < take_pages) {
		pr_info("took only %lu of %lu pages: freeing them\n", nkept, take_pages);
		free_all();
		atomic_notifier_chain_unregister(&panic_notifier_list, &panic_nb);
		return -ENOMEM;
	}
	pr_info("kept %lu pages\n", nkept);
	if (!stuck)
		return 0;
	for (;;) {
		if (fatal_signal_pending(current)) {
			pr_info("chosen by the OOM killer with %lu pages: freeing them\n",
				nkept);
			free_all();
			atomic_notifier_chain_unregister(&panic_notifier_list, &panic_nb);
			return -ENOMEM;
		}
		if (take_one(GFP_KERNEL_ACCOUNT | __GFP_NOWARN) && !(nkept % 1024))
			pr_info("%lu pages so far\n", nkept);
	}
}

static void __exit mdko_oom_hog_exit(void)
{
	if (hog_netdev) {
		unregister_netdev(hog_netdev); /* stops it if it is up */
		free_netdev(hog_netdev);
	}
	atomic_notifier_chain_unregister(&panic_notifier_list, &panic_nb);
	free_all();
}

module_init(mdko_oom_hog_init);
module_exit(mdko_oom_hog_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: init takes the memory until the OOM killer");
