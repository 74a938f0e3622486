// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btf: an argument's position, from the kernel's BTF read as a stream (the format:
 * Documentation/bpf/btf.rst). Two passes with a 16 KiB buffer: the string section gives
 * the offsets of the two names, the type section the function (BTF_KIND_FUNC, whose
 * type is its BTF_KIND_FUNC_PROTO) and the prototypes that have a parameter of the
 * argument's name, in whichever order they come. Nothing of the file is kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "btf.h"
#include "io.h"

#define BTF_MAGIC 0xeB9F
#define BUF_SIZE  16384
/* prototypes with a parameter of the name, and functions of the name, told apart */
#define PROTOS_MAX 64
#define FUNCS_MAX  8

enum {
	KIND_INT = 1,
	KIND_ARRAY = 3,
	KIND_STRUCT = 4,
	KIND_UNION = 5,
	KIND_ENUM = 6,
	KIND_FUNC = 12,
	KIND_FUNC_PROTO = 13,
	KIND_VAR = 14,
	KIND_DATASEC = 15,
	KIND_DECL_TAG = 17,
	KIND_ENUM64 = 19,
	KIND_LAST = 19,
};

struct reader {
	int fd;
	uint64_t left; /* bytes of the section not yet taken */
	size_t pos, len;
	unsigned char buf[BUF_SIZE];
};

