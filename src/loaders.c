// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "loaders.h"
#include "mdko-config.h"

static const char *const default_loaders[] = { DEFAULT_LOADERS };

#define N_DEFAULT (sizeof(default_loaders) / sizeof(default_loaders[0]))

void loaders_init(struct loaders *l)
{
	size_t i;

	for (i = 0; i < N_DEFAULT; i++)
		l->name[i] = default_loaders[i];
	l->n = N_DEFAULT;
	l->name[l->n] = NULL;
	l->filter[0] = '\0';
}

bool loaders_is_kworker(const char *comm, size_t len)
{
	return len > 8 && !memcmp(comm, "kworker/", 8);
}

bool loaders_has(const struct loaders *l, const char *comm, size_t len)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->name[i]) == len && !memcmp(l->name[i], comm, len))
			return true;
	return false;
}

/* Whether @name (@len bytes) fits a comm and a quoted filter; if not, says why. */
static bool good_name(const char *name, size_t len, char *why, size_t why_size)
{
	size_t i;

	if (len > COMM_MAX) {
		snprintf(why, why_size, "loader name '%.*s' must have 1 to %d characters",
			 (int)len, name, COMM_MAX);
		return false;
	}
	for (i = 0; i < len; i++) {
		if (name[i] == '"' || name[i] == '\\' || (unsigned char)name[i] < 0x20) {
			snprintf(why, why_size,
				 "loader name '%.*s' may not contain quotes, backslashes or control characters",
				 (int)len, name);
			return false;
		}
	}
	return true;
}

int loaders_add(struct loaders *l, char *list, char *why, size_t why_size)
{
	char *name, *save = NULL;
	size_t n = l->n, len;

	/* All or none: every name is checked before the first is added. */
	for (name = list; *name; name += len + (name[len] == ',')) {
		len = strcspn(name, ",");
		if (!good_name(name, len, why, why_size))
			return -EINVAL;
	}
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (loaders_has(l, name, strlen(name)))
			continue;
		if (l->n == MAX_LOADERS) {
			l->n = n;
			l->name[n] = NULL;
			snprintf(why, why_size, "more than %d loader names", MAX_LOADERS);
			return -E2BIG;
		}
		l->name[l->n++] = name;
	}
	l->name[l->n] = NULL;
	return 0;
}

void loaders_print_defaults(int indent, int width)
{
	int col = printf("%*salways:", indent, "");
	size_t i;

	for (i = 0; i <= N_DEFAULT; i++) {
		const char *w = i < N_DEFAULT ? default_loaders[i] : "and PID 1";
		int len = (int)strlen(w);

		if (col + 1 + len > width)
			col = printf("\n%*s%s", indent, "", w) - 1;
		else
			col += printf(" %s", w);
	}
	putchar('\n');
}

/* "comm == NAME || " for each loader, then @tail. */
static int comm_filter(const struct loaders *l, char *buf, size_t size, const char *tail)
{
	size_t i, len = 0;
	int n;

	for (i = 0; i < l->n; i++) {
		n = snprintf(buf + len, size - len, "comm == \"%s\" || ", l->name[i]);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	n = snprintf(buf + len, size - len, "%s", tail);
	return n < 0 || (size_t)n >= size - len ? -E2BIG : 0;
}

int loaders_filter(const struct loaders *l, char *buf, size_t size)
{
	return comm_filter(l, buf, size, "common_pid == 1 || comm ~ \"kworker/*\"");
}

int loaders_tasks_filter(const struct loaders *l, char *buf, size_t size)
{
	size_t len;
	int r = comm_filter(l, buf, size, "");

	/* "a || b || " without its last " || " */
	len = strlen(buf);
	if (r == 0 && len >= 4)
		buf[len - 4] = '\0';
	return r == 0 && len >= 4 ? 0 : -EINVAL;
}

void loaders_from_filter(struct loaders *l, bool *active)
{
	char *s = l->filter, *e;

	*active = strstr(s, "comm") != NULL;
	while (l->n < 2 * MAX_LOADERS && (s = strstr(s, "comm == \""))) {
		s += 9;
		e = strchr(s, '"');
		if (!e)
			break;
		*e = '\0';
		l->name[l->n++] = s;
		s = e + 1;
	}
	l->name[l->n] = NULL;
}
