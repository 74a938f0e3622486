// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "btf.h"
#include "catalog.h"
#include "log.h"
#include "setup.h"

/* The filters of one buffer: the loaders', the allocations', and what each entry got. */
struct filters {
	bool have_loaders;
	char loaders[FILTER_MAX];
	char allocs[FILTER_MAX + 96];
	/* the part of @allocs that records every task's: the kernel's own allocations */
	char kernel_own[96];
	/* the filter the kernel took for each entry, or NULL */
	const char *set[CATALOG_MAX];
	/* the running kernel's release and BTF file, for the kprobe sites; NULL: unknown */
	const char *release, *btf;
	const struct loaders *tasks; /* for the filter of the late stacks */
};

/*
 * The site where a group's kprobe events went: one of the catalog's, or a copy of one
 * that names its argument by BTF with @arg the position read from the BTF file.
 */
struct placed {
	const struct cat_site *site; /* NULL when they were defined before */
	struct cat_site by_pos;
	char arg[16];
	const char *name;	/* the BTF name @by_pos.arg stands for */
	struct cat_site by_reg; /* a "$argN" site with the register that holds argument N */
	char reg[8];
};

/* Keeps the first error of a sequence of steps that all run. */
static void step(int *first, int r)
{
	if (r < 0 && !*first)
		*first = r;
}

/*
 * CAT_FILTER_ALLOCS on @c: allocations of the loaders, and the kernel's own allocations
 * of every task: unmovable, without __GFP_ACCOUNT (which marks what user space asks
 * for: page tables, pipes). The first filter the kernel takes wins: without "!" or "&"
 * (before 4.15), the loaders' alone. Returns 0 or -errno.
 */
static int filter_allocs(const char *buf, const struct cat_event *c, struct filters *f)
{
	size_t size = sizeof(f->allocs);
	uint64_t account;
	int r = -EINVAL, n;

	n = tfs_gfp_flag(buf, "__GFP_ACCOUNT", &account);
	if (n == 0) {
		snprintf(f->kernel_own, sizeof(f->kernel_own),
			 "(migratetype == 0 && !(gfp_flags & 0x%" PRIx64 "))", account);
		n = snprintf(f->allocs, size, "%s || %s", f->loaders, f->kernel_own);
		if (n > 0 && (size_t)n < size)
			r = tfs_event_filter(buf, c->system, c->name, f->allocs);
	} else if (n == -EINVAL) {
		/* kernels between commits 772dd0342727 and 60295b944ff6: ___GFP_ACCOUNT_BIT */
		log_info(
			"mm_page_alloc's format gives __GFP_ACCOUNT no value to filter on: every unmovable allocation is recorded, user space's accounted ones too, and a kernel thread's accounted pages count as its own");
	}
	if (r < 0 && r != -ENOENT) {
		snprintf(f->kernel_own, sizeof(f->kernel_own), "migratetype == 0");
		n = snprintf(f->allocs, size, "%s || migratetype == 0", f->loaders);
		if (n > 0 && (size_t)n < size)
			r = tfs_event_filter(buf, c->system, c->name, f->allocs);
	}
	if (r < 0 && r != -ENOENT) {
		log_info("the kernel refused the filter of kernel allocations on %s:%s: pages of kernel threads that loads start are left out",
			 c->system, c->name);
		f->kernel_own[0] = '\0';
		snprintf(f->allocs, size, "%s", f->loaders);
		r = tfs_event_filter(buf, c->system, c->name, f->allocs);
	}
	return r;
}

/* Sets the filter of catalog entry @i as its class says; a refused one records all. */
static void set_filter(const char *buf, size_t i, struct filters *f)
{
	const struct cat_event *c = &catalog[i];
	const char *want;
	int r;

	switch (c->filter) {
	case CAT_FILTER_LOADERS:
		if (!f->have_loaders)
			return;
		want = f->loaders;
		r = tfs_event_filter(buf, c->system, c->name, want);
		break;
	case CAT_FILTER_ALLOCS:
		if (!f->have_loaders)
			return;
		want = f->allocs;
		r = filter_allocs(buf, c, f);
		break;
	case CAT_FILTER_FIXED:
		want = c->fixed_filter;
		r = tfs_event_filter(buf, c->system, c->name, want);
		break;
	default:
		return;
	}
	if (r == 0) {
		f->set[i] = want;
		return;
	}
	/* a missing event is reported once, by its enable */
	if (r != -ENOENT) {
		log_warn("the kernel refused the filter on %s:%s (%s): recording the event for every task",
			 c->system, c->name, strerror(-r));
		tfs_event_filter(buf, c->system, c->name, "0");
	}
}

