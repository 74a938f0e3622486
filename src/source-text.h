/* SPDX-License-Identifier: GPL-2.0-or-later */
/* source-text: the ftrace text format, as the trace and trace_pipe files print it. */
#pragma once

#include <stddef.h>

#include "source.h"

enum line_kind {
	LINE_EVENT,	/* @ev is filled */
	LINE_LOST,	/* @lost events were dropped (LOST lines, entries-written header) */
	LINE_IGNORED,	/* blank line or comment */
	LINE_MALFORMED, /* looked like nothing known or had broken fields */
};

/*
 * Parses one line without its newline. Fields are found by name, so the irq-info and
 * tgid columns may be present or not, and comm may hold spaces, dashes and brackets.
 */
enum line_kind text_parse_line(const char *s, size_t len, struct event *ev, uint64_t *lost);

/*
 * Streams a whole text trace from @fd to @fn, counting into @st; @what names it in
 * messages. Returns 0 or -errno (reported here, also when @fn fails).
 */
int text_read(int fd, const char *what, event_fn fn, void *ctx, struct source_stats *st);
