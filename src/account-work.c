// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Work and kernel threads: the pages a load has others take for it. Work the loader
 * queues inside its window (and work that work queues) is the load's wherever a kworker
 * runs it, also after init returned; so is a kernel thread the load (or its work, or its
 * thread) starts, linked to its creator by task_rename up to Linux 6.1 or by
 * task_newtask and the first wakeup from 6.2.
 */
#include <string.h>

#include "account-parts.h"
#include "catalog.h"

/* How long a new thread may take to wake its creator: far more than it does. */
#define NEWBORN_NS 1000000000ull

struct window *work_window(struct acct *a, int pid)
{
	uint64_t *v = u64map_get(&a->work.running, pid_key(pid));

	if (!v)
		v = u64map_get(&a->work.kthread, pid_key(pid));
	return v ? &a->win[*v] : NULL;
}

void work_add_pages(struct acct *a, struct window *w, int pid, uint64_t n)
{
	if (!u64map_get(&a->work.running, pid_key(pid)))
		w->kthread_pages += n;
	w->work_pages += n;
	if (w->end != END_OPEN)
		w->work_late += n;
}

void work_remove_pages(struct acct *a, struct window *w, int pid, uint64_t n)
{
	if (!u64map_get(&a->work.running, pid_key(pid)))
		w->kthread_pages -= n;
	w->work_pages -= n;
	if (w->end != END_OPEN)
		w->work_late -= n;
}

/*
 * Kernel thread @child was started by @creator: a load (or its work, or its thread) that
 * starts a thread owns the thread's pages. Both ways of seeing it may fire for one thread.
 */
static int link_kthread(struct acct *a, int creator, int child)
{
	uint64_t *have = u64map_get(&a->work.kthread, pid_key(child)), idx;
	struct window *w = acct_open_window(a, creator);

	if (!w)
		w = work_window(a, creator);
	if (!w) {
		u64map_del(&a->work.kthread, pid_key(child));
		return 0;
	}
	idx = (uint64_t)(w - a->win);
	if (have && *have == idx)
		return 0;
	w->kthreads++;
	return u64map_put(&a->work.kthread, pid_key(child), idx);
}

/*
 * task_rename from kthreadd's name: up to Linux 6.1 kthread_create names the thread
 * kthreadd forked for its caller, in the caller. A kernel that lets the thread name
 * itself hides the caller: counted, and the report says so.
 */
int kthread_rename(struct acct *a, const struct event *ev)
{
	if (!ev->from_kthreadd)
		return 0;
	if (ev->child == ev->pid) {
		a->counts.kthreads_unlinked++;
		return 0;
	}
	return link_kthread(a, ev->pid, ev->child);
}

/*
 * From Linux 6.2 kthreadd forks the thread under its name: task_newtask by kthreadd.
 * kworkers are the workqueues' own (their creator is a pool's manager), not a load's.
 */
int kthread_new(struct acct *a, const struct event *ev)
{
	if (ev->comm_len != 8 || memcmp(ev->comm, "kthreadd", 8) ||
	    loaders_is_kworker(ev->name, ev->name_len))
		return 0;
	return u64map_put(&a->work.newborn, pid_key(ev->child), ev->ts_ns);
}

/*
 * sched_waking, the first between the new thread and another task: the thread's first
 * act, complete(&done), wakes the task waiting in kthread_create, unless that task had
 * not gone to sleep yet (one CPU), and then that task's wake_up_process() is the first
 * wakeup of the thread. Either way the other task is its creator. A wakeup in an
 * interrupt is neither: a softirq that ran on the new thread's stack woke a task of its
 * own (DAMON's kdamond.0 on 7.3), which the trace names as if the thread had.
 */
int kthread_wake(struct acct *a, const struct event *ev)
{
	int thread = ev->child, creator = ev->pid;
	uint64_t *born, ts;

	if (ev->irq)
		return 0;
	/*
	 * What the kernel's filter drops, dropped here too when the trace was recorded
	 * without it (trace_event=): a new thread's RCU softirq may wake rcu_preempt first.
	 */
	if (catalog_wake_dropped(ev->name, ev->name_len))
		return 0;
	born = u64map_get(&a->work.newborn, pid_key(thread));
	if (!born) {
		thread = ev->pid;
		creator = ev->child;
		born = u64map_get(&a->work.newborn, pid_key(thread));
	}
	if (!born)
		return 0;
	ts = *born;
	u64map_del(&a->work.newborn, pid_key(thread));
	if (ev->ts_ns < ts || ev->ts_ns - ts > NEWBORN_NS)
		return 0;
	return link_kthread(a, creator, thread);
}

/*
 * workqueue_queue_work: work queued by a loader inside its window, or by a kworker
 * running such work (async_schedule, a work item that queues the next), is the load's.
 * The same work_struct queued by anyone else (an interrupt, a timer) is not.
 */
int work_queue(struct acct *a, const struct event *ev)
{
	struct window *w = acct_open_window(a, ev->pid);

	if (!w)
		w = work_window(a, ev->pid);
	if (!w) {
		u64map_del(&a->work.owner, ev->work);
		return 0;
	}
	return u64map_put(&a->work.owner, ev->work, (uint64_t)(w - a->win));
}

/* workqueue_execute_start: the kworker runs the load's work until its execute_end. */
int work_start(struct acct *a, const struct event *ev)
{
	uint64_t *v = u64map_get(&a->work.owner, ev->work);
	uint64_t idx;

	if (!v) {
		u64map_del(&a->work.running, pid_key(ev->pid));
		return 0;
	}
	idx = *v;
	u64map_del(&a->work.owner, ev->work);
	return u64map_put(&a->work.running, pid_key(ev->pid), idx);
}

void work_end(struct acct *a, const struct event *ev)
{
	u64map_del(&a->work.running, pid_key(ev->pid));
}

void work_free(struct acct_work *w)
{
	u64map_free(&w->owner);
	u64map_free(&w->running);
	u64map_free(&w->kthread);
	u64map_free(&w->newborn);
}
