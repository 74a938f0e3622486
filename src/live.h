/* SPDX-License-Identifier: GPL-2.0-or-later */
/* live: the trace instance of this boot, from prepare to its removal after report. */
#pragma once

#include "account.h"
#include "config.h"
#include "report.h"
#include "tfs.h"

/* Sets up and starts the instance; a second run leaves a running one untouched. */
int live_prepare(const struct config *c);

/*
 * Stops tracing and feeds the instance's events into @a (which borrows loader names
 * kept in static storage here); fills @s. Returns 0 or -errno, reported.
 */
int live_collect(struct tfs *t, const struct config *c, struct acct *a,
		 struct report_src *s);

/*
 * After the report, also a failed one: removes the instance found by live_collect (its
 * buffer goes back to the kernel, which matters more in a kdump kernel than a retry), or
 * with --keep turns tracing back on. Returns 0 or -errno, reported as a warning.
 */
int live_finish(struct tfs *t, const struct config *c);
