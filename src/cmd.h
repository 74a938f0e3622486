/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd: the commands main() dispatches to, and the option handling they share (cli.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loaders.h"

#define EXIT_USAGE 2

/* One command: run() takes argv from the command's name on and returns the exit status. */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

extern const struct command cmd_prepare;
extern const struct command cmd_report;
extern const struct command cmd_watch;
extern const struct command cmd_compare;
extern const struct command cmd_plot;
extern const struct command cmd_cmdline;

/* The options the commands share: -t, -r, -l, -k, -q. */
struct cli_common {
	const char *tracefs;		 /* --tracefs DIR, NULL: find it */
	const char *run_dir;		 /* --run-dir DIR: set it to DEFAULT_RUN_DIR first */
	char *loader_list[MAX_LOADERS];	 /* --loader values, checked after parsing */
	size_t nlists;
	bool kmsg;			 /* --kmsg: bad values warn and fall back */
};

/* Handles option @o if it is a common one; returns 0, or -EINVAL when it is not. */
int cli_common_option(int o, struct cli_common *c);

/* Prints the hint that follows a usage error of command @cmd; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd);

/* Parses a whole decimal number in [min, max]; returns 0 or -EINVAL. */
int cli_range(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* The index of @s in the NULL-terminated @names, or -1. */
int cli_choice(const char *s, const char *const *names);

/*
 * An option value that was refused for the reason @fmt...: without --kmsg a usage error
 * on stderr (returns -EINVAL); with --kmsg, as in the initramfs hooks, a warning that
 * ends in @fallback, and the command goes on with its default (returns 0).
 */
int cli_bad_value(const struct cli_common *c, const char *fallback, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Adds the --loader lists to @l, the defaults; returns 0 or -EINVAL (explained). */
int cli_loaders(const struct cli_common *c, struct loaders *l);
