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
extern const struct command cmd_estimate;
extern const struct command cmd_follow;

/* The options the commands share: -t, -r, -l, -k, -q. */
struct cli_common {
	const char *tracefs; /* --tracefs DIR, NULL: find it */
	const char *run_dir; /* --run-dir DIR: set it to DEFAULT_RUN_DIR first */
	char *loader_list[MAX_LOADERS]; /* --loader values, checked after parsing */
	size_t nlists;
	bool kmsg;  /* --kmsg: bad values warn and fall back */
	bool quiet; /* --quiet: no informational messages */
	bool once;  /* --once: nothing after this boot's report */
};

/* One option of a command: where its value goes in the command's options struct. */
struct cli_opt {
	const char *name; /* the long name, "buffer-kb" */
	int key;	  /* the short option, 'b' */
	enum {
		/* takes a value: a const char * at @offset (the last one wins) */
		CLI_VALUE,
		CLI_FLAG, /* no value: a bool at @offset set to true */
		/* --loader: repeatable, into the struct cli_common at @offset */
		CLI_LOADER,
	} kind;
	size_t offset;
};

#define CLI_VALUE(name, key, type, field)                                                \
	{                                                                                \
		name, key, CLI_VALUE, offsetof(type, field)                              \
	}
#define CLI_FLAG(name, key, type, field)                                                 \
	{                                                                                \
		name, key, CLI_FLAG, offsetof(type, field)                               \
	}
/* The common options, in a command whose options struct has its struct cli_common @common. */
#define CLI_TRACEFS(type) CLI_VALUE("tracefs", 't', type, common.tracefs)
#define CLI_RUN_DIR(type) CLI_VALUE("run-dir", 'r', type, common.run_dir)
#define CLI_LOADERS(type)                                                                \
	{                                                                                \
		"loader", 'l', CLI_LOADER, offsetof(type, common)                        \
	}
#define CLI_KMSG(type)	CLI_FLAG("kmsg", 'k', type, common.kmsg)
#define CLI_QUIET(type) CLI_FLAG("quiet", 'q', type, common.quiet)
#define CLI_ONCE(type)	CLI_FLAG("once", 'o', type, common.once)
#define CLI_END                                                                          \
	{                                                                                \
		0                                                                        \
	}

/* A command's command line: its options (and -h, --help), and how many arguments. */
struct cli_cmd {
	const char *name; /* "report", for messages */
	void (*usage)(void);
	const struct cli_opt *opts; /* ends with CLI_END */
	int nargs;		    /* the arguments it takes, -1: any number */
	const char *args; /* nargs > 0: what they are ("two JSON reports, OLD and NEW") */
	const char *hint; /* nargs == 0: said after a stray argument, or "" */
	bool common;	  /* its options begin with a struct cli_common */
};

/*
 * Parses @argv of command @c into its options struct @o: each option of the table,
 * -h/--help (usage printed), and the count of arguments. --kmsg and --quiet take
 * effect. Returns the index of the first argument, or -1 when the command is done and
 * returns *@status: 0 after --help, EXIT_USAGE after an error (explained on stderr).
 */
int cli_parse(const struct cli_cmd *c, void *o, int argc, char **argv, int *status);

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

/*
 * With --once, whether this boot's report has run already (STATE_REPORTED): then the
 * command @what ("nothing is traced again") is said and does nothing.
 */
bool cli_once_done(const struct cli_common *c, const char *what);

/* Adds the --loader lists to @l, the defaults; returns 0 or -EINVAL (explained). */
int cli_loaders(const struct cli_common *c, struct loaders *l);
