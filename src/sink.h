/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sink: the report rendered from a summary, for people (a table) and programs (JSON), and
 * the watcher's stream. The sinks decide nothing: what counts as measured, which notes,
 * what bound, all comes from the summary (summary.h); they only render it.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "summary.h"

/* The lines of a text sink. */
struct emitter {
	bool kmsg; /* kernel log records; stdout when writing them fails */
	int err;   /* the first error of writing to stdout */
};

/* One line: a kernel log record at notice level, or a line on stdout. */
void sink_emit(struct emitter *em, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies @s for a terminal: control and non-ASCII bytes become '?'. Returns @buf. */
const char *sink_printable(const char *s, char *buf, size_t size);

/* "COMM[PID]" of a loader, printable, into @buf. Returns @buf. */
char *sink_loader(char *buf, size_t size, const char *comm, int pid);

/* The text table on stdout, or with @kmsg as kernel log records. Returns 0 or -errno. */
int sink_text(const struct summary *s, bool kmsg);

/* The stream of the watcher: an observer of the accounting (sink-stream.c). */
struct stream {
	struct emitter em;
	uint64_t min_pages; /* finished loads smaller than this are not streamed */
	unsigned page_kib;
	struct acct_observer obs; /* give &obs to acct_observe() */
};

/* Sets up @s: lines to the kernel log with @kmsg, else to stdout. */
void stream_init(struct stream *s, bool kmsg, uint64_t min_kib, unsigned page_size);

/*
 * @ev as a line of the ftrace text format that `report --input` reads (sink-trace.c),
 * with its newline, into @out (@size); @gfp (or NULL) is mm_page_alloc's gfp_flags as
 * the kernel names them. Returns its length, 0 for an event the format has no line for,
 * or -1 when it does not fit.
 */
int sink_trace_line(const struct event *ev, const char *gfp, char *out, size_t size);

/*
 * A trace saved from the raw buffers (sink-trace.c): events as sink_trace_line()s to a
 * file, buffered. The lines carry the work addresses the raw records hold, not the
 * "(____ptrval____)" a kernel whose random pool was not ready prints into its text.
 */
struct trace_tee {
	int fd;	     /* where the lines go */
	int err;     /* the first errno of writing, 0 while it goes well */
	size_t used; /* bytes of @buf not written yet */
	char *buf;
};

/* Sets up @t to write to @fd (which stays the caller's). Returns 0 or -ENOMEM. */
int trace_tee_init(struct trace_tee *t, int fd);

/*
 * Writes the first line of a saved trace to @fd: this machine's page size, which report
 * --input reads back (TRACE_PAGE_SIZE_LINE); 0 or -errno.
 */
int sink_trace_header(int fd);

/* Adds @ev's line, with @gfp as sink_trace_line() takes it. */
void trace_tee_event(struct trace_tee *t, const struct event *ev, const char *gfp);

/* Writes what @t buffers. */
void trace_tee_flush(struct trace_tee *t);

/* Frees the buffer of @t, after a last trace_tee_flush(). */
void trace_tee_free(struct trace_tee *t);

/* @s as a JSON string on @f; bytes outside printable ASCII are escaped (valid UTF-8). */
void sink_json_str(FILE *f, const char *s);

/* The JSON object on @f. Returns 0 or -errno. */
int sink_json(const struct summary *s, FILE *f);

/* The JSON object written to @path through a temporary file and rename(2); reported. */
int sink_json_file(const struct summary *s, const char *path);
