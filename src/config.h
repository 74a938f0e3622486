/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: what the command line asked for, shared by every stage of the pipeline. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_LOADERS	   64
#define DEFAULT_BUFFER_KB  4096
#define DEFAULT_CMDLINES   4096
#define DEFAULT_PAGE_SIZE  4096

enum out_format { FMT_TEXT, FMT_JSON };
enum sort_key { SORT_PAGES, SORT_NAME, SORT_LOAD };

struct config {
	const char *tracefs;   /* --tracefs DIR, NULL: find it */
	const char *proc;      /* --proc DIR */
	bool proc_given;
	const char *input;     /* --input FILE, "-" for stdin; NULL: live */
	const char *json_file; /* --json-file PATH */
	const char *save_trace; /* --save-trace PATH */
	enum out_format format;
	enum sort_key sort;
	bool keep, kmsg, quiet;
	uint64_t buffer_kb;
	unsigned page_size;
	/* Loader comms for the kmem filter: the defaults, then --loader names. */
	const char *loaders[MAX_LOADERS + 1];
	size_t nloaders;
};
