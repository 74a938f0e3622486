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

int cli_common_option(int o, struct cli_common *c)
{
	switch (o) {
	case 't':
		c->tracefs = optarg;
		return 0;
	case 'r':
		c->run_dir = optarg;
		return 0;
	case 'l':
		if (c->nlists == MAX_LOADERS) {
			fprintf(stderr, "memdebug-ko: more than %d loader names\n", MAX_LOADERS);
			return -E2BIG;
		}
		c->loader_list[c->nlists++] = optarg;
		return 0;
	case 'k':
		c->kmsg = true;
		log_use_kmsg(true);
		return 0;
	case 'q':
		log_set_quiet(true);
		return 0;
	}
	return -EINVAL;
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

int cli_loaders(const struct cli_common *c, struct loaders *l)
{
	char why[256], ignoring[FILTER_MAX + 64];
	size_t i;

	for (i = 0; i < c->nlists; i++) {
		/* loaders_add() leaves a list it refuses as it was */
		snprintf(ignoring, sizeof(ignoring), "ignoring --loader '%s' (rd.memdebug_ko.loaders=)",
			 c->loader_list[i]);
		if (loaders_add(l, c->loader_list[i], why, sizeof(why)) < 0 &&
		    cli_bad_value(c, ignoring, "%s", why) < 0)
			return -EINVAL;
	}
	return 0;
}
