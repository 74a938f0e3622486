// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "budget.h"
#include "io.h"
#include "proc.h"

/* statfs's f_type of the file systems an initramfs lives in (linux/magic.h; musl has none) */
#define RAMFS_MAGIC 0x858458f6
#define TMPFS_MAGIC 0x01021994

static const struct {
	const char *name, *source;
} rows[BUDGET_ROWS] = {
	[BUDGET_FREE] = { "free", "MemFree" },
	[BUDGET_FILES] = { "files",
			   "Cached + Buffers: the page cache, the initramfs, /run" },
	[BUDGET_ANON] = { "user space", "AnonPages" },
	[BUDGET_SLAB] = { "slab", "Slab" },
	[BUDGET_PAGETABLES] = { "page tables", "PageTables" },
	[BUDGET_KSTACK] = { "kernel stacks", "KernelStack" },
	[BUDGET_PERCPU] = { "percpu", "Percpu" },
	[BUDGET_OTHER] = { "kernel, other", "MemTotal less the rows above" },
};

const char *budget_row_name(enum budget_row r)
{
	return rows[r].name;
}

const char *budget_row_source(enum budget_row r)
{
	return rows[r].source;
}

/* KiB in blocks of the files of @dir's file system (not crossing mounts), or -1. */
static long long walk_kib(int dirfd, dev_t dev, int depth)
{
	long long sum = 0, sub;
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd;

	dir = fdopendir(dirfd);
	if (!dir) {
		close(dirfd);
		return -1;
	}
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_dev != dev)
			continue;
		sum += (long long)st.st_blocks / 2;
		if (!S_ISDIR(st.st_mode) || depth >= 64)
			continue;
		fd = openat(dirfd, d->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		sub = walk_kib(fd, dev, depth + 1);
		if (sub > 0)
			sum += sub;
	}
	closedir(dir);
	return sum;
}

/*
 * Appends the value of every @key (with its '=') of the command line @buf to @out (@n
 * bytes), space-separated: crashkernel= comes more than once (",low" or ",cma" beside
 * the main part).
 */
static void cmdline_values(const char *buf, const char *key, char *out, size_t n)
{
	size_t k = strlen(key), len, used;
	const char *p;

	for (p = buf; (p = strstr(p, key)); p++) {
		if (p != buf && p[-1] != ' ')
			continue;
		len = strcspn(p + k, " \n");
		used = strlen(out);
		snprintf(out + used, n - used, "%s%.*s", used ? " " : "", (int)len,
			 p + k);
	}
}

/* crashkernel=, initramfs_options= and elfcorehdr= of the command line @buf. */
static void read_cmdline(struct budget *b, const char *buf)
{
	const char *p;

	cmdline_values(buf, "crashkernel=", b->crashkernel, sizeof(b->crashkernel));
	cmdline_values(buf, "initramfs_options=", b->initramfs_options,
		       sizeof(b->initramfs_options));
	for (p = buf; (p = strstr(p, "elfcorehdr=")); p++)
		if (p == buf || p[-1] == ' ') {
			b->kind = CAPTURE_KDUMP;
			snprintf(b->capture_from, sizeof(b->capture_from), "elfcorehdr=");
		}
}

/*
 * fadump, ppc64's firmware-assisted dump (Linux arch/powerpc/kernel/fadump.c and
 * Documentation/arch/powerpc/firmware-assisted-dump.rst). The crashed kernel registered
 * its memory with the firmware; after the crash the firmware boots the same kernel
 * afresh, with no elfcorehdr=, and that kernel finds the dump active:
 * - PowerVM: the property ibm,kernel-dump in the device tree's /rtas node, the dump
 *   structure the kernel registered (pseries/rtas-fadump.c rtas_fadump_dt_scan);
 * - PowerNV (OPAL): the property mpipl-boot in /ibm,opal/dump (powernv/opal-fadump.c),
 *   set on every memory-preserving reboot: with /proc/vmcore, the kernel's dump;
 * - either: /sys/kernel/fadump/release_mem, and before Linux 5.6 /sys/kernel/
 *   fadump_release_mem, made only while a dump is active (fadump_init_files()).
 * fadump/enabled and fadump/registered (fadump_enabled, fadump_registered before 5.6)
 * say only that fadump is on: a primary kernel that registered has them at 1.
 * The capture kernel runs in the boot memory, the start of RAM; everything above it is
 * reserved until the dump is written (fadump_reserve_crash_area()).
 */
