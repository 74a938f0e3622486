// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A format file looks like this (header_page has the same field lines, with a space
 * after "field:", and no name or ID):
 *
 *   name: mm_page_alloc
 *   ID: 653
 *   format:
 *           field:unsigned short common_type;       offset:0;       size:2; signed:0;
 *           ...
 *           field:unsigned long pfn;        offset:8;       size:8; signed:0;
 *           field:__data_loc char[] name;   offset:12;      size:4; signed:0;
 *           field:char comm[16];    offset:8;       size:16;        signed:0;
 *
 *   print fmt: ...
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "rawfmt.h"

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* The value of "KEY:N;" in [p, e), or -1. */
static long key_value(const char *p, const char *e, const char *key)
{
	size_t klen = strlen(key);
	const char *v = p;
	char *end;
	long n;

	while ((v = memmem(v, (size_t)(e - v), key, klen)) != NULL) {
		if (v == p || !is_ident(v[-1]))
			break;
		v += klen;
	}
	if (!v)
		return -1;
	n = strtol(v + klen, &end, 10);
	if (end == v + klen || end > e || *end != ';' || n < 0)
		return -1;
	return n;
}

/*
 * Fills @fd from the declaration [d, e) ("unsigned long pfn", "char comm[16]",
 * "__data_loc char[] name") and the rest of its line [e, le). False when malformed.
 */
static bool parse_field(const char *d, const char *e, const char *le,
			struct rawfmt_field *fd)
{
	const char *n = e, *ne;
	long off, size, sgn;

	/* the name is the last identifier, before a fixed array's brackets */
	while (n > d && n[-1] == ' ')
		n--;
	if (n > d && n[-1] == ']') {
		while (n > d && n[-1] != '[')
			n--;
		if (n == d)
			return false;
		n--;
	}
	ne = n;
	while (n > d && is_ident(n[-1]))
		n--;
	if (n == ne || (size_t)(ne - n) >= sizeof(fd->name))
		return false;
	off = key_value(e, le, "offset:");
	size = key_value(e, le, "size:");
	sgn = key_value(e, le, "signed:");
	if (off < 0 || size < 0 || off > UINT16_MAX || size > UINT16_MAX)
		return false;
	memcpy(fd->name, n, (size_t)(ne - n));
	fd->name[ne - n] = '\0';
	fd->offset = (uint32_t)off;
	fd->size = (uint32_t)size;
	fd->is_signed = sgn > 0;
	fd->kind = RAWFMT_PLAIN;
	if (e - d > 11 && !memcmp(d, "__data_loc ", 11))
		fd->kind = RAWFMT_DATA_LOC;
	else if (e - d > 10 && !memcmp(d, "__rel_loc ", 10))
		fd->kind = RAWFMT_REL_LOC;
	fd->is_string =
		memmem(d, (size_t)(e - d), "char", 4) && memchr(d, '[', (size_t)(e - d));
	return true;
}

int rawfmt_parse(const char *text, struct rawfmt *f)
{
	const char *p = text, *le, *d, *semi;
	bool full = false;

	f->id = -1;
	f->nfields = 0;
	for (; *p; p = *le ? le + 1 : le) {
		le = strchr(p, '\n');
		if (!le)
			le = p + strlen(p);
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (le - p > 4 && !memcmp(p, "ID: ", 4)) {
			f->id = atoi(p + 4);
			continue;
		}
		if (le - p < 6 || memcmp(p, "field:", 6))
			continue;
		d = p + 6;
		while (d < le && *d == ' ')
			d++;
		semi = memchr(d, ';', (size_t)(le - d));
		if (!semi)
			continue;
		if (f->nfields == RAWFMT_FIELDS_MAX) {
			full = true;
			continue;
		}
		if (parse_field(d, semi, le, &f->fields[f->nfields]))
			f->nfields++;
	}
	if (!f->nfields)
		return -EINVAL;
	return full ? -E2BIG : 0;
}

int rawfmt_read(const char *path, struct rawfmt *f)
{
	char *text;
	int r = io_read_all(path, &text);

	if (r < 0)
		return r;
	r = rawfmt_parse(text, f);
	free(text);
	return r;
}

const struct rawfmt_field *rawfmt_field(const struct rawfmt *f, const char *name)
{
	unsigned i;

	for (i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, name))
			return &f->fields[i];
	return NULL;
}

const struct rawfmt_field *rawfmt_field_memo(struct rawfmt *f, const char *name)
{
	unsigned i;

	for (i = 0; i < RAWFMT_MEMO && f->memo_name[i]; i++)
		if (f->memo_name[i] == name)
			return f->memo[i];
	if (i == RAWFMT_MEMO)
		return rawfmt_field(f, name);
	f->memo_name[i] = name;
	f->memo[i] = rawfmt_field(f, name);
	return f->memo[i];
}

uint64_t rawfmt_load(const void *p, size_t size)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;
	uint8_t v1;

	switch (size) {
	case 1:
		memcpy(&v1, p, 1);
		return v1;
	case 2:
		memcpy(&v2, p, 2);
		return v2;
	case 4:
		memcpy(&v4, p, 4);
		return v4;
	default:
		memcpy(&v8, p, 8);
		return v8;
	}
}

bool rawfmt_num(const struct rawfmt_field *fd, const void *rec, size_t len, uint64_t *v)
{
	unsigned bits = fd->size * 8;
	uint64_t x;

	if (fd->kind != RAWFMT_PLAIN ||
	    (fd->size != 1 && fd->size != 2 && fd->size != 4 && fd->size != 8) ||
	    (size_t)fd->offset + fd->size > len)
		return false;
	x = rawfmt_load((const char *)rec + fd->offset, fd->size);
	if (fd->is_signed && bits < 64 && (x >> (bits - 1)) & 1)
		x |= ~0ull << bits;
	*v = x;
	return true;
}

const char *rawfmt_str(const struct rawfmt_field *fd, const void *rec, size_t len,
		       size_t *n)
{
	const char *base = rec;
	uint32_t off = fd->offset, size = fd->size, loc;

	if ((size_t)off + size > len)
		return NULL;
	if (fd->kind != RAWFMT_PLAIN) {
		if (size != 4)
			return NULL;
		loc = (uint32_t)rawfmt_load(base + off, 4);
		size = loc >> 16;
		off = (loc & 0xffff) + (fd->kind == RAWFMT_REL_LOC ? off + 4 : 0);
		if ((size_t)off + size > len)
			return NULL;
	}
	*n = strnlen(base + off, size);
	return base + off;
}
