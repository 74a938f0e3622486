/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state: what one command of this boot leaves in RUNDIR for the next.
 * - RUNDIR/top-level: the claim of the top-level buffer (claim.c).
 * - The accounting handed from a watcher (memdebug-ko watch), which consumed the trace
 *   as it came, to report. The watcher keeps its pid in RUNDIR/watch.pid; report stops
 *   tracing, signals it, and the watcher drains the buffer, writes RUNDIR/state and
 *   exits. Both sides are the same binary: the state is the windows as they are in
 *   memory.
 */
#pragma once

#include <stdbool.h>

#include "account.h"
#include "lowpoint.h"
#include "source.h"
#include "tfs.h"

#define DEFAULT_RUN_DIR "/run/memdebug-ko"

/*
 * Once per boot: report marks RUNDIR/reported when it has run (the buffer given back,
 * or no buffer to report on), and with --once no later prepare, watcher or report of
 * the same boot (an emergency round, a unit started again, a hook run twice) arms or
 * reports again. A prepare that failed marks RUNDIR/prepare-failed: report --once then
 * says so in one line instead of failing in its turn.
 */
#define STATE_REPORTED	     "reported"
#define STATE_PREPARE_FAILED "prepare-failed"

/*
 * report --detach gives the buffer back in a process of its own, which holds an
 * exclusive flock(2) on RUNDIR/give-back until it ends (the kernel drops it however it
 * ends). A later report --once of the same boot (an emergency round, a panic) waits
 * for it, so that the machine does not power off with the give-back half done.
 */
#define STATE_GIVE_BACK "give-back"

/* Takes the give-back lock; returns its descriptor (which fork passes on) or -errno. */
int state_give_back_lock(const char *run_dir);

/* Waits up to 20 s for a detached give-back of this boot to end; says why it waits. */
void state_give_back_wait(const char *run_dir);

/* Marks @name in @run_dir (made if missing). Returns 0 or -errno. */
int state_mark(const char *run_dir, const char *name);

/* Whether @name is marked in @run_dir. */
bool state_marked(const char *run_dir, const char *name);

/* Takes the mark @name away. */
void state_unmark(const char *run_dir, const char *name);

/*
 * Takes RUNDIR/watch.lock, which a watcher holds as long as it lives, so that at most one
 * runs. Returns the descriptor that holds it, -EWOULDBLOCK when another watcher holds
 * it, or another -errno.
 */
int state_watch_lock(const char *run_dir);

/* The pid of a watcher that runs for @run_dir, or 0. */
int state_watcher(const char *run_dir);

/* Writes the watcher's pid file in @run_dir (made if missing). Returns 0 or -errno. */
int state_write_pid(const char *run_dir, int pid);

/*
 * The watcher's last word: @a (its windows, call sites and counts, whole), its low point
 * @low and @st written to RUNDIR/state, the pid file removed.
 */
int state_save(const char *run_dir, const struct acct *a, const struct low_point *low,
	       const struct source_stats *st, bool trace_saved);

/*
 * Report's side: when a watcher runs (or ran) for this boot, stops it and loads what it
 * counted into @a (set up with the facts), its low point into @low, and @st; *taken
 * tells whether it did, and *trace_saved whether the watcher kept a copy of the text
 * trace. A watcher that is gone without a state leaves a gap: st->gap is set. Returns 0
 * or -errno (reported).
 */
int state_take(const char *run_dir, struct acct *a, struct low_point *low,
	       struct source_stats *st, bool *taken, bool *trace_saved);