#define FDT_SECTION_SIZE     40	    /* struct rtas_fadump_section */
#define FDT_REAL_MODE_REGION 0x0011 /* RTAS_FADUMP_REAL_MODE_REGION: boot memory */

static uint64_t be_at(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The boot memory of PowerVM's dump structure in @path (big-endian: the header's
 * section count at 4 and first section at 8, then sections whose type at 4 and length
 * at 16 count), in KiB, or -1; as rtas_fadump_get_config() sums it.
 */
static long long rtas_boot_kib(const char *path)
{
	unsigned char buf[4096];
	uint64_t n, off, sum = 0, i;
	ssize_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 12)
		return -1;
	n = be_at(buf + 4, 2);
	off = be_at(buf + 8, 4);
	for (i = 0; i < n && off + (i + 1) * FDT_SECTION_SIZE <= (uint64_t)len; i++) {
		const unsigned char *sec = buf + off + i * FDT_SECTION_SIZE;

		if (be_at(sec + 4, 2) == FDT_REAL_MODE_REGION)
			sum += be_at(sec + 16, 8);
	}
	return sum ? (long long)(sum / 1024) : -1;
}

/* Whether @dir/@name exists. */
static bool exists(const char *dir, const char *name)
{
	char p[PATH_MAX];

	return snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p) &&
	       access(p, F_OK) == 0;
}

/* A fadump capture kernel: sets b->kind and where it is read from, and its boot memory. */
static void read_fadump(struct budget *b, const char *proc, const char *root)
{
	char sys[PATH_MAX], p[PATH_MAX], v[32];
	bool vmcore = exists(proc, "vmcore");

	snprintf(sys, sizeof(sys), "%s/sys/kernel",
		 root && strcmp(root, "/") ? root : "");
	b->fadump_opal = exists(proc, "device-tree/ibm,opal/dump");
	if (exists(proc, "device-tree/rtas/ibm,kernel-dump"))
		snprintf(b->capture_from, sizeof(b->capture_from),
			 "/proc/device-tree/rtas/ibm,kernel-dump");
	else if (vmcore && exists(proc, "device-tree/ibm,opal/dump/mpipl-boot"))
		snprintf(b->capture_from, sizeof(b->capture_from),
			 "/proc/device-tree/ibm,opal/dump/mpipl-boot");
	else if (root && exists(sys, "fadump/release_mem"))
		snprintf(b->capture_from, sizeof(b->capture_from),
			 "/sys/kernel/fadump/release_mem");
	else if (root && exists(sys, "fadump_release_mem"))
		snprintf(b->capture_from, sizeof(b->capture_from),
			 "/sys/kernel/fadump_release_mem");
	else
		return;
	b->kind = CAPTURE_FADUMP;
	snprintf(p, sizeof(p), "%s/device-tree/rtas/ibm,kernel-dump", proc);
	b->fadump_boot_kib = rtas_boot_kib(p);
	b->fadump_boot_from = "the firmware's dump structure, ibm,kernel-dump";
	if (b->fadump_boot_kib > 0 || !root)
		return;
	if (snprintf(p, sizeof(p), "%s/fadump/mem_reserved", sys) < (int)sizeof(p) &&
	    io_read_small(p, v, sizeof(v)) > 0 && strtoull(v, NULL, 10) >= 1024) {
		b->fadump_boot_kib = (long long)(strtoull(v, NULL, 10) / 1024);
		b->fadump_boot_from = "/sys/kernel/fadump/mem_reserved, the dump area";
	}
}

/*
 * A kdump capture kernel without elfcorehdr= on its command line: arm64's kexec (and
 * riscv's, and kexec_file_load's there) hands the crashed kernel's core header over in
 * the device tree, /chosen/linux,elfcorehdr; an arm64 machine booted by ACPI has no
 * device tree to show, but its capture kernel has /proc/vmcore, which only a capture
 * kernel has. Not on ppc64 (its firmware's nodes in the device tree): its kdump says
 * elfcorehdr=, and a fadump capture kernel whose /sys is not read would pass for one.
 */
