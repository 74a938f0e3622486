// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gen-trace: writes a deterministic ftrace text trace of N events, in the format of the
 * kernel's trace file (see test/fixtures/boot-shell.trace), for the benchmarks.
 *
 * The trace is unfiltered, as the top-level buffer saved after a boot with
 * trace_event=module:*,kmem:mm_page_alloc,kmem:mm_page_free would be: kworkers, udevd,
 * journald, shells and mounts allocate and free pages all the time, and most page events
 * fall outside module loads. Modules load in bursts, several udev workers (and modprobe
 * chains) at the same time, so their windows interleave. Window sizes follow a 1/rank law:
 * most loads allocate a few pages, the largest ones thousands. Loaders free part of what
 * they allocated while they load; the rest, and what other tasks allocate, is freed later
 * by pfn. Stray module_put events (reference drops by mount, blkdev_put, crypto tests, and
 * now and then by a loader inside its own window) and failed inits with module_free are
 * mixed in. The same N and seed always give the same bytes.
 *
 * Usage: gen-trace [-s SEED] N
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCPU	    4
#define MEM_PAGES   (1u << 19) /* a 2 GiB machine */
#define POOL_MAX    60000      /* live allocations before the background only frees */
#define MAX_WINDOW  10000      /* allocations of the largest load window */
#define MAX_ACTIVE  6	       /* loader tasks at the same time */
#define WINDOW_STEP 50	       /* percent of events that go to an open window, if any */

/* ---------------------------------------------------------------------------------- */
/* random numbers: splitmix64, the same on every machine and libc                     */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static uint32_t below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * n) >> 32);
}

/* True with probability @per_mille / 1000. */
static bool chance(unsigned per_mille)
{
	return below(1000) < per_mille;
}

/* ---------------------------------------------------------------------------------- */
/* tasks                                                                              */

enum kind {
	K_KERNEL, /* kworkers, softirqs: kernel allocations, many frees */
	K_USER,	  /* processes: mostly movable user pages */
	K_WORKER, /* udev workers: background tasks that also load modules */
};

struct task {
	const char *comm;
	int pid;
	int cpu;
	unsigned weight; /* share of the background events */
	enum kind kind;
	uint32_t cursor; /* next pfn: page allocators hand out neighbours */
	bool loading;	 /* in a load window: its events come from the window */
};

static struct task tasks[] = {
	{ "systemd", 1, 0, 30, K_USER, 0, false },
	{ "kthreadd", 2, 1, 2, K_KERNEL, 0, false },
	{ "rcu_preempt", 14, 0, 6, K_KERNEL, 0, false },
	{ "ksoftirqd/0", 13, 0, 10, K_KERNEL, 0, false },
	{ "ksoftirqd/1", 21, 1, 8, K_KERNEL, 0, false },
	{ "ksoftirqd/2", 26, 2, 6, K_KERNEL, 0, false },
	{ "ksoftirqd/3", 31, 3, 6, K_KERNEL, 0, false },
	{ "kworker/0:0", 7, 0, 40, K_KERNEL, 0, false },
	{ "kworker/0:1H", 86, 0, 25, K_KERNEL, 0, false },
	{ "kworker/1:2", 58, 1, 35, K_KERNEL, 0, false },
	{ "kworker/2:1", 61, 2, 30, K_KERNEL, 0, false },
	{ "kworker/3:0", 33, 3, 25, K_KERNEL, 0, false },
	{ "kworker/u8:0", 9, 1, 60, K_KERNEL, 0, false },
	{ "kworker/u8:3", 77, 2, 45, K_KERNEL, 0, false },
	{ "kworker/u9:1", 92, 3, 20, K_KERNEL, 0, false },
	{ "kswapd0", 49, 1, 3, K_KERNEL, 0, false },
	{ "jbd2/vda1-8", 318, 0, 8, K_KERNEL, 0, false },
	{ "systemd-journal", 180, 1, 40, K_USER, 0, false },
	{ "systemd-udevd", 215, 0, 70, K_USER, 0, false },
	{ "(udev-worker)", 226, 0, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 227, 1, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 228, 2, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 229, 3, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 230, 0, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 231, 1, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 232, 2, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 233, 3, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 234, 0, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 235, 1, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 236, 2, 10, K_WORKER, 0, false },
	{ "(udev-worker)", 237, 3, 10, K_WORKER, 0, false },
	{ "plymouthd", 198, 2, 30, K_USER, 0, false },
	{ "bash", 301, 3, 40, K_USER, 0, false },
	{ "sh", 322, 0, 20, K_USER, 0, false },
	{ "blkid", 340, 1, 15, K_USER, 0, false },
	{ "lvm", 352, 2, 15, K_USER, 0, false },
	{ "cryptsetup", 361, 3, 10, K_USER, 0, false },
	{ "dmsetup", 363, 0, 5, K_USER, 0, false },
	{ "mount", 374, 1, 12, K_USER, 0, false },
	{ "e2fsck", 371, 2, 20, K_USER, 0, false },
	{ "cryptomgr_test", 276, 3, 3, K_KERNEL, 0, false },
	{ "rs:main Q:Reg", 402, 0, 6, K_USER, 0, false },
	{ "in:imjournal", 401, 1, 4, K_USER, 0, false },
	{ "dbus-daemon", 390, 2, 6, K_USER, 0, false },
	{ "<...>", 411, 3, 2, K_USER, 0, false },
};

