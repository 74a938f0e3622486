// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Out-of-memory trigger: init takes single pages until the allocator fails, which wakes
 * the OOM killer (and with panic_on_oom panics the kernel). Loaded after mdko_oom_hog,
 * it is the last straw, not the culprit. If it survives, it frees everything and fails.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>

static int __init mdko_oom_take_init(void)
{
	struct page *page, *next;
	unsigned long n = 0;
	LIST_HEAD(taken);

	while (!fatal_signal_pending(current) &&
	       (page = alloc_page(GFP_KERNEL | __GFP_NOWARN))) {
		list_add(&page->lru, &taken);
		if (!(++n % 64))
			cond_resched();
	}
	pr_info("took %lu pages before the allocator failed: freeing them\n", n);
	list_for_each_entry_safe(page, next, &taken, lru)
	{
		list_del(&page->lru);
		__free_page(page);
	}
	return -ENOMEM;
}

module_init(mdko_oom_take_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memdebug-ko test: takes pages until the OOM killer strikes");