/* Starts reading @len bytes at @off of the file. */
static int rd_start(struct reader *r, uint64_t off, uint64_t len)
{
	if (lseek(r->fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	r->left = len;
	r->pos = r->len = 0;
	return 0;
}

/*
 * Keeps what is unread and fills the buffer up to @want bytes (at most BUF_SIZE) or to
 * the end of the section. Returns the bytes available, or -errno.
 */
static ssize_t rd_fill(struct reader *r, size_t want)
{
	size_t room;
	ssize_t n;

	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	while (r->len < want && r->left > 0) {
		room = BUF_SIZE - r->len;
		if (room > r->left)
			room = (size_t)r->left;
		n = io_read(r->fd, r->buf + r->len, room);
		if (n < 0)
			return n;
		if (n == 0)
			return -EINVAL; /* the file ends inside a section its header names */
		r->len += (size_t)n;
		r->left -= (uint64_t)n;
	}
	return (ssize_t)r->len;
}

/* Copies the next @n bytes (n <= BUF_SIZE) to @out; -EINVAL when the section ends. */
static int rd_get(struct reader *r, void *out, size_t n)
{
	ssize_t have;

	if (r->len - r->pos < n) {
		have = rd_fill(r, n);
		if (have < 0)
			return (int)have;
		if ((size_t)have < n)
			return -EINVAL;
	}
	memcpy(out, r->buf + r->pos, n);
	r->pos += n;
	return 0;
}

/* Skips the next @n bytes; -EINVAL when the section ends first. */
static int rd_skip(struct reader *r, uint64_t n)
{
	ssize_t have;

	while (n > 0) {
		if (r->pos == r->len) {
			have = rd_fill(r, BUF_SIZE);
			if (have < 0)
				return (int)have;
			if (have == 0)
				return -EINVAL;
		}
		if (n <= r->len - r->pos) {
			r->pos += (size_t)n;
			return 0;
		}
		n -= r->len - r->pos;
		r->pos = r->len;
	}
	return 0;
}

/*
 * The string section: sets off[i] to the offset of names[i] (two of them), or leaves
 * it at UINT32_MAX. Strings are NUL-terminated one after another; one longer than the
 * buffer cannot be a name we look for, and is skipped.
 */
static int find_names(struct reader *r, const char *const names[2], uint32_t off[2])
{
	size_t nlen[2] = { strlen(names[0]), strlen(names[1]) };
	uint64_t at = 0; /* offset of r->buf[r->pos] in the section */
	bool skipping = false;
	unsigned char *nul;
	ssize_t have;
	size_t len;
	int i;

	for (;;) {
		if (r->pos == r->len || !memchr(r->buf + r->pos, 0, r->len - r->pos)) {
			have = rd_fill(r, BUF_SIZE);
			if (have < 0)
				return (int)have;
			if (have == 0)
				return 0;
		}
		nul = memchr(r->buf + r->pos, 0, r->len - r->pos);
		if (!nul) {
			if (r->len - r->pos < BUF_SIZE && r->left == 0)
				return 0; /* the last string has no NUL: nothing to find there */
			/* a string longer than the buffer: not one of ours */
			at += r->len - r->pos;
			r->pos = r->len;
			skipping = true;
			continue;
		}
		len = (size_t)(nul - (r->buf + r->pos));
		for (i = 0; i < 2 && !skipping; i++)
			if (len == nlen[i] && off[i] == UINT32_MAX && at <= UINT32_MAX &&
			    !memcmp(r->buf + r->pos, names[i], len))
				off[i] = (uint32_t)at;
		skipping = false;
		r->pos += len + 1;
		at += len + 1;
	}
}

struct found {
	uint32_t protos[PROTOS_MAX];	  /* type ids of prototypes with the argument */
	unsigned short index[PROTOS_MAX]; /* its position in each, from 1 */
	size_t nprotos;
	uint32_t funcs[FUNCS_MAX]; /* the prototype of each function of the name */
	size_t nfuncs;
	bool protos_full, funcs_full; /* more of them than kept */
};

/* The bytes that follow a type's 12-byte common part, by its kind; -1: unknown. */
static int64_t type_extra(unsigned kind, uint32_t vlen)
{
	switch (kind) {
	case KIND_INT:
	case KIND_VAR:
	case KIND_DECL_TAG:
		return 4;
	case KIND_ARRAY:
		return 12;
	case KIND_STRUCT:
	case KIND_UNION:
	case KIND_DATASEC:
	case KIND_ENUM64:
		return (int64_t)vlen * 12;
	case KIND_ENUM:
	case KIND_FUNC_PROTO:
		return (int64_t)vlen * 8;
	default:
		return kind <= KIND_LAST && kind > 0 ? 0 : -1;
	}
}

/* The type section: functions named @off[0] and prototypes with a parameter @off[1]. */
static int walk_types(struct reader *r, const uint32_t off[2], struct found *f)
{
	uint32_t t[3], param[2], id, k, vlen, kind;
	int64_t extra;
	ssize_t have;
	int e;

	for (id = 1;; id++) {
		if (r->pos == r->len) {
			have = rd_fill(r, BUF_SIZE);
			if (have < 0)
				return (int)have;
			if (have == 0)
				return 0;
		}
		e = rd_get(r, t, sizeof(t)); /* name_off, info, size or type */
		if (e < 0)
			return e;
		kind = (t[1] >> 24) & 0x1f;
		vlen = t[1] & 0xffff;
		extra = type_extra(kind, vlen);
		if (extra < 0)
			return -EINVAL;
		if (kind == KIND_FUNC && t[0] == off[0]) {
			if (f->nfuncs == FUNCS_MAX)
				f->funcs_full = true;
			else
				f->funcs[f->nfuncs++] = t[2];
		}
		if (kind != KIND_FUNC_PROTO) {
			e = rd_skip(r, (uint64_t)extra);
			if (e < 0)
				return e;
			continue;
		}
		for (k = 0; k < vlen; k++) {
			e = rd_get(r, param, sizeof(param)); /* name_off, type */
			if (e < 0)
				return e;
			if (param[0] != off[1])
				continue;
			if (f->nprotos == PROTOS_MAX) {
				f->protos_full = true;
				continue;
			}
			f->protos[f->nprotos] = id;
			f->index[f->nprotos++] = (unsigned short)(k + 1);
		}
	}
}

/*
 * The position of the argument in the functions found, which must all agree (two
 * static functions may share a name); see btf_arg_position.
 */
static int position(const struct found *f)
{
	int pos = 0, here;
	size_t i, j;

	if (f->funcs_full)
		return -E2BIG;
	for (i = 0; i < f->nfuncs; i++) {
		here = 0;
		for (j = 0; j < f->nprotos; j++)
			if (f->protos[j] == f->funcs[i])
				here = f->index[j];
		if (!here && f->protos_full)
			return -E2BIG; /* its prototype may be one not kept */
		if (i > 0 && here != pos)
			return -ENOTUNIQ;
		pos = here;
	}
	return pos;
}

int btf_arg_position(const char *path, const char *func, const char *arg)
{
	const char *const names[2] = { func, arg };
	uint32_t off[2] = { UINT32_MAX, UINT32_MAX };
	/* magic, version, flags; hdr_len, type_off, type_len, str_off, str_len */
	struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
	} h;
	struct found f = { .nprotos = 0 };
	struct reader r;
	ssize_t n;
	int e;

	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return -errno;
	n = io_read(r.fd, &h, sizeof(h));
	e = n < 0 ? (int)n : 0;
	if (!e && ((size_t)n < sizeof(h) || h.magic != BTF_MAGIC || h.version != 1 ||
		   h.hdr_len < sizeof(h)))
		e = -EINVAL;
	if (!e)
		e = rd_start(&r, (uint64_t)h.hdr_len + h.str_off, h.str_len);
	if (!e)
		e = find_names(&r, names, off);
	if (!e && (off[0] == UINT32_MAX || off[1] == UINT32_MAX)) {
		close(r.fd);
		return 0;
	}
	if (!e)
		e = rd_start(&r, (uint64_t)h.hdr_len + h.type_off, h.type_len);
	if (!e)
		e = walk_types(&r, off, &f);
	close(r.fd);
	return e < 0 ? e : position(&f);
}

const char *btf_strerror(int err)
{
	switch (err) {
	case -EINVAL:
		return "not BTF of this machine's byte order and of a format this build reads";
	case -ENOTUNIQ:
		return "functions of that name disagree on where the argument is";
	case -E2BIG:
		return "too many function types have an argument of that name to tell";
	default:
		return strerror(-err);
	}
}
