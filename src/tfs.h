/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tfs: control of tracefs. Finding (and in the initramfs mounting) it, its small files,
 * and the trace buffers: the idle top-level buffer claimed and given back, an instance
 * made and removed, or the top-level buffer of trace_event= on the kernel command line.
 * Every function takes the directory of the buffer it controls, so the same calls serve
 * all three.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSTANCE_NAME "memdebug-ko"

struct tfs {
	/* the tracing directory: /sys/kernel/tracing or a test tree */
	char dir[PATH_MAX];
	char inst[PATH_MAX]; /* dir/instances/memdebug-ko */
};

/* Locating */

/*
 * Locates the tracing directory: @dir when given, else /sys/kernel/tracing, else
 * /sys/kernel/debug/tracing. With @mount_it, mounts tracefs (or debugfs on old kernels,
 * and sysfs when /sys is empty) with mount(2): no /proc or mount binary is needed.
 * Returns 0 or -errno (reported here).
 */
int tfs_locate(struct tfs *t, const char *dir, bool mount_it);

/* True when @path lies on a real tracefs or debugfs (not a test tree). */
bool tfs_is_kernel_fs(const char *path);

/*
 * The kernel lockdown mode, the bracketed word of /sys/kernel/security/lockdown, into
 * @mode (@n bytes); "" when unknown (no securityfs, or a kernel without lockdown).
 * "confidentiality" forbids tracefs; "integrity" (Secure Boot) allows it.
 */
void tfs_lockdown_mode(char *mode, size_t n);

/* Files: these return 0 or -errno and leave reporting to the caller */

/* Formats dir/<fmt> into @out (PATH_MAX); returns @out. */
char *tfs_path(char *out, const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes @val to @path (an existing file). */
int tfs_write(const char *path, const char *val);

/* Writes @val to the file @file of the buffer directory @buf ("tracing_on" ...). */
int tfs_set(const char *buf, const char *file, const char *val);

/*
 * tfs_set() where @file does not hold @val already (as its whole content, or as the
 * bracketed choice of trace_clock): a clock written waits for RCU grace periods, some
 * 60 ms of a report under QEMU TCG, for nothing when it is the same.
 */
int tfs_set_changed(const char *buf, const char *file, const char *val);

/*
 * Expedited RCU grace periods for a while: each tracefs write that clears a filter or a
 * trigger, resizes or empties the buffer, and each kprobe removed waits for one or two
 * grace periods, 15 to 130 ms a write under QEMU TCG. Where @dir is the kernel's tracefs
 * (a test's tree is not: the machine's RCU is none of its business), writes 1 to
 * /sys/kernel/rcu_expedited where it holds 0, and returns whether it did: then
 * tfs_rcu_normal(true) writes 0 back.
 */
bool tfs_rcu_expedite(const char *dir);
void tfs_rcu_normal(bool expedited);

/* Reads a decimal number from @path. */
int tfs_read_u64(const char *path, uint64_t *out);

/* Whether file @file of @buf starts with "1" (tracing on, an event enabled). */
bool tfs_is_on(const char *buf, const char *file);

/* Buffers and events */

/* Makes the instance t->inst; *existed tells whether it was there already. */
int tfs_instance_create(const struct tfs *t, bool *existed);

/* Removes the instance: the kernel frees its ring buffer. */
int tfs_instance_remove(const struct tfs *t);

/* Enables the event SYS/EVENT of @buf. */
int tfs_event_enable(const char *buf, const char *sys, const char *event);

/* Sets the filter of SYS/EVENT of @buf ("0" clears it). */
int tfs_event_filter(const char *buf, const char *sys, const char *event,
		     const char *filter);

/* Whether SYS/EVENT exists in @buf. */
bool tfs_event_exists(const char *buf, const char *sys, const char *event);

/*
 * Appends the kprobe event definition @def ("p:SYS/EVENT FUNC ARGS") to kprobe_events,
 * which is global: every buffer then has the event. Returns 0 or the kernel's -errno.
 */
int tfs_kprobe_add(const struct tfs *t, const char *def);

/* Removes the kprobe event SYS/EVENT if it exists (no buffer may have it enabled). */
int tfs_kprobe_remove(const struct tfs *t, const char *sys, const char *event);

/* Removes trigger @trigger ("stacktrace") from SYS/EVENT of @buf, if it has it. */
int tfs_trigger_clear(const char *buf, const char *sys, const char *event,
		      const char *trigger);

/*
 * The value of gfp flag @name ("__GFP_ACCOUNT") as mm_page_alloc's format in @buf prints
 * it: "(( gfp_t)0x400000u), \"NAME\"" or "(( gfp_t)((((1UL))) << (22))), \"NAME\"".
 * Returns 0, or -errno (-ENOENT: the format does not name it, -EINVAL: unreadable).
 */
int tfs_gfp_flag(const char *buf, const char *name, uint64_t *val);

/* Events the ring buffer of @buf dropped (no-overwrite mode) or overwrote, all CPUs. */
int tfs_lost_events(const char *buf, uint64_t *lost);

/* Events the ring buffer of @buf holds now, all CPUs. */
int tfs_entries(const char *buf, uint64_t *entries);

/* The top-level buffer */

/* The settings of the top-level buffer that prepare changes when it claims it. */
struct tfs_top {
	char buffer_kb[24]; /* per CPU: "7" on a buffer the kernel has not expanded */
	char clock[24];	    /* "local" */
	char overwrite[4];  /* options/overwrite: "1" */
	char tracing_on[4]; /* "1" */
	char sym_offset[4]; /* options/sym-offset: "0", or "-" when unreadable */
	char hash_ptr[4];   /* options/hash-ptr (5.12+): "1", or "-" when unreadable */
};

/*
 * Whether the top-level buffer is idle as the kernel leaves it at boot: the nop tracer,
 * no event enabled, nothing recorded. Unlike an instance, which on kernels before 6.6
 * creates a dentry and an inode per event file (8 MB and more), claiming it costs only
 * its buffer. When it is not idle, @why (@n bytes) says what uses it.
 */
bool tfs_top_idle(const struct tfs *t, char *why, size_t n);

/* Reads the settings of the top-level buffer into @s. Returns 0 or -errno. */
int tfs_top_save(const struct tfs *t, struct tfs_top *s);

/*
 * Gives the settings of the top-level buffer back as @s says they were: its size (which
 * frees its pages), the buffer emptied (setting the clock back does that), its clock,
 * overwrite, sym-offset and hash-ptr modes and tracing_on. Its events are the caller's to turn
 * off first. Does every step; returns 0 or the first -errno.
 */
int tfs_top_restore(const struct tfs *t, const struct tfs_top *s);
