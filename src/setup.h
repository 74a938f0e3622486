/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * setup: the catalog applied to a trace buffer. prepare enables its events group by
 * group, with the loader filters, the kprobe definitions and rd.memdebug=5's triggers;
 * the give-back turns exactly those off again, and removes the kprobe events.
 */
#pragma once

#include <stdbool.h>

#include "loaders.h"
#include "tfs.h"

/* Which page allocations get their kernel stack recorded. */
enum setup_stacks {
	SETUP_STACKS_NONE,
	/* rd.memdebug=4: those that no loader makes, and the kworkers': late pages */
	SETUP_STACKS_LATE,
	SETUP_STACKS_ALL, /* rd.memdebug=5: all recorded, for the call sites */
};

/*
 * Enables the catalog's events in @buf (the top level or the instance of @t), the page
 * events and work filtered to the loaders @l, with stacktrace triggers as @stacks says.
 * Kprobe arguments named by BTF are read by position from BTF file @btf
 * (/sys/kernel/btf/vmlinux) where it can be read. A group the kernel lacks is explained
 * in one line and left off. Returns 0, or -errno when module loads cannot be traced at
 * all (reported).
 */
int setup_events(const struct tfs *t, const char *buf, const struct loaders *l,
		 enum setup_stacks stacks, const char *btf);

/*
 * Turns the catalog's events of @buf off, with their filters and triggers (the kprobe
 * events stay defined: setup_remove_probes() once no buffer has them on). Does every
 * step; returns 0 or the first -errno.
 */
int setup_disable(const char *buf);

/* Removes the catalog's kprobe events; each failure is reported with its remedy. */
int setup_remove_probes(const struct tfs *t);

/*
 * Whether the kernel command line (trace_event=, see `memdebug-ko cmdline`) has recorded
 * module loads and page events into the top-level buffer since the first userspace
 * instruction: that buffer then sees every load, also those before prepare, and no
 * instance is needed.
 */
bool setup_traced_since_boot(const struct tfs *t);

/*
 * After setup_traced_since_boot: warns, with what the report loses, of every event the
 * kernel command line left off in the top-level buffer while others of its group are on
 * (a boot-time event can lose a race with tracefs: a kprobe event without its return).
 */
void setup_check_since_boot(const struct tfs *t);
