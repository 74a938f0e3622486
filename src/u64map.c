// SPDX-License-Identifier: GPL-2.0-or-later
/* Linear probing with backward-shift deletion: no tombstones, so lookups stay short
 * however many windows open and close. The load factor stays below 1/2. */
#include <errno.h>
#include <stdlib.h>

#include "u64map.h"

/* Fibonacci hashing: the top bits of key * 2^64/phi spread sequential pfns and pids. */
static size_t slot_of(const struct u64map *m, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (m->cap - 1);
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return &m->vals[i];
		if (m->keys[i] == U64MAP_EMPTY)
			return NULL;
	}
}

/* Rehashes into a table of @cap slots; returns 0 or -ENOMEM. */
static int grow(struct u64map *m, size_t cap)
{
	struct u64map n = { .cap = cap };
	size_t i;

	n.keys = malloc(cap * sizeof(*n.keys));
	n.vals = malloc(cap * sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (i = 0; i < cap; i++)
		n.keys[i] = U64MAP_EMPTY;
	for (i = 0; i < m->cap; i++)
		if (m->keys[i] != U64MAP_EMPTY)
			u64map_put(&n, m->keys[i], m->vals[i]);
	u64map_free(m);
	*m = n;
	return 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	uint64_t *v = u64map_get(m, key);
	size_t i;

	if (v) {
		*v = val;
		return 0;
	}
	if ((m->len + 1) * 2 > m->cap) {
		int r = grow(m, m->cap ? m->cap * 2 : 16);

		if (r < 0)
			return r;
	}
	for (i = slot_of(m, key); m->keys[i] != U64MAP_EMPTY; i = (i + 1) & (m->cap - 1))
		;
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return 0;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i, j, home;

	if (!m->cap)
		return false;
	for (i = slot_of(m, key); m->keys[i] != key; i = (i + 1) & mask)
		if (m->keys[i] == U64MAP_EMPTY)
			return false;
	/* Shift back every later entry of the run whose home slot is not in (i, j]. */
	for (j = (i + 1) & mask; m->keys[j] != U64MAP_EMPTY; j = (j + 1) & mask) {
		home = slot_of(m, m->keys[j]);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = U64MAP_EMPTY;
	m->len--;
	return true;
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct u64map){ 0 };
}
