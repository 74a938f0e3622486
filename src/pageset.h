/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pageset: a set of page frame numbers, one bit per page, in chunks of 1024 pages (128
 * bytes) found through a u64map. Its memory follows the physical span a window touches,
 * not the number of its pages: a load that takes 140 MB of a capture kernel needs a few
 * KiB, where a map entry per block needed a MB, in a watcher that runs while the kernel
 * is out of memory.
 */
#pragma once

#include <stdint.h>

#include "u64map.h"

struct pageset {
	struct u64map index; /* pfn / 1024 -> chunk number */
	uint64_t **chunk;
	size_t nchunks, cap;
};

/* Adds pages [pfn, pfn + count); returns 0 or -ENOMEM. */
int pageset_add(struct pageset *s, uint64_t pfn, uint64_t count);

/* Removes pages [pfn, pfn + count); returns how many of them were in the set. */
uint64_t pageset_remove(struct pageset *s, uint64_t pfn, uint64_t count);

/* Frees the storage; the set is empty and reusable afterwards. */
void pageset_free(struct pageset *s);
