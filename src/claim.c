// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claim.h"
#include "io.h"
#include "log.h"

#define CLAIM_FILE "top-level"

static char *claim_path(char *out, const char *run_dir)
{
	snprintf(out, PATH_MAX, "%s/" CLAIM_FILE, run_dir);
	return out;
}

/* Writes the claim: @s in RUNDIR/top-level, one "key=value" a line. Returns 0 or -errno. */
static int write_claim(const char *run_dir, const struct tfs_top *s)
{
	char p[PATH_MAX], tmp[PATH_MAX], v[256];
	int fd, n;

	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	n = snprintf(v, sizeof(v),
		     "buffer_size_kb=%s\ntrace_clock=%s\noverwrite=%s\ntracing_on=%s\nsym_offset=%s\nhash_ptr=%s\n",
		     s->buffer_kb, s->clock, s->overwrite, s->tracing_on, s->sym_offset,
		     s->hash_ptr);
	fd = io_tmp_open(claim_path(p, run_dir), tmp, 0644);
	if (fd < 0)
		return fd;
	return io_tmp_commit(fd, tmp, p, io_write_all(fd, v, (size_t)n));
}

/* Copies the value of "@key=" in the lines of @text into @out (@size); 0 or -EINVAL. */
static int claim_value(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), vlen;
	const char *l;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) || l[klen] != '=')
			continue;
		l += klen + 1;
		vlen = strcspn(l, "\n");
		if (!vlen || vlen >= size)
			return -EINVAL;
		memcpy(out, l, vlen);
		out[vlen] = '\0';
		return 0;
	}
	return -EINVAL;
}

int claim_read(const char *run_dir, struct tfs_top *s)
{
	char p[PATH_MAX], v[256];
	int r = io_read_small(claim_path(p, run_dir), v, sizeof(v));

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_err("cannot read %s: %s", p, strerror(-r));
		return r;
	}
	if (claim_value(v, "buffer_size_kb", s->buffer_kb, sizeof(s->buffer_kb)) < 0 ||
	    claim_value(v, "trace_clock", s->clock, sizeof(s->clock)) < 0 ||
	    claim_value(v, "overwrite", s->overwrite, sizeof(s->overwrite)) < 0 ||
	    claim_value(v, "tracing_on", s->tracing_on, sizeof(s->tracing_on)) < 0) {
		log_err("%s is not a claim of the top-level buffer that memdebug-ko wrote",
			p);
		return -EINVAL;
	}
	if (claim_value(v, "sym_offset", s->sym_offset, sizeof(s->sym_offset)) < 0)
		strcpy(s->sym_offset, "-");
	if (claim_value(v, "hash_ptr", s->hash_ptr, sizeof(s->hash_ptr)) < 0)
		strcpy(s->hash_ptr, "-");
	return 1;
}

int claim_take(const struct tfs *t, const char *run_dir, struct tfs_top *saved)
{
	char why[PATH_MAX + 64];
	int r;

	if (!tfs_top_idle(t, why, sizeof(why))) {
		log_info("the top-level buffer of %s cannot be claimed (%s): tracing in an instance, which costs more memory",
			 t->dir, why);
		return -EAGAIN;
	}
	r = tfs_top_save(t, saved);
	if (r < 0) {
		log_warn("cannot read the settings of the top-level buffer of %s: %s; tracing in an instance, which costs more memory",
			 t->dir, strerror(-r));
		return -EAGAIN;
	}
	r = write_claim(run_dir, saved);
	if (r < 0) {
		log_warn("cannot write the claim of the top-level buffer in %s: %s; tracing in an instance, which costs more memory",
			 run_dir, strerror(-r));
		return -EAGAIN;
	}
	/*
	 * It was idle, but may hold the lines of a trace_marker writer: setting the global
	 * clock empties it, and when the clock is global already, this does.
	 */
	if (!strcmp(saved->clock, "global"))
		tfs_set(t->dir, "trace", "");
	return 0;
}

int claim_give_back(const struct tfs *t, const char *run_dir, const struct tfs_top *saved)
{
	char p[PATH_MAX];
	int r = tfs_top_restore(t, saved);

	if (r < 0) {
		log_warn("cannot give the top-level buffer of %s back as it was: %s; write %s to its buffer_size_kb to free it",
			 t->dir, strerror(-r), saved->buffer_kb);
		return r;
	}
	if (run_dir)
		unlink(claim_path(p, run_dir));
	return 0;
}

void claim_forget_at(int dirfd)
{
	unlinkat(dirfd, CLAIM_FILE, 0);
}