/* Removes the kprobe events of group @g; reports each failure with its remedy. */
static int remove_probes(const struct tfs *t, enum cat_group g, bool all_groups)
{
	size_t i;
	int r, first = 0;

	for (i = 0; i < catalog_len; i++) {
		if (!catalog[i].probe || (!all_groups && catalog[i].group != g))
			continue;
		r = tfs_kprobe_remove(t, catalog[i].system, catalog[i].name);
		if (r < 0)
			log_warn("cannot remove the kprobe event %s/%s: %s; remove it with: echo -:%s/%s >> %s/kprobe_events",
				 catalog[i].system, catalog[i].name, strerror(-r),
				 catalog[i].system, catalog[i].name, t->dir);
		step(&first, r);
	}
	return first;
}

/*
 * The site of @s to try in pass @pass, for BTF file @btf; *@n keeps what the BTF said
 * of it (see btf_arg_position) from pass 0 to pass 1. Pass 0 tries the sites that name
 * their argument by BTF, with the position read from the file in user space
 * (@pl->by_pos), which holds on kernels that take no argument names too; pass 1 the
 * others in order, a BTF name too when the file could not be read (the kernel looks it
 * up). NULL: not now.
 */
static const struct cat_site *site_to_try(const struct cat_site *s, int pass,
					  const char *btf, int *n, struct placed *pl)
{
	if (!s->btf)
		return pass == 1 ? s : NULL;
	if (pass == 0) {
		*n = btf_arg_position(btf, s->func, s->arg);
		if (*n <= 0)
			return NULL;
		pl->by_pos = *s;
		snprintf(pl->arg, sizeof(pl->arg), "$arg%d", *n);
		pl->by_pos.arg = pl->arg;
		pl->by_pos.btf = false;
		pl->name = s->arg;
		return &pl->by_pos;
	}
	/* tried by position, or the readable BTF has no such function or argument */
	if (*n >= 0)
		return NULL;
	if (*n != -ENOENT)
		log_info("cannot read the position of %s's argument %s in %s (%s): the kernel looks it up",
			 s->func, s->arg, btf, btf_strerror(*n));
	return s;
}

/*
 * The register that holds argument @n (from 1) of a kernel function on this machine,
 * into @buf: for kernels whose kprobe events take no "$argN" (those without
 * CONFIG_HAVE_FUNCTION_ARG_ACCESS_API, such as powerpc's 6.1). NULL where the ABI passes
 * it on the stack, or on another machine.
 */
static const char *arg_register(int n, char *buf, size_t len)
{
#if defined(__x86_64__)
	static const char *const regs[] = { "%di", "%si", "%dx", "%cx", "%r8", "%r9" };

	if (n < 1 || n > 6)
		return NULL;
	snprintf(buf, len, "%s", regs[n - 1]);
#elif defined(__aarch64__)
	if (n < 1 || n > 8)
		return NULL;
	snprintf(buf, len, "%%x%d", n - 1);
#elif defined(__powerpc64__)
	if (n < 1 || n > 8)
		return NULL;
	snprintf(buf, len, "%%r%d", n + 2);
#elif defined(__s390x__)
	if (n < 1 || n > 5)
		return NULL;
	snprintf(buf, len, "%%r%d", n + 1);
#else
	(void)n;
	(void)len;
	return NULL;
#endif
	return buf;
}

