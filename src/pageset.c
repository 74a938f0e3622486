// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>

#include "pageset.h"

#define CHUNK_SHIFT 10
#define CHUNK_PAGES (1ull << CHUNK_SHIFT)
#define CHUNK_WORDS (CHUNK_PAGES / 64)

/* The chunk of @pfn, made when @make; NULL when absent or out of memory. */
static uint64_t *chunk_of(struct pageset *s, uint64_t pfn, int make)
{
	uint64_t key = pfn >> CHUNK_SHIFT, *idx = u64map_get(&s->index, key), **grown, *c;

	if (idx)
		return s->chunk[*idx];
	if (!make)
		return NULL;
	if (s->nchunks == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;

		grown = realloc(s->chunk, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		s->chunk = grown;
		s->cap = cap;
	}
	c = calloc(CHUNK_WORDS, sizeof(*c));
	if (!c)
		return NULL;
	if (u64map_put(&s->index, key, s->nchunks) < 0) {
		free(c);
		return NULL;
	}
	s->chunk[s->nchunks++] = c;
	return c;
}

/* The bits of word @w of a chunk that [lo, hi) (offsets in the chunk) covers. */
static uint64_t word_mask(uint64_t w, uint64_t lo, uint64_t hi)
{
	uint64_t first = w * 64, a = lo > first ? lo - first : 0, b = hi - first;

	if (b >= 64)
		return ~0ull << a;
	return (~0ull << a) & ((1ull << b) - 1);
}

/* Applies @add (set) or remove (clear) to [pfn, pfn + count); returns the bits cleared. */
static int64_t apply(struct pageset *s, uint64_t pfn, uint64_t count, int add)
{
	uint64_t end = pfn + count, cleared = 0, base, lo, hi, w, m, *c;

	while (pfn < end) {
		base = pfn & ~(CHUNK_PAGES - 1);
		lo = pfn - base;
		hi = end - base < CHUNK_PAGES ? end - base : CHUNK_PAGES;
		c = chunk_of(s, pfn, add);
		if (!c && add)
			return -ENOMEM;
		for (w = lo / 64; c && w * 64 < hi; w++) {
			m = word_mask(w, lo, hi);
			if (add) {
				c[w] |= m;
			} else {
				cleared += (uint64_t)__builtin_popcountll(c[w] & m);
				c[w] &= ~m;
			}
		}
		pfn = base + hi;
	}
	return (int64_t)cleared;
}

int pageset_add(struct pageset *s, uint64_t pfn, uint64_t count)
{
	return apply(s, pfn, count, 1) < 0 ? -ENOMEM : 0;
}

uint64_t pageset_remove(struct pageset *s, uint64_t pfn, uint64_t count)
{
	return (uint64_t)apply(s, pfn, count, 0);
}

void pageset_free(struct pageset *s)
{
	size_t i;

	for (i = 0; i < s->nchunks; i++)
		free(s->chunk[i]);
	free(s->chunk);
	u64map_free(&s->index);
	*s = (struct pageset){ .chunk = NULL };
}
