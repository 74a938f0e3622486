/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report: the per-module table for people and the JSON object for programs. */
#pragma once

#include <stdio.h>

#include "account.h"
#include "config.h"

/* What the report says about where its events came from. */
struct report_src {
	bool live;
	bool top;	    /* live: read from the top-level buffer (trace_event= at boot) */
	uint64_t buffer_kb; /* live: the instance's per-CPU buffer, 0 when unknown */
	unsigned page_size;
};

/* The text table on stdout, or with --kmsg as kernel log records. Returns 0 or -errno. */
int report_text(const struct acct *a, const struct config *c, const struct report_src *s);

/* The JSON object on @f. Returns 0 or -errno. */
int report_json(const struct acct *a, const struct report_src *s, FILE *f);

/* The JSON object written to @path through a temporary file and rename(2). */
int report_json_file(const struct acct *a, const struct report_src *s, const char *path);

/*
 * Formats @ns as milliseconds with @decimals (1 to 6) digits after the point, rounded half
 * up, in integers: the musl build then needs no floating-point printf. Returns @buf.
 */
char *ms_str(char *buf, size_t size, uint64_t ns, unsigned decimals);