/* Defines the kprobe events of group @g at site @s. Returns 0 or the kernel's -errno. */
static int define_site(const struct tfs *t, enum cat_group g, const struct cat_site *s)
{
	char def[256];
	size_t i;
	int r = 0;

	for (i = 0; i < catalog_len && r == 0; i++) {
		if (catalog[i].group != g || !catalog[i].probe)
			continue;
		r = catalog_probe_def(&catalog[i], s, ' ', def, sizeof(def));
		if (r == 0)
			r = tfs_kprobe_add(t, def);
	}
	if (r < 0)
		remove_probes(t, g, false);
	return r;
}

/*
 * Defines the kprobe events of group @g at the first site of their probe that fits the
 * running kernel (@f->release, @f->btf) and that the kernel takes, positions read from
 * BTF first, and a "$argN" the kernel refuses (EINVAL) as the register that holds it:
 * *@probe the probe (NULL: the group has none), @pl the site. Returns 0, or the
 * kernel's -errno for the last site tried (-ENOENT without kprobe events, or when no
 * site fits).
 */
static int add_probes(const struct tfs *t, enum cat_group g, const struct filters *f,
		      const struct cat_probe **probe, struct placed *pl)
{
	const struct cat_site *s;
	int said[PROBE_VARIANTS_MAX];
	bool defined = true;
	size_t i, k;
	int pass, r = -ENOENT;

	*probe = NULL;
	pl->site = NULL;
	for (i = 0; i < catalog_len; i++) {
		if (catalog[i].group != g || !catalog[i].probe)
			continue;
		*probe = catalog[i].probe;
		defined = defined &&
			  tfs_event_exists(t->dir, catalog[i].system, catalog[i].name);
	}
	if (!*probe || defined)
		return 0;
	remove_probes(t, g, false);
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < PROBE_VARIANTS_MAX && (*probe)->sites[k].func; k++) {
			if (!catalog_site_fits(&(*probe)->sites[k], f->release))
				continue;
			s = site_to_try(&(*probe)->sites[k], pass, f->btf, &said[k], pl);
			if (!s)
				continue;
			r = define_site(t, g, s);
			if (r == -EINVAL && !strncmp(s->arg, "$arg", 4) &&
			    arg_register(atoi(s->arg + 4), pl->reg, sizeof(pl->reg))) {
				pl->by_reg = *s;
				pl->by_reg.arg = pl->reg;
				s = &pl->by_reg;
				r = define_site(t, g, s);
			}
			if (r == 0) {
				pl->site = s;
				return 0;
			}
		}
	}
	return r;
}

/*
 * Enables the events of group @g, each with its filter. Returns 0 when one of its
 * variants has all its events; else says what the report loses, turns the group's
 * events off and returns the first -errno.
 */
static int enable_group(const struct tfs *t, const char *buf, enum cat_group g,
			struct filters *f)
{
	const struct cat_group_info *gi = &catalog_groups[g];
	const struct cat_event *bad = NULL;
	const struct cat_probe *probe;
	const struct cat_site *site;
	struct placed pl;
	unsigned seen = 0, broken = 0;
	char p[PATH_MAX];
	size_t i;
	int r, first = 0;

	r = add_probes(t, g, f, &probe, &pl);
	site = pl.site;
	if (r < 0) {
		log_msg(gi->level, "cannot add kprobe events on %s (%s): %s", probe->what,
			strerror(-r), gi->without);
		return r;
	}
	for (i = 0; i < catalog_len; i++) {
		if (catalog[i].group != g)
			continue;
		set_filter(buf, i, f);
		r = tfs_event_enable(buf, catalog[i].system, catalog[i].name);
		seen |= 1u << catalog[i].variant;
		if (r < 0) {
			broken |= 1u << catalog[i].variant;
			if (!bad) {
				bad = &catalog[i];
				first = r;
			}
		}
	}
	if (seen & ~broken) {
		if (site == &pl.by_reg)
			log_info("%s %s (%s: the kernel takes no $argN)", gi->enabled,
				 site->func, site->arg);
		else if (site == &pl.by_pos)
			log_info("%s %s (%s: %s in %s)", gi->enabled, site->func,
				 site->arg, pl.name, f->btf);
		else if (site)
			log_info("%s %s%s%s%s", gi->enabled, site->func,
				 site->btf ? " (" : "", site->btf ? site->arg : "",
				 site->btf ? " by its BTF name)" : "");
		else if (probe)
			log_info("%s %s (defined before)", gi->enabled, probe->what);
		return 0;
	}
	if (gi->without)
		log_msg(gi->level, "cannot enable %s/events/%s/%s (%s): %s", buf,
			bad->system, bad->name, strerror(-first), gi->without);
	for (i = 0; i < catalog_len; i++)
		if (catalog[i].group == g)
			tfs_write(tfs_path(p, buf, "events/%s/%s/enable",
					   catalog[i].system, catalog[i].name),
				  "0");
	if (probe)
		remove_probes(t, g, false);
	return first;
}

