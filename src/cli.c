// SPDX-License-Identifier: GPL-2.0-or-later
/* What the commands' option parsing shares. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "state.h"

#define CLI_OPTS_MAX 24

/* Adds one --loader list to @c; returns 0 or -E2BIG (explained). */
static int add_loader_list(struct cli_common *c, char *list)
{
	if (c->nlists == MAX_LOADERS) {
		fprintf(stderr, "memdebug-ko: more than %d loader names\n", MAX_LOADERS);
		return -E2BIG;
	}
	c->loader_list[c->nlists++] = list;
	return 0;
}

/* Builds getopt_long's short and long options from @opts, with -h, --help. */
static void getopt_tables(const struct cli_opt *opts, char *shorts, struct option *longs)
{
	size_t i, n = 0;

	for (i = 0; opts[i].name && i < CLI_OPTS_MAX - 2; i++) {
		longs[i] = (struct option){ opts[i].name,
					    opts[i].kind == CLI_FLAG ? no_argument
								     : required_argument,
					    NULL, opts[i].key };
		shorts[n++] = (char)opts[i].key;
		if (opts[i].kind != CLI_FLAG)
			shorts[n++] = ':';
	}
	longs[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[i] = (struct option){ NULL, 0, NULL, 0 };
	shorts[n++] = 'h';
	shorts[n] = '\0';
}

/* Takes option @key with value @val into @o; returns 0, or -EINVAL for an unknown one. */
static int take_option(const struct cli_opt *opts, int key, char *val, void *o)
{
	char *base = o;
	size_t i;

	for (i = 0; opts[i].name; i++) {
		if (opts[i].key != key)
			continue;
		switch (opts[i].kind) {
		case CLI_VALUE:
			*(const char **)(void *)(base + opts[i].offset) = val;
			return 0;
		case CLI_FLAG:
			*(bool *)(void *)(base + opts[i].offset) = true;
			return 0;
		case CLI_LOADER:
			return add_loader_list((struct cli_common
							*)(void *)(base + opts[i].offset),
					       val);
		}
	}
	return -EINVAL;
}

/* Whether the arguments from @first fit @c; if not, says why. */
static bool args_fit(const struct cli_cmd *c, int argc, char **argv, int first)
{
	if (c->nargs < 0 || argc - first == c->nargs)
		return true;
	if (c->nargs == 0)
		fprintf(stderr, "memdebug-ko: %s takes no argument '%s'%s\n", c->name,
			argv[first], c->hint ? c->hint : "");
	else
		fprintf(stderr, "memdebug-ko: %s takes %s\n", c->name, c->args);
	return false;
}

int cli_parse(const struct cli_cmd *c, void *o, int argc, char **argv, int *status)
{
	struct option longs[CLI_OPTS_MAX];
	char shorts[2 * CLI_OPTS_MAX + 1], cmd[32];
	struct cli_common *common = o;
	int key;

	snprintf(cmd, sizeof(cmd), "%s ", c->name);
	getopt_tables(c->opts, shorts, longs);
	while ((key = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (key == 'h') {
			c->usage();
			*status = 0;
			return -1;
		}
		if (key == '?' || take_option(c->opts, key, optarg, o) < 0) {
			*status = cli_usage_error(cmd);
			return -1;
		}
	}
	if (!args_fit(c, argc, argv, optind)) {
		*status = cli_usage_error(cmd);
		return -1;
	}
	if (c->common && common->kmsg)
		log_use_kmsg(true);
	if (c->common && common->quiet)
		log_set_quiet(true);
	return optind;
}

int cli_usage_error(const char *cmd)
{
	fprintf(stderr, "Try 'memdebug-ko %s--help' for more information.\n", cmd);
	return EXIT_USAGE;
}

int cli_range(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;

	if (!s[0] || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_choice(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int cli_bad_value(const struct cli_common *c, const char *fallback, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->kmsg) {
		log_warn("%s: %s", why, fallback);
		return 0;
	}
	fprintf(stderr, "memdebug-ko: %s\n", why);
	return -EINVAL;
}

bool cli_once_done(const struct cli_common *c, const char *what)
{
	if (!c->once || !state_marked(c->run_dir, STATE_REPORTED))
		return false;
	log_info("this boot's report has run already (%s/reported): %s", c->run_dir,
		 what);
	return true;
}

int cli_loaders(const struct cli_common *c, struct loaders *l)
{
	char why[256], ignoring[FILTER_MAX + 64];
	size_t i;

	for (i = 0; i < c->nlists; i++) {
		/* loaders_add() leaves a list it refuses as it was */
		snprintf(ignoring, sizeof(ignoring),
			 "ignoring --loader '%s' (rd.memdebug_ko.loaders=)",
			 c->loader_list[i]);
		if (loaders_add(l, c->loader_list[i], why, sizeof(why)) < 0 &&
		    cli_bad_value(c, ignoring, "%s", why) < 0)
			return -EINVAL;
	}
	return 0;
}
