// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "json.h"
#include "log.h"

struct parser {
	const char *s, *p;
	char *err;
	size_t n;
	int depth;
};

static struct json *fail(struct parser *ps, const char *what)
{
	if (!ps->err[0])
		snprintf(ps->err, ps->n, "%s at byte %zu", what, (size_t)(ps->p - ps->s));
	return NULL;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at ps->p (after its quote): a new NUL-terminated copy, or NULL. */
static char *parse_str(struct parser *ps)
{
	const char *p = ps->p;
	size_t len = 0;
	char *out, *o;
	int i, v, h;

	/* first pass: the length and the end */
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return (char *)fail(ps, "a control character in a string");
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (i = 1; i <= 4; i++)
					if (hexval(p[i]) < 0)
						return (char *)fail(ps,
								    "a bad \\u escape");
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return (char *)fail(ps, "a bad escape");
			}
		}
		p++;
		len++;
	}
	if (*p != '"')
		return (char *)fail(ps, "an unterminated string");
	out = o = malloc(len + 1);
	if (!out)
		return (char *)fail(ps, "out of memory");
	for (p = ps->p; *p != '"'; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			for (v = 0, i = 1; i <= 4; i++) {
				h = hexval(p[i]);
				v = v * 16 + h;
			}
			*o++ = v > 0 && v < 0x80 ? (char)v : '?';
			p += 4;
			break;
		default:
			*o++ = *p;
			break;
		}
	}
	*o = '\0';
	ps->p = p + 1;
	return out;
}

static struct json *parse_value(struct parser *ps);

/* The elements or members up to @close; @object: "key": value pairs. */
static struct json *parse_list(struct parser *ps, struct json *j, char close, bool object)
{
	struct json **tail = &j->child, *v;
	char *key = NULL;

	if (++ps->depth > JSON_DEPTH)
		return fail(ps, "nesting too deep");
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return j;
	}
	for (;;) {
		skip_ws(ps);
		if (object) {
			if (*ps->p != '"')
				return fail(ps, "a member without a name");
			ps->p++;
			key = parse_str(ps);
			if (!key)
				return NULL;
			skip_ws(ps);
			if (*ps->p != ':') {
				free(key);
				return fail(ps, "no ':' after a member's name");
			}
			ps->p++;
		}
		v = parse_value(ps);
		if (!v) {
			free(key);
			return NULL;
		}
		v->key = key;
		key = NULL;
		*tail = v;
		tail = &v->next;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			ps->depth--;
			return j;
		}
		return fail(ps, object ? "no ',' or '}' after a member"
				       : "no ',' or ']' after an element");
	}
}

static struct json *parse_value(struct parser *ps)
{
	struct json *j = calloc(1, sizeof(*j));
	char *end;

	if (!j)
		return fail(ps, "out of memory");
	skip_ws(ps);
	switch (*ps->p) {
	case '{':
		ps->p++;
		j->type = JSON_OBJECT;
		if (!parse_list(ps, j, '}', true))
			goto bad;
		return j;
	case '[':
		ps->p++;
		j->type = JSON_ARRAY;
		if (!parse_list(ps, j, ']', false))
			goto bad;
		return j;
	case '"':
		ps->p++;
		j->type = JSON_STRING;
		j->string = parse_str(ps);
		if (!j->string)
			goto bad;
		return j;
	}
	if (!strncmp(ps->p, "null", 4)) {
		ps->p += 4;
		return j;
	}
	if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
		j->type = JSON_BOOL;
		j->boolean = *ps->p == 't';
		ps->p += j->boolean ? 4 : 5;
		return j;
	}
	if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
		errno = 0;
		j->number = strtod(ps->p, &end);
		if (end == ps->p || errno == ERANGE) {
			fail(ps, "a bad number");
			goto bad;
		}
		j->type = JSON_NUMBER;
		ps->p = end;
		return j;
	}
	fail(ps, "an unexpected character");
bad:
	json_free(j);
	return NULL;
}

struct json *json_parse(const char *text, char *err, size_t n)
{
	struct parser ps = { .s = text, .p = text, .err = err, .n = n };
	struct json *j;

	err[0] = '\0';
	j = parse_value(&ps);
	if (!j)
		return NULL;
	skip_ws(&ps);
	if (*ps.p) {
		fail(&ps, "text after the document");
		json_free(j);
		return NULL;
	}
	return j;
}

void json_free(struct json *j)
{
	struct json *next;

	for (; j; j = next) {
		next = j->next;
		json_free(j->child);
		free(j->string);
		free(j->key);
		free(j);
	}
}

const struct json *json_get(const struct json *j, const char *key)
{
	const struct json *c;

	if (!j || j->type != JSON_OBJECT)
		return NULL;
	for (c = j->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

bool json_num(const struct json *j, const char *key, double *out)
{
	const struct json *v = json_get(j, key);

	if (!v || v->type != JSON_NUMBER)
		return false;
	*out = v->number;
	return true;
}

const char *json_strv(const struct json *j, const char *key)
{
	const struct json *v = json_get(j, key);

	return v && v->type == JSON_STRING ? v->string : NULL;
}

struct json *json_read_report(const char *path)
{
	char *text = NULL, err[128];
	const struct json *mods;
	const char *tool;
	struct json *j;
	int r = io_read_all(path, &text);

	if (r < 0) {
		log_err("cannot read %s: %s", path, strerror(-r));
		return NULL;
	}
	j = json_parse(text, err, sizeof(err));
	free(text);
	if (!j) {
		log_err("%s is not JSON: %s", path, err);
		return NULL;
	}
	tool = json_strv(j, "tool");
	mods = json_get(j, "modules");
	if (!tool || strcmp(tool, "memdebug-ko") || !mods || mods->type != JSON_ARRAY) {
		log_err("%s is not a JSON report of memdebug-ko", path);
		json_free(j);
		return NULL;
	}
	return j;
}