/*
 * The filter of the stacktrace trigger on catalog entry @i for @mode into @out: rd.memdebug=5
 * that of the event (every page recorded); else the allocations of every task but the
 * loaders by name (the kernel's own, where the event has a gfp_flags field): PID 1's and
 * the kworkers' too, whose allocations outside their windows may be a module's code (a
 * probe a hook of the shell initrd starts, a timer's work). False when it cannot be
 * written.
 */
static bool trigger_filter(const struct filters *f, size_t i, enum setup_stacks mode,
			   char *out, size_t size)
{
	char tasks[FILTER_MAX];
	int n;

	if (mode == SETUP_STACKS_ALL) {
		n = snprintf(out, size, "%s%s", f->set[i] ? " if " : "",
			     f->set[i] ? f->set[i] : "");
		return n >= 0 && (size_t)n < size;
	}
	if (!f->have_loaders || loaders_tasks_filter(f->tasks, tasks, sizeof(tasks)) < 0)
		return false;
	if (catalog[i].filter == CAT_FILTER_ALLOCS && f->kernel_own[0])
		n = snprintf(out, size, " if %s && !(%s)", f->kernel_own, tasks);
	else
		n = snprintf(out, size, " if !(%s)", tasks);
	return n >= 0 && (size_t)n < size;
}

/*
 * A stacktrace trigger on each entry that asks for one: rd.memdebug=5 on every page
 * recorded, with function+offset in the frames (the call sites); rd.memdebug=4 on the
 * allocations outside the loaders (the late pages), whose frames the raw source places
 * in the modules by address. @on: the groups that were enabled.
 */
static void set_triggers(const char *buf, const struct filters *f, const bool *on,
			 enum setup_stacks mode)
{
	char trigger[2 * FILTER_MAX + 256], p[PATH_MAX];
	const struct cat_event *c;
	bool any = false;
	size_t i;
	int r;

	for (i = 0; i < catalog_len; i++) {
		c = &catalog[i];
		if (!c->stacks || !on[c->group])
			continue;
		memcpy(trigger, "stacktrace", 11);
		r = trigger_filter(f, i, mode, trigger + 10, sizeof(trigger) - 10)
			    ? 0
			    : -E2BIG;
		if (r == 0)
			r = tfs_write(tfs_path(p, buf, "events/%s/%s/trigger", c->system,
					       c->name),
				      trigger);
		if (r < 0)
			log_warn("cannot set a stacktrace trigger on %s:%s (%s): %s",
				 c->system, c->name, strerror(-r),
				 mode == SETUP_STACKS_ALL
					 ? "its pages have no call sites"
					 : "late pages (a module's code outside its load) will not be counted");
		else
			any = true;
	}
	if (!any)
		return;
	if (mode == SETUP_STACKS_LATE) {
		log_info(
			"recording the kernel stacks of allocations outside the loaders, for the late pages");
		return;
	}
	r = tfs_set(buf, "options/sym-offset", "1");
	if (r < 0)
		log_warn("cannot write 1 to %s/options/sym-offset: %s; call sites without their offsets",
			 buf, strerror(-r));
	log_info("recording the kernel stack of each page allocation (rd.memdebug=5)");
}

int setup_events(const struct tfs *t, const char *buf, const struct loaders *l,
		 enum setup_stacks stacks, const char *btf)
{
	bool on[CAT_GROUP_COUNT];
	struct filters f = { 0 };
	struct utsname u;
	int g, r;

