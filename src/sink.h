/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sink: the report rendered from a summary, for people (a table) and programs (JSON). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "summary.h"

/* The text table on stdout, or with @kmsg as kernel log records. Returns 0 or -errno. */
int sink_text(const struct summary *s, bool kmsg);

/* The JSON object on @f. Returns 0 or -errno. */
int sink_json(const struct summary *s, FILE *f);

/* The JSON object written to @path through a temporary file and rename(2); reported. */
int sink_json_file(const struct summary *s, const char *path);
