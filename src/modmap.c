// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "modmap.h"

void modmap_init(struct modmap *m, const char *dir)
{
	*m = (struct modmap){ 0 };
	snprintf(m->dir, sizeof(m->dir), "%s", dir ? dir : "");
}

void modmap_free(struct modmap *m)
{
	free(m->mods);
	free(m->secs);
	*m = (struct modmap){ 0 };
}

/*
 * A section whose code stays after init: ".text", ".text.unlikely", ".noinstr.text" and
 * the like, and the out-of-line code of alternatives. Not ".init.text": it is freed.
 */
static bool text_section(const char *name)
{
	if (!strncmp(name, ".init", 5))
		return false;
	return strstr(name, "text") || !strcmp(name, ".altinstr_replacement") ||
	       !strcmp(name, ".fixup");
}

/* A hexadecimal address as sysfs prints it ("0xffffffffc0a1b000\n"); 0 when not one. */
static uint64_t read_addr(const char *path)
{
	char buf[40], *end;
	unsigned long long v;

	if (io_read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 16);
	if (errno || end == buf || (*end && *end != '\n'))
		return 0;
	return v;
}

static int cmp_sec(const void *pa, const void *pb)
{
	const struct modmap_sec *a = pa, *b = pb;

	return a->start < b->start ? -1 : a->start > b->start;
}

static struct modmap_mod *find_mod(struct modmap *m, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < m->nmods; i++)
		if (strlen(m->mods[i].name) == len && !memcmp(m->mods[i].name, name, len))
			return &m->mods[i];
	return NULL;
}

/* Takes module @idx's sections out of the sorted list. */
static void remove_secs(struct modmap *m, uint32_t idx)
{
	size_t i, n = 0;

	for (i = 0; i < m->nsecs; i++)
		if (m->secs[i].mod != idx)
			m->secs[n++] = m->secs[i];
	m->nsecs = n;
}

static int push_sec(struct modmap *m, uint64_t start, uint32_t mod)
{
	if (m->nsecs == m->capsecs) {
		size_t cap = m->capsecs ? m->capsecs * 2 : 64;
		struct modmap_sec *s = realloc(m->secs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		m->secs = s;
		m->capsecs = cap;
	}
	m->secs[m->nsecs++] = (struct modmap_sec){ start, mod };
	return 0;
}

int modmap_add(struct modmap *m, const char *name, size_t len)
{
	char p[PATH_MAX], buf[32];
	struct modmap_mod *mod;
	struct dirent *de;
	uint64_t a, lo = UINT64_MAX;
	size_t before;
	uint32_t idx;
	DIR *d;
	int r = 0;

	if (!m->dir[0])
		return -ENOENT;
	if (len > MODNAME_MAX || memchr(name, '/', len) || !len)
		return -EINVAL;
	snprintf(p, sizeof(p), "%s/%.*s/sections", m->dir, (int)len, name);
	d = opendir(p);
	if (!d)
		return -errno;
	mod = find_mod(m, name, len);
	if (!mod) {
		if (m->nmods == m->capmods) {
			size_t cap = m->capmods ? m->capmods * 2 : 32;
			struct modmap_mod *n = realloc(m->mods, cap * sizeof(*n));

			if (!n) {
				closedir(d);
				return -ENOMEM;
			}
			m->mods = n;
			m->capmods = cap;
		}
		mod = &m->mods[m->nmods++];
		memcpy(mod->name, name, len);
		mod->name[len] = '\0';
	}
	idx = (uint32_t)(mod - m->mods);
	remove_secs(m, idx);
	mod->gone = false;
	before = m->nsecs;
	while ((de = readdir(d))) {
		if (!text_section(de->d_name))
			continue;
		snprintf(p, sizeof(p), "%s/%.*s/sections/%s", m->dir, (int)len, name,
			 de->d_name);
		a = read_addr(p);
		if (!a) {
			m->hidden = true;
			continue;
		}
		r = push_sec(m, a, idx);
		if (r < 0)
			break;
		if (a < lo)
			lo = a;
	}
	closedir(d);
	if (r < 0) {
		m->nsecs = before;
		return r;
	}
	mod->lo = lo == UINT64_MAX ? 0 : lo;
	snprintf(p, sizeof(p), "%s/%.*s/coresize", m->dir, (int)len, name);
	mod->coresize =
		io_read_small(p, buf, sizeof(buf)) > 0 ? strtoull(buf, NULL, 10) : 0;
	if (m->nsecs > before)
		qsort(m->secs, m->nsecs, sizeof(*m->secs), cmp_sec);
	return 0;
}

int modmap_scan(struct modmap *m)
{
	struct dirent *de;
	DIR *d;
	int r;

	m->scanned = true;
	if (!m->dir[0])
		return -ENOENT;
	d = opendir(m->dir);
	if (!d)
		return -errno;
	m->readable = true;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* built-in modules have a directory too, without sections */
		r = modmap_add(m, de->d_name, strlen(de->d_name));
		if (r == -ENOMEM) {
			closedir(d);
			return r;
		}
	}
	closedir(d);
	return 0;
}

void modmap_drop(struct modmap *m, const char *name, size_t len)
{
	struct modmap_mod *mod = find_mod(m, name, len);

	if (!mod)
		return;
	remove_secs(m, (uint32_t)(mod - m->mods));
	mod->gone = true;
}

const char *modmap_find(const struct modmap *m, uint64_t addr)
{
	const struct modmap_mod *mod;
	size_t lo = 0, hi = m->nsecs;

	/* the last section that starts at or below @addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->secs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	mod = &m->mods[m->secs[lo - 1].mod];
	if (mod->gone || (mod->coresize && addr - mod->lo >= mod->coresize))
		return NULL;
	return mod->name;
}

bool modmap_usable(const struct modmap *m)
{
	return m->readable && (m->nsecs > 0 || !m->hidden);
}
