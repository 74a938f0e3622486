/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * claim: the idle top-level trace buffer, taken for module loads and given back. Its
 * settings before prepare are kept in RUNDIR/top-level, the claim: without that file the
 * top-level buffer is not ours. prepare takes it, report (or a failed prepare) gives it
 * back: the catalog's events off, then the settings as they were, then the claim goes.
 */
#pragma once

#include "tfs.h"

/*
 * Takes the top-level buffer of @t if it is idle: its settings read into @saved and
 * written to the claim in @run_dir (made if missing). Returns 0, or -EAGAIN (explained)
 * when it cannot be claimed: the caller traces in an instance then.
 */
int claim_take(const struct tfs *t, const char *run_dir, struct tfs_top *saved);

/*
 * 1 when this boot's prepare claimed the top-level buffer (its old settings in @saved),
 * else 0; -errno (reported) for a claim that cannot be read.
 */
int claim_read(const char *run_dir, struct tfs_top *saved);

/* Removes the claim from the run directory @dirfd holds open. */
void claim_forget_at(int dirfd);

/*
 * Gives the claimed top-level buffer of @t back as @saved says it was, and removes the
 * claim from @run_dir (NULL: the caller does, with claim_forget_at()). Returns 0 or the
 * first -errno (reported, with how to free the buffer by hand); the claim then stays.
 * The caller has turned the events off first (setup_disable): each of its writes waits
 * for RCU grace periods, and done twice they cost a TCG report some 120 ms.
 */
int claim_give_back(const struct tfs *t, const char *run_dir,
		    const struct tfs_top *saved);