	f.release = uname(&u) == 0 ? u.release : NULL;
	f.btf = btf;
	f.tasks = l;
	f.have_loaders = loaders_filter(l, f.loaders, sizeof(f.loaders)) == 0;
	/* the catalog lists the groups in order: module_load first */
	for (g = 0; g < CAT_GROUP_COUNT; g++) {
		if (g == CAT_GROUP_ALLOC && !f.have_loaders)
			log_warn(
				"the loader names do not fit a tracefs filter: recording the page events of every task");
		r = enable_group(t, buf, (enum cat_group)g, &f);
		if (r < 0 && catalog_groups[g].level == LOG_LVL_ERR)
			return r;
		on[g] = r == 0;
	}
	if (stacks != SETUP_STACKS_NONE)
		set_triggers(buf, &f, on, stacks);
	return 0;
}

int setup_disable(const char *buf)
{
	const char *systems[CATALOG_SYSTEMS_MAX];
	char p[PATH_MAX];
	size_t i, j;
	int first = 0;

	catalog_system_list(systems, CATALOG_SYSTEMS_MAX);
	for (j = 0; systems[j]; j++) {
		/* a missing system was never enabled */
		if (access(tfs_path(p, buf, "events/%s", systems[j]), F_OK) < 0)
			continue;
		step(&first, tfs_set(p, "enable", "0"));
	}
	/* Each clearing waits for the tracepoints' readers: one write per system. */
	for (j = 0; systems[j]; j++) {
		for (i = 0; i < catalog_len; i++)
			if (catalog[i].filter != CAT_FILTER_NONE &&
			    !strcmp(catalog[i].system, systems[j]))
				break;
		if (i < catalog_len &&
		    access(tfs_path(p, buf, "events/%s", systems[j]), F_OK) == 0)
			step(&first, tfs_set(p, "filter", "0"));
	}
	/* rd.memdebug=5's triggers; a kprobe event's must go before the event can */
	for (i = 0; i < catalog_len; i++)
		if (catalog[i].stacks)
			step(&first, tfs_trigger_clear(buf, catalog[i].system,
						       catalog[i].name, "stacktrace"));
	return first;
}

int setup_remove_probes(const struct tfs *t)
{
	return remove_probes(t, CAT_GROUP_COUNT, true);
}

void setup_check_since_boot(const struct tfs *t)
{
	char file[PATH_MAX], off[160];
	size_t i, g, len;
	unsigned on;

	for (g = 0; g < CAT_GROUP_COUNT; g++) {
		off[0] = '\0';
		for (i = 0, len = 0, on = 0; i < catalog_len; i++) {
			if (catalog[i].group != g)
				continue;
			snprintf(file, sizeof(file), "events/%s/%s/enable",
				 catalog[i].system, catalog[i].name);
			if (tfs_is_on(t->dir, file))
				on++;
			/* a tracepoint without its directory: this kernel has none */
			else if (len < sizeof(off) &&
				 (catalog[i].probe ||
				  tfs_event_exists(t->dir, catalog[i].system,
						   catalog[i].name)))
				len += (size_t)snprintf(off + len, sizeof(off) - len,
							"%s%s:%s", len ? ", " : "",
							catalog[i].system,
							catalog[i].name);
		}
		if (on && off[0] && catalog_groups[g].without)
			log_warn("the kernel command line turned on the events beside %s, but not %s in the top-level buffer (Linux 6.1 can lose a boot-time event to a race with tracefs): %s",
				 off, strchr(off, ',') ? "them" : "it",
				 catalog_groups[g].without);
	}
}

bool setup_traced_since_boot(const struct tfs *t)
{
	char file[PATH_MAX];
	size_t i;

	for (i = 0; i < catalog_len; i++) {
		if (catalog[i].group != CAT_GROUP_LOAD &&
		    catalog[i].group != CAT_GROUP_ALLOC &&
		    catalog[i].group != CAT_GROUP_PFREE)
			continue;
		snprintf(file, sizeof(file), "events/%s/%s/enable", catalog[i].system,
			 catalog[i].name);
		if (!tfs_is_on(t->dir, file))
			return false;
	}
	return true;
}
