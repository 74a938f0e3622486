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
	bool known;		  /* MemTotal was read: the rows mean something */
	long long total, avail;	  /* MemTotal, MemAvailable */
	long long row[BUDGET_ROWS];
	long long initramfs_kib;  /* the files of / (the unpacked initramfs), walked; -1 */
	long long run_kib;	  /* /run's used blocks (statfs); -1 */
	char crashkernel[64];	  /* crashkernel= of the command line, "" when none */
	bool capture;		  /* elfcorehdr= on the command line: a kdump capture kernel */
	uint64_t crash_size;	  /* /sys/kernel/kexec_crash_size, 0 when none */
};

/* The row's name and its source, for the sinks. */
const char *budget_row_name(enum budget_row r);
const char *budget_row_source(enum budget_row r);

/*
 * Reads @proc/meminfo and @proc/cmdline; with @root (live: "/"), also walks the files of
 * @root's file system and reads /run and /sys/kernel/kexec_crash_size under @root.
 * Leaves b->known false when meminfo cannot be read.
 */
void budget_read(struct budget *b, const char *proc, const char *root);
