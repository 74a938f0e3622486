/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rawfmt: the binary layouts the kernel describes in tracefs, read without libtraceevent:
 * an event's record ("events/SYS/NAME/format": its id and fields) and the ring buffer's
 * sub-buffer ("events/header_page": its timestamp, commit word and data). Records are in
 * the byte order of the kernel that wrote them, which is this machine's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAWFMT_FIELDS_MAX 24
#define RAWFMT_NAME_MAX	  32
#define RAWFMT_MEMO	  6

enum rawfmt_kind {
	RAWFMT_PLAIN, /* a number, or a fixed array (char comm[16]) */
	RAWFMT_DATA_LOC, /* __data_loc: a 32-bit word, offset | length << 16 from the record */
	RAWFMT_REL_LOC, /* __rel_loc: the same, the offset from the word's end */
};

struct rawfmt_field {
	char name[RAWFMT_NAME_MAX];
	uint32_t offset, size;
	bool is_signed;
	bool is_string; /* a char array, fixed or dynamic */
	enum rawfmt_kind kind;
};

struct rawfmt {
	int id; /* -1: the file had no ID line (header_page) */
	unsigned nfields;
	struct rawfmt_field fields[RAWFMT_FIELDS_MAX];
	/* fields looked up by rawfmt_field_memo(), by the address of their name */
	const char *memo_name[RAWFMT_MEMO];
	const struct rawfmt_field *memo[RAWFMT_MEMO];
};

/*
 * Parses the text of a format file (NUL-terminated) into @f. Returns 0, or -EINVAL when
 * it has no usable field line, -E2BIG when it has more fields than there is room for
 * (those that fit are kept).
 */
int rawfmt_parse(const char *text, struct rawfmt *f);

/* Reads and parses the format file @path; returns 0 or -errno (not reported). */
int rawfmt_read(const char *path, struct rawfmt *f);

/* The field named @name, or NULL. */
const struct rawfmt_field *rawfmt_field(const struct rawfmt *f, const char *name);

/*
 * rawfmt_field() for a name that is a string constant, remembered by its address: a
 * decoder asks for the same few fields of every record.
 */
const struct rawfmt_field *rawfmt_field_memo(struct rawfmt *f, const char *name);

/*
 * The number in field @fd of the record @rec (@len bytes), sign-extended when the field
 * is signed; false when the field lies outside the record or has no integer size.
 */
bool rawfmt_num(const struct rawfmt_field *fd, const void *rec, size_t len, uint64_t *v);

/*
 * The string in field @fd of @rec: its start, and in *@n its length up to the first NUL
 * (or the field's end). NULL when it lies outside the record.
 */
const char *rawfmt_str(const struct rawfmt_field *fd, const void *rec, size_t len,
		       size_t *n);

/* Reads an unsigned integer of @size bytes (1, 2, 4 or 8) at @p, in host byte order. */
uint64_t rawfmt_load(const void *p, size_t size);
