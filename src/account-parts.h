/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * account-parts: what the files of the accounting share, and their users never see:
 * account.c (load windows and their pages, the entry point), account-bulk.c (the bulk
 * allocator), account-work.c (work items and kernel threads), account-sites.c (call
 * sites from the stacks) and account-modules.c (/proc/modules).
 */
#pragma once

#include <stdint.h>

#include "account.h"

/* by_pid values: the window is still open */
#define WIN_OPEN_BIT (1ull << 63)

/* The key of @pid in the accounting's maps. */
static inline uint64_t pid_key(int pid)
{
	return (uint64_t)(unsigned)pid;
}

/* account.c: the window @pid has open, or NULL; a new zeroed window, or NULL (no memory). */
struct window *acct_open_window(struct acct *a, int pid);
struct window *acct_new_window(struct acct *a);

/* account-bulk.c: a bulk allocator call begins, or returns. */
int bulk_enter(struct acct *a, const struct event *ev);
int bulk_exit(struct acct *a, const struct event *ev);
/* Inside a bulk call, mm_page_alloc of @pid took @n pages: not counted again at its exit. */
void bulk_single(struct acct *a, int pid, uint64_t n);

/* account-work.c */
/*
 * The window @pid works for outside the loader: the kworker runs the load's work now, or
 * @pid is a kernel thread the load started. NULL otherwise.
 */
struct window *work_window(struct acct *a, int pid);
/* @n pages that @pid took for @w outside the loader: by its work, or by its thread. */
void work_add_pages(struct acct *a, struct window *w, int pid, uint64_t n);
/* Takes back what work_add_pages() added, before @pid's next event. */
void work_remove_pages(struct acct *a, struct window *w, int pid, uint64_t n);
/* The workqueue events of work whose address is known. */
int work_queue(struct acct *a, const struct event *ev);
int work_start(struct acct *a, const struct event *ev);
void work_end(struct acct *a, const struct event *ev);
/* The task events that link a kernel thread to the load that started it. */
int kthread_rename(struct acct *a, const struct event *ev);
int kthread_new(struct acct *a, const struct event *ev);
int kthread_wake(struct acct *a, const struct event *ev);
void work_free(struct acct_work *w);

/* account-sites.c */
/* Remembers @n pages as @pid's latest allocation, for the stack that may follow it. */
int sites_last(struct acct *a, int pid, uint64_t n);
/* The same for an allocation of @pid for a load's work or thread, of @pfn (STACK_NO_PFN). */
int sites_work(struct acct *a, int pid, uint64_t pfn);
/* "<stack trace>", a frame of it, and the end of it (any other event). */
int stack_begin(struct acct *a, const struct event *ev);
int stack_frame(struct acct *a, const struct event *ev);
int stack_end(struct acct *a);