#define NTASKS (sizeof(tasks) / sizeof(tasks[0]))

/* Tasks that drop module references now and then, and where they do it. */
static const char *const put_sites[] = {
	"blkdev_put",
	"path_mount",
	"put_fs_context",
	"crypto_destroy_tfm",
	"crypto_larval_destroy",
	"deactivate_locked_super",
	"fput",
	"tty_release",
};

static const char *const kernel_gfp[] = {
	"GFP_KERNEL",
	"GFP_KERNEL|__GFP_ZERO",
	"GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY",
	"GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_RECLAIMABLE",
	"GFP_NOFS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL",
	"__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC|__GFP_RECLAIMABLE",
	"GFP_ATOMIC|__GFP_NOWARN|__GFP_COMP|__GFP_NOMEMALLOC",
	"GFP_KERNEL_ACCOUNT|__GFP_ZERO",
};

static const char *const user_gfp[] = {
	"GFP_HIGHUSER_MOVABLE|__GFP_COMP",
	"GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO",
	"GFP_KERNEL_ACCOUNT|__GFP_ZERO",
	"GFP_HIGHUSER_MOVABLE|__GFP_COMP",
	"GFP_NOFS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL",
};

static const char *const module_gfp[] = {
	"GFP_KERNEL",
	"GFP_KERNEL|__GFP_ZERO",
	"GFP_KERNEL_ACCOUNT|__GFP_ZERO",
	"GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY",
	"GFP_KERNEL|__GFP_COMP|__GFP_ZERO",
	"GFP_DMA32|__GFP_ZERO",
	"GFP_HIGHUSER|__GFP_ZERO",
};

/* The irq-info column: mostly nothing special, sometimes softirq or need-resched. */
static const char *flags(void)
{
	static const char *const f[] = { ".....", ".....", ".....", ".....", ".....",
					 ".....", ".....", "..s..", ".N...", "d..1." };

	return f[below(sizeof(f) / sizeof(f[0]))];
}

/* ---------------------------------------------------------------------------------- */
/* output                                                                             */

static uint64_t now_us = 1500000; /* the first event at 1.5 s */
static uint64_t lines_left;

