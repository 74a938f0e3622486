/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * budget: where the whole kernel's memory was at the report, from /proc/meminfo, the
 * command line, the initramfs file system and /run. The rows add up to MemTotal; the
 * rest is "kernel, other", which the module images and allocations are part of.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* How this kernel came to run: a capture kernel, and whose. */
enum capture_kind {
	CAPTURE_NONE,
	CAPTURE_KDUMP, /* kexec'd by the crashed kernel: elfcorehdr= on the command line */
	CAPTURE_FADUMP, /* ppc64 firmware-assisted dump: the firmware booted it, no elfcorehdr= */
};

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
	long long rootfs_size_kib; /* the size of a tmpfs rootfs (statfs); -1 */
	/* the values of crashkernel= of the command line, space-separated; "" when none */
	char crashkernel[128];
	char initramfs_options[64]; /* initramfs_options= (Linux 6.18: rootfs's mount) */
	bool capture; /* a capture kernel: kdump's or fadump's (enum capture_kind) */
	enum capture_kind kind;
	char capture_from[64]; /* what told it: elfcorehdr= or the fadump file */
	/*
	 * fadump: the boot memory the capture kernel ran in, summed from the firmware's
	 * dump structure (PowerVM), else /sys/kernel/fadump/mem_reserved (the dump area:
	 * the boot memory and a little more); -1 when unknown. The rest of RAM holds the
	 * crashed kernel's memory, reserved until the dump is written.
	 */
	long long fadump_boot_kib;
	const char *fadump_boot_from;
	bool fadump_opal; /* PowerNV's OPAL, not PowerVM: another least boot memory */
	long long system_ram_kib; /* fadump: all "System RAM" of iomem, the crashed system's */
	uint64_t crash_size; /* /sys/kernel/kexec/crash_size or kexec_crash_size; 0: none */
	uint64_t crash_cma; /* crashkernel=...,cma: sum of kexec/crash_cma_ranges; 0 */
	/* a capture kernel's, for the estimate; -1 (or 0 bytes) when unknown */
	long long ram_kib; /* its RAM: "System RAM" of iomem, the crashkernel region */
	/*
	 * ppc64: what the device tree reserves of that RAM from its first MiB, the crashed
	 * kernel's memory below the region, which iomem lists and @ram_kib leaves out
	 */
	long long fdt_reserved_kib;
	long long ram_high_kib; /* of it, above 4 GiB: crashkernel=...,high (its low part
				 * is the rest) */
	/* the compressed initramfs it freed ("Freeing initrd memory") */
	long long initrd_kib;
	/* the free pages of the per-CPU lists at the report (zoneinfo), which MemFree and
	 * MemAvailable leave out; -1 */
	long long pcp_kib;
	int cpus; /* "processor" lines of cpuinfo: the CPUs the capture kernel runs; 0 */
	/* /proc/vmcore: the crashed kernel's memory, with headers; VMCORE_BYTES_MAX at most */
	uint64_t vmcore_bytes;
	/* /proc/vmcore's size, when more than VMCORE_BYTES_MAX (then vmcore_bytes is 0) */
	uint64_t vmcore_bogus;
	long page_size;
};

/* The crashkernel= size a capture kernel needs, from what it measured. */
struct estimate {
	bool known; /* a capture kernel with its RAM known */
	long long ram_kib, low_avail_kib, initrd_kib, bitmap_kib, needed_kib;
	long long threads_kib; /* makedumpfile's threads: DUMP_THREAD_KIB a CPU beyond one */
	/* held at the low point by the modules loaded by then; -1: unknown (counts 0) */
	long long loaded_kib;
	long long dump_kib;    /* RAM - low + bitmaps + threads: the dump step's need */
	long long unpack_kib;  /* RAM - low + initrd - loaded: the unpacking's need */
	long long formula_kib; /* the larger of the two; needed_kib is it or tmpfs_kib */
	/* the OOM killer struck this many times: the memory ran out, whatever the samples
	 * say (one falls between them, and the kill frees memory); the sums take 0 for the
	 * low point and short_kib is a least */
	uint64_t oom_kills;
	/* the RAM a tmpfs rootfs needs to hold the unpacked initramfs (0: no such limit) */
	long long tmpfs_kib;
	long long low_pcp_kib; /* free in the per-CPU lists then, -1: unknown (counts 0) */
	long long ram_high_kib; /* of ram_kib, above 4 GiB: a ,high reservation's */
	bool initrd_known;
	long long mib;	     /* needed_kib in MiB, rounded up to ESTIMATE_STEP_MIB */
	long long short_kib; /* needed_kib beyond ram_kib: how much it lacked, or 0 */
	/*
	 * fadump: crashkernel= with fadump=on sizes the boot memory; mib is at least the
	 * kernel's least boot memory (min_mib), and the kernel cuts a value above max_mib
	 * (25 % of RAM) down to it; default_mib is what it takes without crashkernel=;
	 * both -1 when RAM is unknown.
	 */
	bool fadump;
	long long fadump_min_mib, fadump_max_mib, fadump_default_mib;
};

