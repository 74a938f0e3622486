/* SPDX-License-Identifier: GPL-2.0-or-later */
/* source-text: the ftrace text format, as the trace and trace_pipe files print it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "source.h"

enum line_kind {
	LINE_EVENT, /* @ev is filled */
	LINE_FRAME, /* @ev is filled: a frame of the stack event above, not an event */
	LINE_LOST,  /* @num events were dropped (LOST lines, entries-written header) */
	LINE_PAGE_SIZE, /* @num is the page size of a trace memdebug-ko saved */
	LINE_IGNORED,	/* blank line or comment */
	LINE_MALFORMED, /* looked like nothing known or had broken fields */
};

/*
 * Parses one line without its newline. Fields are found by name, so the irq-info and
 * tgid columns may be present or not, and comm may hold spaces, dashes and brackets.
 */
enum line_kind text_parse_line(const char *s, size_t len, struct event *ev,
			       uint64_t *num);

/*
 * The parsers of each event's arguments, [p, e) after "NAME: ", as the catalog names
 * them: false when a field is missing or out of range.
 */
bool text_module(const char *p, const char *e, struct event *ev); /* module_load, _free */
bool text_module_put(const char *p, const char *e,
		     struct event *ev);				/* and its call site */
bool text_page(const char *p, const char *e, struct event *ev); /* mm_page_alloc, _free */
bool text_victim(const char *p, const char *e, struct event *ev);
bool text_bulk_enter(const char *p, const char *e, struct event *ev);
bool text_bulk_exit(const char *p, const char *e, struct event *ev);
bool text_work_queue(const char *p, const char *e, struct event *ev);
bool text_work_run(const char *p, const char *e,
		   struct event *ev); /* execute_start, _end */
bool text_rename(const char *p, const char *e, struct event *ev);
bool text_newtask(const char *p, const char *e, struct event *ev);
bool text_waking(const char *p, const char *e, struct event *ev);

/* A text trace read in pieces that end anywhere in a line (a file, a pipe, trace_pipe). */
struct text_stream {
	char *buf;
	size_t size;   /* of @buf: the longest line that can be read */
	size_t have;   /* bytes of an unfinished line at the start of @buf */
	bool skipping; /* inside a line longer than the buffer */
	/* return -EINTR instead of retrying (a watcher told to stop) */
	bool stop_on_eintr;
	int tee_fd;  /* -1, or where a copy of every byte read goes */
	int tee_err; /* the first errno of writing to @tee_fd */
	int fn_err;  /* what @fn returned, when it stopped the stream */
	event_fn fn;
	void *ctx;
	struct source_stats *st;
};

/* Sets up @ts with a buffer of @size to hand events to @fn; returns 0 or -ENOMEM. */
int text_stream_init(struct text_stream *ts, size_t size, event_fn fn, void *ctx,
		     struct source_stats *st);

/*
 * One read(2) of @fd, its complete lines parsed and handed on. Returns the bytes read,
 * 0 at the end of the file, or -errno: of the read (-EAGAIN on an empty non-blocking
 * trace_pipe), or of @fn (then ts->fn_err is set).
 */
ssize_t text_stream_read(struct text_stream *ts, int fd);

/* Hands on the last line if it had no newline; returns 0 or what @fn returned. */
int text_stream_end(struct text_stream *ts);

void text_stream_free(struct text_stream *ts);

/*
 * Streams a whole text trace from @fd to @fn, counting into @st; @what names it in
 * messages. Returns 0 or -errno (reported here, also when @fn fails).
 */
int text_read(int fd, const char *what, event_fn fn, void *ctx, struct source_stats *st);