static void read_kdump_elsewhere(struct budget *b, const char *proc)
{
	static const char *const where[] = { "device-tree/chosen/linux,elfcorehdr",
					     "vmcore" };
	size_t i;

	if (exists(proc, "device-tree/rtas") || exists(proc, "device-tree/ibm,opal"))
		return;
	for (i = 0; i < sizeof(where) / sizeof(*where); i++)
		if (exists(proc, where[i])) {
			b->kind = CAPTURE_KDUMP;
			snprintf(b->capture_from, sizeof(b->capture_from), "/proc/%s",
				 where[i]);
			return;
		}
}

/*
 * KiB of the "System RAM" ranges of iomem text @buf (top-level lines), or -1; those
 * above 4 GiB go to @high_kib too.
 */
static long long iomem_ram_kib(const char *buf, long long *high_kib)
{
	const unsigned long long four_gib = 4ull << 30;
	unsigned long long lo, hi, sum = 0, high = 0;
	const char *line;
	bool any = false;

	for (line = buf; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		char *end;

		if (*line == ' ')
			continue;
		lo = strtoull(line, &end, 16);
		if (*end != '-')
			continue;
		hi = strtoull(end + 1, &end, 16);
		if (*end != ' ' || hi < lo)
			continue;
		if (strncmp(strchr(line, ':') ? strchr(line, ':') : "", ": System RAM\n",
			    13))
			continue;
		sum += hi - lo + 1;
		if (hi >= four_gib)
			high += hi - (lo > four_gib ? lo : four_gib) + 1;
		any = true;
	}
	*high_kib = (long long)(high / 1024);
	return any && sum ? (long long)(sum / 1024) : -1;
}

/*
 * A ppc64 capture kernel's iomem lists as System RAM all the crashed kernel's memory
 * below the crashkernel region too: kexec-tools keeps it from the capture kernel with a
 * reserve of the flattened device tree, from 64 KiB up to the region (its own segments
 * are reserves inside the region). The KiB of the reserves that start in the first MiB,
 * from @sys_root/sys/firmware/fdt; 0 without one.
 */