/*
 * makedumpfile(8) keeps two bitmaps of a bit per page of the crashed kernel's memory,
 * but in its cyclic mode, the default, never more than 4 MiB of them at a time
 * (makedumpfile.c, calculate_cyclic_buffer_size(): "4MB will be enough for performance
 * according to benchmarks"), which a machine of 64 GiB reaches.
 */
#define DUMP_BITMAPS_MAX_KIB 4096

/*
 * No machine kdump serves has more (4 PiB): a larger /proc/vmcore comes of ELF headers
 * that kexec-tools got wrong (2.0.25 on Debian 12's arm64 6.1, "Cannot get kernel _text
 * symbol address": a PT_LOAD at 0xffffffffffffffff), and its size says nothing of the
 * crashed kernel's memory; the bitmaps are then taken at their most.
 */
#define VMCORE_BYTES_MAX (1ull << 52)

/*
 * The estimate is rounded up to this many MiB. The sum below comes within a MiB of the
 * smallest crashkernel= that dumps where unpacking the initramfs is what limits: Debian's
 * 6.1 with an 18 MB initramfs summed 136.8 MiB and died unpacking at 136M (kdump-test's
 * estimate kind). Rounded up to 8 MiB with the per-CPU lists taken off, its estimate was
 * that 136M; 16 MiB of rounding is the margin for what the unpacking holds and the low
 * point cannot show (the decompressor's buffers, the kernel's init memory).
 */
#define ESTIMATE_STEP_MIB 16

/* @kib in MiB, rounded up to ESTIMATE_STEP_MIB: the crashkernel= of an estimate. */
long long budget_round_mib(long long kib);

/*
 * kdump-utils gives makedumpfile a thread a CPU of the capture kernel (--num-threads,
 * since d428557), and each takes about 1 MiB more (measured in its pull request #14:
 * 4 MiB of RSS with none, 18 MiB with 16).
 */
#define DUMP_THREAD_KIB 1024

/*
 * What the capture kernel needed, the larger of two moments' (the tmpfs rootfs's limit
 * aside, tmpfs_kib). Both start from its RAM less the lowest MemAvailable
 * (@low_avail_kib, the report's own when no watcher sampled): what it used then.
 * - The dump step: that, plus the dump tool's bitmaps (DUMP_BITMAPS_MAX_KIB at most)
 *   and threads, which come after the report.
 * - The unpacking of the initramfs, before any module of it loaded: that, plus the
 *   compressed initramfs it held then and freed since, less what the modules loaded by
 *   the low point held then, their images and their loads' allocations (@loaded_kib,
 *   -1: unknown, counts 0), which it did not hold yet. All else used at the low point
 *   (user space, the page cache, slab) stands for what the unpacking held and the low
 *   point does not: the kernel's init memory and the decompressor's buffers (Debian's
 *   6.1 with an 18 MB initramfs summed 136.8 MiB without the modules and died
 *   unpacking at 136M).
 * The free pages in the per-CPU lists at the low (@low_pcp_kib, -1: unknown) are kept
 * beside it: the allocator drains them before it runs out. After @oom_kills kills of
 * the OOM killer the memory ran out: the sums take no memory as available.
 */
void budget_estimate(const struct budget *b, long long low_avail_kib,
		     long long low_pcp_kib, long long loaded_kib, uint64_t oom_kills,
		     struct estimate *e);

/* The row's name and its source, for the sinks. */
const char *budget_row_name(enum budget_row r);
const char *budget_row_source(enum budget_row r);

/*
 * Reads @proc/meminfo and @proc/cmdline, and whether this is a capture kernel: kdump's
 * (elfcorehdr=) or fadump's (@proc/device-tree, and with @root its /sys/kernel/fadump);
 * with @root, also /sys/kernel/kexec/crash_size (or kexec_crash_size) and the CMA ranges
 * under @root; live (@root "/"), also the kernel log, /run and the files and size of the
 * root file system (the initramfs). Leaves b->known false when meminfo cannot be read.
 */
void budget_read(struct budget *b, const char *proc, const char *root);

/*
 * What the running kernel reserved for a capture kernel, in bytes, from @root's /sys
 * ("" for /): /sys/kernel/kexec/crash_size, else kexec_crash_size; 0 when nothing or
 * unknown. The path of the file last tried goes to @path (@n bytes).
 */
uint64_t budget_crash_size(const char *root, char *path, size_t n);

/*
 * The CMA that the running kernel reserved for a capture kernel besides crash_size
 * (crashkernel=...,cma, Linux 6.17), in bytes, summed from @root's
 * /sys/kernel/kexec/crash_cma_ranges (else kexec_crash_cma_ranges); 0 when none or
 * unknown. The path of the file last tried goes to @path (@n bytes).
 */
uint64_t budget_crash_cma(const char *root, char *path, size_t n);
