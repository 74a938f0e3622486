/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * catalog: the trace events memdebug-ko uses, each once, with everything every direction
 * needs of it: its system and name (or its kprobe definition, with the functions a kernel
 * may have), the ev_type sources give it, its filter class, its trigger, its text parser
 * and raw decoder, and the group whose loss the report explains. prepare enables from it
 * (trace-events.c), the give-back disables from it, both sources decode through it, and
 * `memdebug-ko cmdline` prints the trace_event= and kprobe_event= line from it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

/* The system of memdebug-ko's own kprobe events. */
#define PROBE_SYSTEM "memdebug_ko"

/* What filter an event gets when prepare records only the module loaders' events. */
enum cat_filter {
	CAT_FILTER_NONE,    /* every task's: rare events, or events of no loader */
	CAT_FILTER_LOADERS, /* the loaders' (and PID 1's and the kworkers') */
	/*
	 * The loaders', or the kernel's own allocations of every task (unmovable, without
	 * __GFP_ACCOUNT): a kernel thread a load starts has a name of its own.
	 */
	CAT_FILTER_ALLOCS,
	CAT_FILTER_FIXED, /* the entry's own filter, whatever the loaders */
};

/*
 * Groups of events that serve one figure of the report. prepare enables a group whole:
 * when none of its variants has all its events, it says once what the report loses, and
 * turns the group's events off again.
 */
enum cat_group {
	CAT_GROUP_LOAD,	   /* module_load: without it nothing can be traced */
	CAT_GROUP_PUT,	   /* the end of init */
	CAT_GROUP_FREE,	   /* failed inits */
	CAT_GROUP_OOM,	   /* the OOM killer's choices */
	CAT_GROUP_ALLOC,   /* pages */
	CAT_GROUP_PFREE,   /* net */
	CAT_GROUP_BULK,	   /* vmalloc's pages */
	CAT_GROUP_WORK,	   /* the work column */
	CAT_GROUP_THREADS, /* the kernel threads in it */
	CAT_GROUP_COUNT,
};

struct cat_group_info {
	/* of the line that says the group is lost; LOG_LVL_ERR: prepare fails */
	int level;
	const char *without; /* what the report loses then, NULL: say nothing */
	const char *enabled; /* kprobe groups: said with the function when they are on */
};

/*
 * Where a kprobe may sit: the function and the argument that the entries' fetch
 * templates name as %A, by kernel. prepare tries the variants in order: one by a BTF
 * argument name whatever the release (the kernel refuses it without
 * CONFIG_PROBE_EVENTS_BTF_ARGS), one by position only on the releases it fits.
 */
#define PROBE_VARIANTS_MAX 8
struct cat_probe {
	const char *what; /* "the bulk page allocator": for messages */
	struct cat_site {
		const char *func;
		const char *arg; /* what %A stands for: "page_array" or "$arg6" */
		bool btf;	 /* @arg is a name, from BTF */
		const char *
			since; /* positional: the first release it fits ("6.10"), NULL: any */
		const char *
			before; /* positional: the first release it no longer fits, NULL: none */
	} sites[PROBE_VARIANTS_MAX];
};

struct raw_source;
struct raw_rec;

/* Parses the arguments [p, e) of a text trace line into @ev; false when malformed. */
typedef bool (*text_parser)(const char *p, const char *e, struct event *ev);

/* Decodes the fields of a raw record into @ev; false when they are unusable. */
typedef bool (*raw_decoder)(struct raw_source *rs, const struct raw_rec *r,
			    struct event *ev);

struct cat_event {
	const char *system;
	const char *name;
	enum ev_type type;
	enum cat_group group;
	/* Events of one group with the same variant are enough together (0 for most). */
	unsigned variant;
	enum cat_filter filter;
	const char *fixed_filter; /* CAT_FILTER_FIXED */
	bool stacks; /* rd.memdebug=5: a stacktrace trigger, filtered as the event */
	/*
	 * kprobe events: the definition after "p:SYSTEM/NAME FUNC " ("r:" with @ret), on the
	 * first site of @probe the kernel takes, with %A in @fetch standing for its argument;
	 * NULL for tracepoints.
	 */
	const struct cat_probe *probe;
	bool ret;
	const char *fetch;
	text_parser text;
	raw_decoder raw;
};

/* Room for the catalog's entries where a source keeps something for each. */
#define CATALOG_MAX 32

extern const struct cat_event catalog[];
extern const size_t catalog_len;
extern const struct cat_group_info catalog_groups[CAT_GROUP_COUNT];

/* Room for the systems of the catalog and the NULL after them. */
#define CATALOG_SYSTEMS_MAX 16

/*
 * Fills @out (@max entries) with the systems of the catalog, each once, in its order,
 * and a NULL after them (libtraceevent's list); returns how many.
 */
size_t catalog_system_list(const char **out, size_t max);

/*
 * Whether sched_waking's filter drops the wakeup of task @comm (@len bytes; NULL: no
 * comm, kept): the accounting drops the same from a trace recorded without the filter.
 */
bool catalog_wake_dropped(const char *comm, size_t len);

/* The entry named @name (@len bytes), or NULL: text trace lines carry only the name. */
const struct cat_event *catalog_find(const char *name, size_t len);

/*
 * Writes the kprobe definition of @ev at @site into @out (@size), with @sep between its
 * words: ' ' for kprobe_events, ',' for kprobe_event= on the kernel command line.
 * Returns 0, or -E2BIG.
 */
int catalog_probe_def(const struct cat_event *ev, const struct cat_site *site, char sep,
		      char *out, size_t size);

/* Whether release @r ("6.12.48+deb13-amd64") is @since ("6.10") or later. */
bool catalog_release_at_least(const char *r, const char *since);

/*
 * Whether @site may be tried on a kernel of release @release ("6.12.48+deb13-amd64", or
 * NULL when unknown): a BTF name always (the kernel says), a position only on the
 * releases it fits.
 */
bool catalog_site_fits(const struct cat_site *site, const char *release);
