/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backend: the tracefs operations that differ between the two builds. The builtin one
 * writes files and reads the instance's text trace; the libtracefs one goes through
 * libtracefs and reads the raw per-cpu buffers with libtraceevent.
 * All return 0 or -errno and leave reporting to the caller, except be_read_events.
 */
#pragma once

#include <stdbool.h>

#include "account.h"
#include "tfs.h"

/* The build's name for --version: "libtracefs" or "builtin". */
extern const char be_name[];

/* Creates the instance; *existed tells whether it was there already. */
int be_instance_create(struct tfs *t, bool *existed);

/* Removes the instance: the kernel frees its ring buffer. */
int be_instance_destroy(struct tfs *t);

/* Writes @val to the file @file (e.g. "tracing_on") of the instance, or of the top level. */
int be_write(struct tfs *t, const char *file, const char *val);

/* Enables the event SYS/EVENT in the instance. */
int be_event_enable(struct tfs *t, const char *sys, const char *event);

/* Sets the filter of SYS/EVENT in the instance ("0" clears it). */
int be_event_filter(struct tfs *t, const char *sys, const char *event, const char *filter);

/*
 * Feeds every event of the stopped instance (or top level) into @a. With @keep, and
 * always for the top level, the events must stay in the buffer. Reports its own errors.
 */
int be_read_events(struct tfs *t, struct acct *a, bool keep);

/* Shared by both: reads the instance's text trace file. */
int be_read_text_trace(struct tfs *t, struct acct *a);
