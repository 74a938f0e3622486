/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json: a small reader of JSON documents into a tree, enough for memdebug-ko's own
 * reports (compare). Strings keep their bytes; \u escapes below 0x80 are decoded and
 * others become '?'. Nesting is limited to JSON_DEPTH.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define JSON_DEPTH 32

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json {
	enum json_type type;
	bool boolean;
	double number;
	char *string;	    /* JSON_STRING; NUL-terminated */
	char *key;	    /* a member of an object: its name */
	struct json *child; /* arrays and objects: the first element or member */
	struct json *next;  /* the next element or member */
};

/*
 * Parses @text (NUL-terminated); returns the tree or NULL with a message in @err (@n
 * bytes) naming the byte offset.
 */
struct json *json_parse(const char *text, char *err, size_t n);

void json_free(struct json *j);

/* The member @key of object @j, or NULL. */
const struct json *json_get(const struct json *j, const char *key);

/* The number member @key of @j; false when it is missing or not a number. */
bool json_num(const struct json *j, const char *key, double *out);

/* The string member @key of @j, or NULL. */
const char *json_strv(const struct json *j, const char *key);

/*
 * Reads and parses file @path, a JSON report of memdebug-ko ("tool" and a "modules"
 * array); NULL after an error message.
 */
struct json *json_read_report(const char *path);