static long long fdt_low_reserved_kib(const char *sys_root)
{
	unsigned char h[40], e[16];
	unsigned long long sum = 0;
	char path[PATH_MAX];
	uint32_t off;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/sys/firmware/fdt", sys_root);
	f = fopen(path, "rbe");
	if (!f)
		return 0;
	/* big-endian header: magic 0xd00dfeed, ..., off_mem_rsvmap at byte 16 */
	if (fread(h, 1, sizeof(h), f) != sizeof(h) || h[0] != 0xd0 || h[1] != 0x0d ||
	    h[2] != 0xfe || h[3] != 0xed)
		goto out;
	off = (uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 |
	      h[19];
	if (fseek(f, (long)off, SEEK_SET) != 0)
		goto out;
	for (i = 0; i < 1024 && fread(e, 1, sizeof(e), f) == sizeof(e); i++) {
		unsigned long long addr = 0, size = 0;
		int k;

		for (k = 0; k < 8; k++) {
			addr = addr << 8 | e[k];
			size = size << 8 | e[8 + k];
		}
		if (!addr && !size)
			break;
		if (addr < (1ull << 20) && size < (1ull << 52))
			sum += size;
	}
out:
	fclose(f);
	return (long long)(sum / 1024);
}

/* The "processor" lines of @proc/cpuinfo: the CPUs this kernel runs, 0 when unknown. */
static int cpuinfo_cpus(const char *proc)
{
	char path[PATH_MAX], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpuinfo", proc);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "processor", 9) && strchr(line, ':');
	fclose(f);
	return n;
}

/* "Freeing initrd memory: NK" in the kernel log (/dev/kmsg, from its start), or -1. */
static long long initrd_freed_kib(const char *kmsg)
{
	char rec[2048];
	long long kib = -1;
	ssize_t n;
	int fd = open(kmsg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* one record per read; EAGAIN at the end, EPIPE when records were overwritten */
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *p;

		if (n <= 0)
			continue;
		rec[n] = '\0';
		p = strstr(rec, ";Freeing initrd memory: ");
		if (p)
			kib = strtoll(p + 24, NULL, 10);
	}
	close(fd);
	return kib;
}

/*
 * fadump's rules for the boot memory, in MiB, for a system of @ram_kib (Linux
 * arch/powerpc/kernel/fadump.c fadump_calculate_reserve_size()): crashkernel= sizes it
 * when given (with fadump=on), cut down to 25 % of RAM (MAX_BOOT_MEM_RATIO 4); without
 * it, 5 % of RAM rounded down to a multiple of 256 MB; never less than the least the
 * platform boots in, fadump_get_bootmem_min(): PowerVM 320 MB (RTAS_FADUMP_MIN_BOOT_MEM,
 * 256 MB and 64 MB for the network modules of a dump over the network; Linux before
 * 5.7: MIN_BOOT_MEM, the same unless the RMA ends above 256 MB), PowerNV 768 MB
 * (OPAL_FADUMP_MIN_BOOT_MEM: the firmware loads kernel and initrd at 512 MB).
 * Documentation/arch/powerpc/firmware-assisted-dump.rst says "the larger of 5% of
 * system RAM or 256MB" of the older minimum. kdump-utils (kdump-lib.sh,
 * kdump_get_arch_recommend_crashkernel) recommends for ppc64le fadump
 * 4G-16G:768M,16G-64G:1G,64G-128G:2G,128G-1T:4G and more above.
 */
static void fadump_rules(const struct budget *b, struct estimate *e)
{
	long long ram_mib = b->system_ram_kib > 0 ? b->system_ram_kib / 1024 : 0;
	long long five = ram_mib / 20 / 256 * 256;

	e->fadump = true;
	e->fadump_min_mib = b->fadump_opal ? 768 : 320;
	e->fadump_default_mib = five > e->fadump_min_mib ? five : e->fadump_min_mib;
	e->fadump_max_mib = ram_mib / 4;
	if (!ram_mib)
		e->fadump_default_mib = e->fadump_max_mib = -1; /* no iomem: unknown */
	if (e->mib < e->fadump_min_mib)
		e->mib = e->fadump_min_mib;
}

/*
 * A tmpfs rootfs (no root= on the command line, or rootfstype=tmpfs) holds the unpacked
 * initramfs within its size, a share of MemTotal at its mount: half by default (Linux
 * 6.18's initramfs_options=size=N% sets another), and a kernel whose initramfs does not
 * fit fails to unpack it, whatever the low point says (kdump-utils 4e1f06e). The RAM for
 * that: MemTotal at the mount such that its share holds the initramfs, plus what the
 * kernel keeps outside MemTotal, plus the compressed initramfs, reserved then and freed
 * into MemTotal since. An absolute size= does not grow with RAM: no term. 0 when none.
 */
static long long tmpfs_need_kib(const struct budget *b, long long initrd_kib)
{
	const char *size = strstr(b->initramfs_options, "size=");
	long long mount_total = b->total - initrd_kib;

	if (b->rootfs_size_kib <= 0 || b->initramfs_kib <= 0 || mount_total <= 0 ||
	    b->ram_kib < b->total)
		return 0;
	if (size && !strchr(size, '%'))
		return 0;
	return (long long)((double)b->initramfs_kib * (double)mount_total /
			   (double)b->rootfs_size_kib) +
	       (b->ram_kib - b->total) + initrd_kib;
}

long long budget_round_mib(long long kib)
{
	const long long step = ESTIMATE_STEP_MIB * 1024;

	return (kib + step - 1) / step * ESTIMATE_STEP_MIB;
}

void budget_estimate(const struct budget *b, long long low_avail_kib,
		     long long low_pcp_kib, long long loaded_kib, uint64_t oom_kills,
		     struct estimate *e)
{
	long long pages, used;

	*e = (struct estimate){ 0 };
	if (!b->known || !b->capture || b->ram_kib <= 0 || low_avail_kib < 0)
		return;
	e->known = true;
	e->ram_kib = b->ram_kib;
	e->ram_high_kib = b->ram_high_kib;
	e->low_avail_kib = low_avail_kib;
	e->low_pcp_kib = low_pcp_kib;
	e->initrd_known = b->initrd_kib >= 0;
	e->initrd_kib = e->initrd_known ? b->initrd_kib : 0;
	/* two bitmaps of a bit per page, in KiB rounded up, and no more than cyclic mode's */
	pages = b->page_size > 0 ? (long long)(b->vmcore_bytes / (uint64_t)b->page_size)
				 : 0;
	e->bitmap_kib = (2 * pages + 8 * 1024 - 1) / (8 * 1024);
	if (e->bitmap_kib > DUMP_BITMAPS_MAX_KIB || b->vmcore_bogus)
		e->bitmap_kib = DUMP_BITMAPS_MAX_KIB;
	/* one CPU: no --num-threads */
	e->threads_kib = b->cpus > 1 ? (long long)b->cpus * DUMP_THREAD_KIB : 0;
	e->loaded_kib = loaded_kib < 0 ? -1 : loaded_kib;
	e->oom_kills = oom_kills;
	used = e->ram_kib - (oom_kills ? 0 : e->low_avail_kib);
	e->dump_kib = used + e->bitmap_kib + e->threads_kib;
	e->unpack_kib = used + e->initrd_kib - (loaded_kib > 0 ? loaded_kib : 0);
	e->formula_kib = e->dump_kib > e->unpack_kib ? e->dump_kib : e->unpack_kib;
	if (e->formula_kib < 0)
		e->formula_kib = 0;
	e->tmpfs_kib = tmpfs_need_kib(b, e->initrd_kib);
	e->needed_kib = e->tmpfs_kib > e->formula_kib ? e->tmpfs_kib : e->formula_kib;
	e->mib = budget_round_mib(e->needed_kib);
	if (e->needed_kib > e->ram_kib)
		e->short_kib = e->needed_kib - e->ram_kib;
	if (b->kind == CAPTURE_FADUMP)
		fadump_rules(b, e);
}

/*
 * Reads /sys/kernel/kexec/@name under @root into @v (@size bytes), else the older
 * kexec_@name beside it, the first with at least @least bytes; its path goes to @path
 * (@n bytes). Returns the length, or -1 when neither has.
 */
static int read_kexec(const char *root, const char *name, size_t least, char *path,
		      size_t n, char *v, size_t size)
{
	/* newer kernels group them in /sys/kernel/kexec/, the old names kept beside */
	static const char *const dirs[] = { "kexec/", "kexec_" };
	size_t i;
	int r;

	for (i = 0; i < 2; i++) {
		snprintf(path, n, "%s/sys/kernel/%s%s", root, dirs[i], name);
		r = io_read_small(path, v, size);
		if (r >= 0 && (size_t)r >= least)
			return r;
	}
	return -1;
}

uint64_t budget_crash_size(const char *root, char *path, size_t n)
{
	char v[32];

	return read_kexec(root, "crash_size", 1, path, n, v, sizeof(v)) > 0
		       ? strtoull(v, NULL, 10)
		       : 0;
}

uint64_t budget_crash_cma(const char *root, char *path, size_t n)
{
	/* "%08llx-%08llx\n" a range, the end included; 6.17 added them (",cma") */
	unsigned long long start, end;
	uint64_t sum = 0;
	char v[256], *p;

	if (read_kexec(root, "crash_cma_ranges", 0, path, n, v, sizeof(v)) < 0)
		return 0;
	for (p = v; sscanf(p, "%llx-%llx", &start, &end) == 2; p++) {
		if (end >= start)
			sum += end - start + 1;
		p = strchr(p, '\n');
		if (!p)
			break;
	}
	return sum;
}

void budget_read(struct budget *b, const char *proc, const char *root)
{
	char path[PATH_MAX], *buf = NULL;
	const char *sys_root;
	long long cached, buffers, sum = 0;
	struct statfs sf;
	struct stat st;
	int i, fd;

	*b = (struct budget){ .initramfs_kib = -1,
			      .run_kib = -1,
			      .rootfs_size_kib = -1,
			      .ram_kib = -1,
			      .initrd_kib = -1,
			      .pcp_kib = -1,
			      .fadump_boot_kib = -1,
			      .system_ram_kib = -1,
			      .page_size = sysconf(_SC_PAGESIZE) };
	snprintf(path, sizeof(path), "%s/meminfo", proc);
	if (io_read_all(path, &buf) < 0)
		return;
	b->total = proc_text_kb(buf, "MemTotal:");
	b->avail = proc_text_kb(buf, "MemAvailable:");
	cached = proc_text_kb(buf, "Cached:");
	buffers = proc_text_kb(buf, "Buffers:");
	b->row[BUDGET_FREE] = proc_text_kb(buf, "MemFree:");
	b->row[BUDGET_FILES] = cached < 0 || buffers < 0 ? -1 : cached + buffers;
	b->row[BUDGET_ANON] = proc_text_kb(buf, "AnonPages:");
	b->row[BUDGET_SLAB] = proc_text_kb(buf, "Slab:");
	b->row[BUDGET_PAGETABLES] = proc_text_kb(buf, "PageTables:");
	b->row[BUDGET_KSTACK] = proc_text_kb(buf, "KernelStack:");
	b->row[BUDGET_PERCPU] = proc_text_kb(buf, "Percpu:");
	free(buf);
	b->known = b->total > 0;
	for (i = 0; i < BUDGET_OTHER; i++)
		sum += b->row[i] > 0 ? b->row[i] : 0;
	b->row[BUDGET_OTHER] = b->known ? b->total - sum : -1;
	snprintf(path, sizeof(path), "%s/cmdline", proc);
	if (io_read_all(path, &buf) == 0) {
		read_cmdline(b, buf);
		free(buf);
	}
	if (b->kind == CAPTURE_NONE)
		read_fadump(b, proc, root);
	if (b->kind == CAPTURE_NONE)
		read_kdump_elsewhere(b, proc);
	b->capture = b->kind != CAPTURE_NONE;
	if (b->capture) {
		snprintf(path, sizeof(path), "%s/iomem", proc);
		if (io_read_all(path, &buf) == 0) {
			b->ram_kib = iomem_ram_kib(buf, &b->ram_high_kib);
			free(buf);
		}
		if (b->kind == CAPTURE_KDUMP && root && b->ram_kib > 0) {
			b->fdt_reserved_kib =
				fdt_low_reserved_kib(strcmp(root, "/") ? root : "");
			if (b->fdt_reserved_kib >= b->ram_kib)
				b->fdt_reserved_kib = 0;
			b->ram_kib -= b->fdt_reserved_kib;
		}
		/* fadump: iomem has all RAM; the capture kernel had the boot memory */
		if (b->kind == CAPTURE_FADUMP) {
			b->system_ram_kib = b->ram_kib;
			b->ram_kib = b->fadump_boot_kib;
		}
		snprintf(path, sizeof(path), "%s/vmcore", proc);
		if (stat(path, &st) == 0)
			b->vmcore_bytes = (uint64_t)st.st_size;
		if (b->vmcore_bytes > VMCORE_BYTES_MAX) {
			b->vmcore_bogus = b->vmcore_bytes;
			b->vmcore_bytes = 0;
		}
		b->pcp_kib = proc_pcp_free_kb(proc);
		b->cpus = cpuinfo_cpus(proc);
		/* the kernel log of this boot: live only */
		if (root && !strcmp(root, "/"))
			b->initrd_kib = initrd_freed_kib("/dev/kmsg");
	}
	if (!root)
		return;
	sys_root = strcmp(root, "/") ? root : "";
	b->crash_size = budget_crash_size(sys_root, path, sizeof(path));
	b->crash_cma = budget_crash_cma(sys_root, path, sizeof(path));
	/* the file systems of this boot: live only */
	if (strcmp(root, "/"))
		return;
	if (statfs("/run", &sf) == 0 && sf.f_type == TMPFS_MAGIC && sf.f_blocks)
		b->run_kib = (long long)(sf.f_blocks - sf.f_bfree) *
			     (long long)sf.f_bsize / 1024;
	/* the unpacked initramfs: rootfs, a ramfs or tmpfs; never walk a disk */
	if (statfs(root, &sf) < 0 ||
	    (sf.f_type != RAMFS_MAGIC && sf.f_type != TMPFS_MAGIC))
		return;
	/* a tmpfs rootfs has a size: half the RAM, or initramfs_options=size= */
	if (sf.f_type == TMPFS_MAGIC && sf.f_blocks)
		b->rootfs_size_kib =
			(long long)sf.f_blocks * (long long)sf.f_bsize / 1024;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0)
		b->initramfs_kib = walk_kib(fd, st.st_dev, 0);
	else if (fd >= 0)
		close(fd);
}
