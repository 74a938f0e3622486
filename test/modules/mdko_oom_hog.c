// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Out-of-memory ground truth: init takes single pages (GFP_KERNEL_ACCOUNT) and keeps
 * them until MemAvailable falls below leave_kib, then
 *   stuck=0  prints "kept N pages" and returns 0: the memory stays taken;
 *   stuck=1  goes on taking pages until the OOM killer (or panic_on_oom) ends it,
 *            printing "N pages so far" every 1024 pages; when its loader is chosen as
 *            the OOM victim it frees everything and fails (-ENOMEM).
 * If the kernel panics meanwhile (panic_on_oom), a panic notifier prints "N pages at the
 * panic": the exact count even when the OOM strikes before init printed anything.
 * It yields the CPU every 64 pages, as a driver's probe sleeps now and then, so that a
 * one-CPU capture kernel runs its other tasks too.
 * Not loaded by the boot test: test/boot/oom-test loads it with rd.driver.pre=.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/sched/signal.h>

static unsigned int leave_kib = 4096;
module_param(leave_kib, uint, 0444);
MODULE_PARM_DESC(leave_kib, "stop taking pages when MemAvailable is below this (KiB)");

static bool stuck;
module_param(stuck, bool, 0444);
MODULE_PARM_DESC(stuck, "after leave_kib, take pages until the OOM killer strikes");

static LIST_HEAD(kept);
static unsigned long nkept;

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

static int __init mdko_oom_hog_init(void)
{
	unsigned long leave_pages = leave_kib / (PAGE_SIZE / 1024);

	atomic_notifier_chain_register(&panic_notifier_list, &panic_nb);

	/* __GFP_NORETRY: while memory lasts, take it without waking the OOM killer */
	while (si_mem_available() > leave_pages &&
	       take_one(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN))
		;
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
	atomic_notifier_chain_unregister(&panic_notifier_list, &panic_nb);
	free_all();
}

module_init(mdko_oom_hog_init);
module_exit(mdko_oom_hog_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko ground truth: init takes the memory until the OOM killer");
