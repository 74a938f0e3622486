/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * live: the trace buffer of this boot as watch and report read it: the idle top-level
 * buffer prepare claimed, the instance prepare made, or the top-level buffer that
 * trace_event= on the kernel command line filled. It is stopped while it is read, then
 * given back (its memory goes back to the kernel) or, when it is not ours, left tracing
 * as it was.
 */
#pragma once

#include <stdbool.h>

#include "account.h"
#include "loaders.h"
#include "source.h"
#include "tfs.h"

struct live {
	struct tfs t;
	const char *buf;	/* t.inst, or t.dir for the top-level buffer */
	const char *run_dir;	/* where prepare left its claim (state.h) */
	bool open;		/* found: live_close() has work to do */
	bool top;		/* the top-level buffer */
	bool ours;		/* top: prepare claimed it (else: boot parameters) */
	bool was_on;		/* top, not ours: tracing_on before report stopped it */
	struct tfs_top saved;	/* ours: the settings to give back */
	struct loaders loaders; /* the given ones and those the kmem filter names */
	/* where the raw stacks' modules are (source-raw.h); NULL: the kernel's */
	const char *sys_module;
};

/*
 * Finds the buffer in @tracefs (NULL: the usual places), with prepare's claim in
 * @run_dir; returns 0 or -errno (reported).
 */
int live_find(struct live *l, const char *tracefs, const char *run_dir);

/* Finds the buffer as live_find() does and stops tracing in it. */
int live_open(struct live *l, const char *tracefs, const char *run_dir);

/*
 * What the accounting and the report must know besides the events: the loaders the kmem
 * filter recorded (from @given and the filter itself), whether module_put exists, the
 * buffer's size. @f borrows l->loaders.
 */
void live_facts(struct live *l, const struct loaders *given, struct acct_facts *f,
		struct source_info *info);

/*
 * Saves the text trace to @save_path when given, then feeds every event to @fn: from
 * the raw ring buffers where this build and the kernel allow it and the buffer may be
 * consumed (an instance, not @keep), else from the text trace. Returns 0 or
 * -errno (reported).
 */
int live_read(struct live *l, bool keep, const char *save_path, event_fn fn, void *ctx,
	      struct source_stats *st);

/*
 * Whether rd.memdebug=5's stacks are recorded: read as the kernel prints them, with
 * symbols. Those of rd.memdebug=4 (the late pages; prepare leaves options/sym-offset
 * off) are read from the raw buffers, their frames placed by address.
 */
bool live_stacks(const struct live *l);

/* Whether the buffer has raw per-CPU files (a kernel's, or a test tree's). */
bool live_has_raw(const struct live *l);

/* Lost events as the ring buffer's own per-CPU counts say, into @st (else warns). */
void live_lost(struct live *l, struct source_stats *st);

/*
 * After the report, also a failed one: gives the buffer back, the top level as it was
 * before prepare claimed it or the instance removed (in a kdump kernel its memory
 * matters more than a retry), logging the free memory of @proc that came back; with
 * @keep, or for the top level of boot parameters, turns tracing back on as it was.
 * Returns 0 or -errno, reported as a warning.
 */
int live_close(struct live *l, bool keep, const char *proc);

/*
 * live_close() without @keep, in a child that nobody waits for, so that the root can be
 * switched meanwhile: giving the buffer back waits for RCU grace periods, hundreds of ms
 * in a slow VM. Its messages go where the caller's go. Without a child (fork failed), it
 * is done before returning. Returns 0, or what live_close() returned.
 */
int live_close_detached(struct live *l, const char *proc);
