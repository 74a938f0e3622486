/* SPDX-License-Identifier: GPL-2.0-or-later */
/* u64map: open-addressing hash map from 64-bit keys to 64-bit values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The one key value that cannot be stored: it marks empty slots. */
#define U64MAP_EMPTY UINT64_MAX

struct u64map {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap; /* a power of two, or 0 before the first insert */
	size_t len;
};

/* Lookup: returns a pointer to the value of @key, or NULL. */
uint64_t *u64map_get(const struct u64map *m, uint64_t key);

/* Update: sets @key to @val; returns 0 or -ENOMEM. */
int u64map_put(struct u64map *m, uint64_t key, uint64_t val);

/* Removal: returns true when @key was present. */
bool u64map_del(struct u64map *m, uint64_t key);

/* Frees the storage; the map is empty and reusable afterwards. */
void u64map_free(struct u64map *m);
