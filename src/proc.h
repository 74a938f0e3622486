/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proc: what /proc says about modules and memory, read from any proc root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* One line of /proc/modules. */
struct proc_module {
	char name[MODNAME_MAX + 1];
	uint64_t size; /* the image in bytes */
	bool live;     /* state Live: its init returned */
};

/*
 * Reads the modules file @path (newest module first, as the kernel lists them) into a
 * new array the caller frees; lines that are not "name size ..." are skipped.
 * Returns 0 or -errno: running out of memory is reported here, a file that cannot be read
 * is the caller's to say.
 */
int proc_modules_read(const char *path, struct proc_module **out, size_t *n);

/* MemFree of @proc/meminfo in KiB, or -1. */
long long proc_mem_free_kb(const char *proc);

/* Field @key ("MemTotal:") at the start of a line of meminfo text @text, in KiB, or -1. */
long long proc_text_kb(const char *text, const char *key);

/* MemAvailable of the meminfo file open at @fd (read from its start) in KiB, or -1. */
long long proc_available_fd(int fd);

/* Field @key ("RssAnon:") of /proc/self/status in KiB, or -1. */
long long proc_self_kb(const char *key);

/*
 * The free pages in the per-CPU page lists of @proc/zoneinfo ("count:" of each pageset),
 * in KiB, or -1. MemFree does not count them: freed pages land there first (a removed
 * trace buffer on Linux 6.12 went there whole).
 */
long long proc_pcp_free_kb(const char *proc);

/*
 * The same of the zoneinfo file open at @fd (read from its start), for a resident process
 * that reads it again, and after the root is switched; -1 when it has no count.
 */
long long proc_pcp_free_fd(int fd);

/* Free memory at one moment, in KiB, -1 where unknown. */
struct proc_free {
	long long mem_free; /* MemFree */
	long long pcp;	    /* the per-CPU page lists (proc_pcp_free_kb) */
};

/* Reads MemFree and the per-CPU page lists of @proc. */
void proc_free_read(const char *proc, struct proc_free *f);

/*
 * Logs "WHAT: free memory +N KiB (MemFree A KiB before, B KiB after; with the per-CPU
 * page lists C KiB before, D KiB after)": N counts the per-CPU lists where both readings
 * have them. Without MemFree, WHAT and that it is unknown.
 */
void proc_free_log(const char *what, const struct proc_free *before,
		   const struct proc_free *after);