static void line(const char *comm, int pid, int cpu, const char *fl, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Prints one event line, as the kernel's trace file does, and advances the clock. */
static void line(const char *comm, int pid, int cpu, const char *fl, const char *fmt, ...)
{
	va_list ap;

	now_us += 1 + below(40);
	printf("%16s-%-7d [%03d] %s %5" PRIu64 ".%06" PRIu64 ": ", comm, pid, cpu, fl,
	       now_us / 1000000, now_us % 1000000);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	lines_left--;
}

/* ---------------------------------------------------------------------------------- */
/* physical pages                                                                     */

struct block {
	uint32_t pfn;
	uint8_t order;
};

static uint8_t used[MEM_PAGES / 8];

static bool range_free(uint32_t pfn, unsigned order)
{
	uint32_t i;

	if (pfn < 0x1000 || pfn + (1u << order) > MEM_PAGES)
		return false;
	for (i = pfn; i < pfn + (1u << order); i++)
		if (used[i / 8] & (1u << (i % 8)))
			return false;
	return true;
}

static void mark(uint32_t pfn, unsigned order, bool in_use)
{
	uint32_t i;

	for (i = pfn; i < pfn + (1u << order); i++) {
		if (in_use)
			used[i / 8] |= (uint8_t)(1u << (i % 8));
		else
			used[i / 8] &= (uint8_t) ~(1u << (i % 8));
	}
}

/* Most allocations are order 0; a few are larger blocks. */
static unsigned pick_order(bool module)
{
	unsigned r = below(1000);

	if (r < 930)
		return 0;
	if (r < 975)
		return 1;
	if (r < 987)
		return 2;
	if (r < 996)
		return 3;
	return module ? 4 + below(3) : 4;
}

/* A free block of 2^order pages, preferably next to the task's last one. */
static uint32_t take_pages(struct task *t, unsigned order)
{
	uint32_t size = 1u << order, pfn = (t->cursor + size - 1) & ~(size - 1);
	int tries;

	for (tries = 0; !range_free(pfn, order); tries++) {
		if (tries < 16)
			pfn = (0x1000 + below(MEM_PAGES - 0x1000)) & ~(size - 1);
		else
			pfn = pfn + size < MEM_PAGES ? pfn + size : 0x1000;
	}
	mark(pfn, order, true);
	t->cursor = chance(750) ? pfn + size : 0x1000 + below(MEM_PAGES - 0x1000);
	return pfn;
}

/* Blocks allocated and not freed yet, outside open windows: anyone may free them. */
static struct block *pool;
static size_t npool, cappool;

static void pool_add(struct block b)
{
	if (npool == cappool) {
		cappool = cappool ? cappool * 2 : 4096;
		pool = realloc(pool, cappool * sizeof(*pool));
		if (!pool) {
			perror("gen-trace");
			exit(1);
		}
	}
	pool[npool++] = b;
}

static void emit_alloc(struct task *t, const char *const *gfp, size_t ngfp, bool module,
		       struct block *out)
{
	unsigned order = pick_order(module);
	uint32_t pfn = take_pages(t, order);
	unsigned mt = gfp == user_gfp ? 1 : (chance(100) ? 2 : 0);

	line(t->comm, t->pid, t->cpu, flags(),
	     "mm_page_alloc: page=(____ptrval____) pfn=0x%" PRIx32
	     " order=%u migratetype=%u gfp_flags=%s",
	     pfn, order, mt, gfp[below((uint32_t)ngfp)]);
	out->pfn = pfn;
	out->order = (uint8_t)order;
}

static void emit_free(struct task *t, struct block b)
{
	mark(b.pfn, b.order, false);
	line(t->comm, t->pid, t->cpu, chance(300) ? "...1." : flags(),
	     "mm_page_free: page=(____ptrval____) pfn=0x%" PRIx32 " order=%u", b.pfn,
	     b.order);
}

/* ---------------------------------------------------------------------------------- */
/* module loads                                                                       */

static const char *const modnames[] = {
	"virtio_blk",
	"virtio_net",
	"virtio_pci",
	"virtio_pci_modern_dev",
	"virtio_pci_legacy_dev",
	"virtio_ring",
	"virtio",
	"virtio_scsi",
	"virtio_console",
	"virtio_balloon",
	"virtio_rng",
	"ata_piix",
	"ata_generic",
	"libata",
	"scsi_mod",
	"scsi_common",
	"sd_mod",
	"sr_mod",
	"cdrom",
	"sg",
	"ahci",
	"libahci",
	"nvme",
	"nvme_core",
	"t10_pi",
	"crc64_rocksoft",
	"crc64",
	"crc_t10dif",
	"crct10dif_generic",
	"crct10dif_pclmul",
	"crct10dif_common",
	"ext4",
	"jbd2",
	"mbcache",
	"crc16",
	"crc32c_generic",
	"crc32c_intel",
	"crc32_pclmul",
	"ghash_clmulni_intel",
	"xfs",
	"libcrc32c",
	"btrfs",
	"xor",
	"raid6_pq",
	"zstd_compress",
	"blake2b_generic",
	"dm_mod",
	"dm_crypt",
	"dm_mirror",
	"dm_region_hash",
	"dm_log",
	"dm_snapshot",
	"dm_bufio",
	"raid1",
	"raid0",
	"md_mod",
	"usbcore",
	"usb_common",
	"ehci_hcd",
	"ehci_pci",
	"xhci_hcd",
	"xhci_pci",
	"uhci_hcd",
	"ohci_hcd",
	"usb_storage",
	"uas",
	"usbhid",
	"hid",
	"hid_generic",
	"hid_multitouch",
	"e1000",
	"e1000e",
	"igb",
	"ixgbe",
	"mdio",
	"r8169",
	"realtek",
	"mii",
	"tg3",
	"bnx2",
	"bnx2x",
	"libphy",
	"i40e",
	"ice",
	"mlx5_core",
	"mlxfw",
	"tls",
	"psample",
	"ptp",
	"pps_core",
	"i2c_algo_bit",
	"i2c_piix4",
	"i2c_i801",
	"i2c_smbus",
	"drm",
	"drm_kms_helper",
	"drm_ttm_helper",
	"ttm",
	"drm_display_helper",
	"cec",
	"rc_core",
	"amdgpu",
	"amdxcp",
	"gpu_sched",
	"drm_buddy",
	"i915",
	"video",
	"wmi",
	"nouveau",
	"mxm_wmi",
	"qxl",
	"bochs",
	"virtio_gpu",
	"floppy",
	"serio_raw",
	"psmouse",
	"evdev",
	"button",
	"battery",
	"ac",
	"thermal",
	"fan",
	"intel_rapl_common",
	"snd",
	"snd_timer",
	"snd_pcm",
	"snd_hda_core",
	"snd_hda_codec",
	"snd_hda_intel",
	"snd_intel_dspcfg",
	"soundcore",
	"pcspkr",
	"joydev",
	"input_leds",
	"led_class",
	"aesni_intel",
	"crypto_simd",
	"cryptd",
	"sha256_ssse3",
	"sha512_ssse3",
	"polyval_clmulni",
	"polyval_generic",
	"gf128mul",
	"loop",
	"autofs4",
	"fuse",
	"configfs",
	"efivarfs",
	"efi_pstore",
	"nls_ascii",
	"nls_cp437",
	"vfat",
	"fat",
	"isofs",
	"squashfs",
	"overlay",
	"ipv6",
	"nf_tables",
	"nfnetlink",
	"x_tables",
	"ip_tables",
	"bridge",
	"stp",
	"llc",
	"8021q",
	"garp",
	"mrp",
	"sunrpc",
	"nfs",
	"lockd",
	"grace",
	"nfsv4",
	"dns_resolver",
	"fscache",
	"netfs",
	"kvm",
	"kvm_intel",
	"kvm_amd",
	"ccp",
	"irqbypass",
	"tpm",
	"tpm_tis",
	"tpm_tis_core",
	"tpm_crb",
	"rng_core",
	"mptspi",
	"mptscsih",
	"mptbase",
	"scsi_transport_spi",
	"megaraid_sas",
	"mpt3sas",
	"raid_class",
	"scsi_transport_sas",
	"hpsa",
	"vmw_pvscsi",
	"vmxnet3",
	"hv_vmbus",
	"hv_storvsc",
	"hv_netvsc",
	"xen_blkfront",
	"xen_netfront",
};

#define NMODNAMES (sizeof(modnames) / sizeof(modnames[0]))

struct load {
	char name[64];
	uint32_t allocs; /* allocations still to make in the window */
	bool fails;	 /* init fails: module_free follows the module_put */
	bool stray_put;	 /* the loader drops a reference inside the window */
};

/* A task that loads one module after the other (a udev worker, a modprobe chain). */
struct job {
	struct task *task;
	struct load *loads;
	unsigned nloads, cur;
	bool started;	    /* module_load of loads[cur] printed */
	bool free_pending;  /* module_free of loads[cur - 1] still to print */
	struct block *held; /* live blocks of the window: the loader frees some */
	size_t nheld, capheld;
};

static struct load *loads;
static unsigned nloads, next_load;
static struct job active[MAX_ACTIVE];
static unsigned nactive;
static const char **loaded; /* names whose module_load was printed, in that order */
static unsigned nloaded;
static int next_pid = 420;

/* Tasks made for modprobe, systemd-modules-load and friends: one per chain. */
static struct task chain_tasks[64];
static unsigned next_chain_task;

/* Plans the loads: names, window sizes (1/rank, the ranks shuffled), failures. */
static void plan_loads(uint64_t n)
{
	uint64_t budget = n * 15 / 100; /* at most this many allocations in windows */
	double harmonic = 0, biggest;
	unsigned i, j, *rank;

	nloads = (unsigned)(16 + n / 7000);
	loads = calloc(nloads, sizeof(*loads));
	loaded = calloc(nloads, sizeof(*loaded));
	rank = malloc(nloads * sizeof(*rank));
	if (!loads || !loaded || !rank) {
		perror("gen-trace");
		exit(1);
	}
	for (i = 0; i < nloads; i++) {
		harmonic += 1.0 / (i + 1);
		rank[i] = i + 1;
	}
	for (i = nloads - 1; i > 0; i--) {
		unsigned t;

		j = below(i + 1);
		t = rank[i];
		rank[i] = rank[j];
		rank[j] = t;
	}
	biggest = (double)budget / harmonic;
	if (biggest > MAX_WINDOW)
		biggest = MAX_WINDOW;
	for (i = 0; i < nloads; i++) {
		struct load *l = &loads[i];
		double size = biggest / rank[i] * (0.6 + below(800) / 1000.0);

		if (i < NMODNAMES)
			snprintf(l->name, sizeof(l->name), "%s", modnames[i]);
		else
			snprintf(l->name, sizeof(l->name), "%s_%zu",
				 modnames[i % NMODNAMES], i / NMODNAMES);
		/* many modules allocate no page at all while they load */
		l->allocs = rank[i] > 3 && chance(200) ? 0 : (uint32_t)size;
		l->fails = chance(25);
		l->stray_put = chance(100);
	}
	free(rank);
}

/* A free udev worker, or NULL when all are loading. */
static struct task *idle_worker(void)
{
	unsigned i, start = below(NTASKS);

	for (i = 0; i < NTASKS; i++) {
		struct task *t = &tasks[(start + i) % NTASKS];

		if (t->kind == K_WORKER && !t->loading)
			return t;
	}
	return NULL;
}

/* A new short-lived loader process. */
static struct task *chain_task(void)
{
	struct task *t = &chain_tasks[next_chain_task++ % 64];
	unsigned r = below(100);

	*t = (struct task){ .comm = "modprobe",
			    .pid = next_pid,
			    .cpu = (int)below(NCPU),
			    .kind = K_USER,
			    .cursor = 0x1000 + below(MEM_PAGES - 0x1000) };
	if (r < 8)
		t->comm = "systemd-modules";
	else if (r < 11)
		t->comm = "insmod";
	next_pid += 1 + (int)below(6);
	return t;
}

/* Starts a burst: 1 to MAX_ACTIVE loaders, each with 1 to 3 modules in a row. */
static void start_burst(void)
{
	unsigned want = 1 + below(MAX_ACTIVE);

	while (nactive < want && next_load < nloads) {
		struct job *j = &active[nactive];
		struct task *t;
		unsigned r = below(100);

		if (r < 4 && !tasks[0].loading)
			t = &tasks[0]; /* systemd itself: autofs4, configfs... */
		else if (r < 70 && (t = idle_worker()))
			;
		else
			t = chain_task();
		*j = (struct job){ .task = t, .loads = &loads[next_load] };
		j->nloads = 1 + below(3);
		if (j->nloads > nloads - next_load)
			j->nloads = nloads - next_load;
		next_load += j->nloads;
		t->loading = true;
		nactive++;
	}
}

/* The window's live blocks go to the pool: anyone may free them later. */
static void release_held(struct job *j)
{
	size_t i;

	for (i = 0; i < j->nheld; i++)
		pool_add(j->held[i]);
	j->nheld = 0;
}

static void end_job(unsigned idx)
{
	struct job *j = &active[idx];

	release_held(j);
	free(j->held);
	j->task->loading = false;
	active[idx] = active[--nactive];
}

/* One event of loader job @idx: module_load, a page event, module_put or module_free. */
static void job_step(unsigned idx)
{
	struct job *j = &active[idx];
	struct task *t = j->task;
	struct load *l = &j->loads[j->cur];

	if (j->free_pending) {
		line(t->comm, t->pid, t->cpu, ".....", "module_free: %s",
		     j->loads[j->cur - 1].name);
		j->free_pending = false;
		if (j->cur == j->nloads)
			end_job(idx);
		return;
	}
	if (!j->started) {
		/* the kernel prints the taints after the name: none, so a trailing space */
		line(t->comm, t->pid, t->cpu, ".....", "module_load: %s ", l->name);
		j->started = true;
		loaded[nloaded++] = l->name;
		return;
	}
	if (l->stray_put && nloaded > 1 && chance(20)) {
		/* init takes and drops a reference: of itself, or of another module */
		if (chance(500))
			line(t->comm, t->pid, t->cpu, "...1.",
			     "module_put: %s call_site=blkdev_put refcnt=2", l->name);
		else
			line(t->comm, t->pid, t->cpu, "...1.",
			     "module_put: %s call_site=crypto_larval_destroy refcnt=2",
			     loaded[below(nloaded - 1)]);
		l->stray_put = false;
		return;
	}
	if (l->allocs) {
		if (j->nheld && chance(300)) {
			size_t k = below((uint32_t)j->nheld);

			emit_free(t, j->held[k]);
			j->held[k] = j->held[--j->nheld];
			return;
		}
		l->allocs--;
		if (chance(1)) {
			/* an opportunistic high-order allocation that got no page */
			line(t->comm, t->pid, t->cpu, ".....",
			     "mm_page_alloc: page=0000000000000000 pfn=0x0 order=%u migratetype=0 gfp_flags=GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY",
			     3 + below(3));
			return;
		}
		if (j->nheld == j->capheld) {
			j->capheld = j->capheld ? j->capheld * 2 : 64;
			j->held = realloc(j->held, j->capheld * sizeof(*j->held));
			if (!j->held) {
				perror("gen-trace");
				exit(1);
			}
		}
		emit_alloc(t, module_gfp, sizeof(module_gfp) / sizeof(module_gfp[0]),
			   true, &j->held[j->nheld++]);
		return;
	}
	line(t->comm, t->pid, t->cpu, "...1.",
	     "module_put: %s call_site=do_init_module refcnt=1", l->name);
	release_held(j);
	j->free_pending = l->fails;
	j->started = false;
	j->cur++;
	if (j->cur == j->nloads && !j->free_pending)
		end_job(idx);
}

/* ---------------------------------------------------------------------------------- */
/* background                                                                         */

static unsigned total_weight;

/* A task that is not loading, by weight. */
static struct task *background_task(void)
{
	for (;;) {
		unsigned r = below(total_weight);
		size_t i;

		for (i = 0; r >= tasks[i].weight; i++)
			r -= tasks[i].weight;
		if (!tasks[i].loading)
			return &tasks[i];
	}
}

/* One event of a task outside any window: a page event, now and then a module_put. */
static void background_step(void)
{
	struct task *t = background_task();
	struct block b;

	if (chance(2))
		t->cpu = (int)below(NCPU);
	if (nloaded && chance(3)) {
		line(t->comm, t->pid, t->cpu, "...1.",
		     "module_put: %s call_site=%s refcnt=%u", loaded[below(nloaded)],
		     put_sites[below(sizeof(put_sites) / sizeof(put_sites[0]))],
		     1 + below(5));
		return;
	}
	if (npool && (npool >= POOL_MAX || chance(460))) {
		size_t k = below((uint32_t)npool);

		emit_free(t, pool[k]);
		pool[k] = pool[--npool];
		return;
	}
	if (t->kind == K_KERNEL)
		emit_alloc(t, kernel_gfp, sizeof(kernel_gfp) / sizeof(kernel_gfp[0]),
			   false, &b);
	else
		emit_alloc(t, user_gfp, sizeof(user_gfp) / sizeof(user_gfp[0]), false,
			   &b);
	pool_add(b);
}

/* Background events to print before the next burst, so that the loads spread over the
 * whole trace: what is left, less what the remaining loads take, over the bursts left. */
static uint64_t gap_before_burst(void)
{
	uint64_t window_events = 0, busy, spare;
	unsigned i, bursts;

	for (i = next_load; i < nloads; i++)
		window_events += loads[i].allocs * 10 / 7 + 3;
	busy = window_events * 100 / WINDOW_STEP;
	spare = lines_left > busy ? lines_left - busy : 0;
	bursts = (nloads - next_load) / 4 + 1;
	return spare / bursts * (500 + below(1000)) / 1000;
}

static void header(uint64_t n)
{
	printf("# tracer: nop\n"
	       "#\n"
	       "# entries-in-buffer/entries-written: %" PRIu64 "/%" PRIu64 "   #P:%d\n"
	       "#\n"
	       "#                                _-----=> irqs-off/BH-disabled\n"
	       "#                               / _----=> need-resched\n"
	       "#                              | / _---=> hardirq/softirq\n"
	       "#                              || / _--=> preempt-depth\n"
	       "#                              ||| / _-=> migrate-disable\n"
	       "#                              |||| /     delay\n"
	       "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
	       "#              | |         |   |||||     |         |\n",
	       n, n, NCPU);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gen-trace [-s SEED] N\n"
		"writes a realistic ftrace text trace of N events to standard output\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static char obuf[1 << 16];
	uint64_t n, seed = 4, gap = 0;
	char *end;
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		switch (opt) {
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	errno = 0;
	n = strtoull(argv[optind], &end, 0);
	if (errno || *end || !n || n > 100000000)
		usage();
	rng_state = seed;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	for (i = 0; i < NTASKS; i++) {
		total_weight += tasks[i].weight;
		tasks[i].cursor = 0x1000 + below(MEM_PAGES - 0x1000);
	}
	plan_loads(n);
	lines_left = n;
	header(n);
	gap = gap_before_burst() / 2;
	while (lines_left) {
		if (!nactive) {
			if (gap) {
				gap--;
				background_step();
				continue;
			}
			start_burst();
			if (!nactive) { /* every module loaded: the rest is background */
				gap = UINT64_MAX;
				continue;
			}
		}
		if (below(100) < WINDOW_STEP)
			job_step(below(nactive));
		else
			background_step();
		if (!nactive)
			gap = gap_before_burst();
	}
	if (fflush(stdout) || ferror(stdout)) {
		perror("gen-trace: cannot write the trace");
		return 1;
	}
	return 0;
}
