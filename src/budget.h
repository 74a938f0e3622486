/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * budget: where the whole kernel's memory was at the report, from /proc/meminfo, the
 * command line, the initramfs file system and /run. The rows add up to MemTotal; the
 * rest is "kernel, other", which the module images and allocations are part of.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A row: what, where it came from, and KiB (-1: unknown). */
enum budget_row {
	BUDGET_FREE,	   /* MemFree */
	BUDGET_FILES,	   /* Cached + Buffers: page cache, the initramfs and /run */
	BUDGET_ANON,	   /* AnonPages: user space */
	BUDGET_SLAB,	   /* Slab */
	BUDGET_PAGETABLES, /* PageTables */
	BUDGET_KSTACK,	   /* KernelStack */
	BUDGET_PERCPU,	   /* Percpu */
	BUDGET_OTHER,	   /* MemTotal less the rows above */
	BUDGET_ROWS
};

struct budget {
	bool known;		/* MemTotal was read: the rows mean something */
	long long total, avail; /* MemTotal, MemAvailable */
	long long row[BUDGET_ROWS];
	long long initramfs_kib; /* the files of / (the unpacked initramfs), walked; -1 */
	long long run_kib;	 /* /run's used blocks (statfs); -1 */
	char crashkernel[64];	 /* crashkernel= of the command line, "" when none */
	bool capture;	     /* elfcorehdr= on the command line: a kdump capture kernel */
	uint64_t crash_size; /* /sys/kernel/kexec_crash_size, 0 when none */
	/* a capture kernel's, for the estimate; -1 (or 0 bytes) when unknown */
	long long ram_kib; /* its RAM: "System RAM" of iomem, the crashkernel region */
	/* the compressed initramfs it freed ("Freeing initrd memory") */
	long long initrd_kib;
	/* /proc/vmcore: the crashed kernel's memory, with headers */
	uint64_t vmcore_bytes;
	long page_size;
};

/* The crashkernel= size a capture kernel needs, from what it measured. */
struct estimate {
	bool known; /* a capture kernel with its RAM known */
	long long ram_kib, low_avail_kib, initrd_kib, bitmap_kib, needed_kib;
	bool initrd_known;
	long long mib;	     /* needed_kib in MiB, rounded up to a multiple of 16 */
	long long short_kib; /* needed_kib beyond ram_kib: how much it lacked, or 0 */
};

/*
 * What the capture kernel needed: its RAM less the lowest MemAvailable (@low_avail_kib,
 * the report's own when no watcher sampled), plus the compressed initramfs it held
 * while unpacking it, plus the dump tool's bitmaps (makedumpfile(8): a bit per page of
 * the crashed kernel's memory, in two bitmaps).
 */
void budget_estimate(const struct budget *b, long long low_avail_kib, struct estimate *e);

/* The row's name and its source, for the sinks. */
const char *budget_row_name(enum budget_row r);
const char *budget_row_source(enum budget_row r);

/*
 * Reads @proc/meminfo and @proc/cmdline; with @root (live: "/"), also walks the files of
 * @root's file system and reads /run and /sys/kernel/kexec_crash_size under @root.
 * Leaves b->known false when meminfo cannot be read.
 */
void budget_read(struct budget *b, const char *proc, const char *root);
