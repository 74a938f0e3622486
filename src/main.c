// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko: which kernel module ate the memory while it loaded.
 *   prepare  claims the idle top-level trace buffer (else makes an instance) and
 *            enables the catalog's events (cmd-prepare.c; dracut cmdline hook 00)
 *   watch    reads it as events come and streams what must survive an OOM death
 *            (cmd-watch.c; started right after prepare)
 *   report   reads it, prints the per-module table and gives the buffer back
 *            (cmd-report.c; pre-pivot 99), or replays a saved ftrace text trace with
 *            --input.
 *   compare, plot  two JSON reports side by side; one report's timeline as SVG
 *   cmdline  the kernel options of the boot-parameter mode, from the catalog
 *   estimate the crashkernel= to set, from the reports beside the dumps
 * This file only dispatches: the commands come from a table, each in its own file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mdko-config.h"

static const struct command *const commands[] = { &cmd_prepare,	 &cmd_watch, &cmd_report,
						  &cmd_compare,	 &cmd_plot,  &cmd_cmdline,
						  &cmd_estimate, &cmd_follow };

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: memdebug-ko COMMAND [OPTION]...\n"
		"Show which kernel module allocated how much memory while it loaded.\n\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i]->name, commands[i]->help);
	fprintf(f,
		"\n  -h, --help     this help; 'memdebug-ko COMMAND --help' for a command\n"
		"  -V, --version  version and backend\n\n"
		"Exit status: 0 ok, 1 runtime error, 2 usage error.\n"
		"In a dracut initramfs, boot with rd.memdebug=4; see memdebug-ko(8).\n");
}

/* The command named @name, or NULL. */
static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i]->name))
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int ret;

	if (argc < 2) {
		usage(stderr);
		ret = EXIT_USAGE;
	} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		ret = 0;
	} else if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("memdebug-ko %s (%s backend)\n", MEMDEBUG_KO_VERSION,
		       HAVE_LIBTRACEFS ? "libtracefs" : "builtin");
		ret = 0;
	} else if (!(cmd = find_command(argv[1]))) {
		fprintf(stderr, "memdebug-ko: unknown command '%s'\n", argv[1]);
		ret = cli_usage_error("");
	} else {
		ret = cmd->run(argc - 1, argv + 1);
	}
	if (fflush(stdout) == EOF && !ret) {
		fprintf(stderr, "memdebug-ko: cannot write to standard output: %s\n",
			strerror(errno));
		ret = EXIT_FAILURE;
	}
	return ret;
}
