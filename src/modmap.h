/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modmap: which loaded module's code an address is in, for the kernel stacks of the raw
 * buffers, whose frames are bare addresses. From /sys/module/NAME/sections: the start of
 * each of a module's text sections (the kernel shows them to root unless kptr_restrict
 * is 2), and /sys/module/NAME/coresize, which bounds how far its text reaches.
 *
 * An address belongs to module M when the nearest text section at or below it, of all
 * modules, is M's, and it lies less than M's coresize above M's first text section. Init
 * text is left out: it is freed when init returns, and a later module may get the same
 * addresses. What else the kernel puts among the modules (ftrace trampolines, kprobes'
 * instruction slots, BPF programs) has no section: right above a module's text, it reads
 * as that module's; the raw source drops such frames where they can be (see there).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct modmap_mod {
	char name[MODNAME_MAX + 1];
	uint64_t lo;	   /* its lowest text section */
	uint64_t coresize; /* 0: unknown, no bound */
	bool gone;
};

struct modmap_sec {
	uint64_t start;
	uint32_t mod; /* index into mods */
};

struct modmap {
	char dir[256]; /* the sysfs module directory; "" when there is none */
	struct modmap_mod *mods;
	size_t nmods, capmods;
	struct modmap_sec *secs; /* sorted by start */
	size_t nsecs, capsecs;
	/* a module's sections read as 0: the kernel hides the addresses (kptr_restrict) */
	bool hidden;
	bool scanned; /* the whole directory was read once */
	bool readable; /* and it could be: modules would be found (none may be loaded yet) */
};

/* Starts an empty map over sysfs module directory @dir (NULL: none, nothing maps). */
void modmap_init(struct modmap *m, const char *dir);

/* Reads every module in the directory once. Returns 0 or -errno (nothing to read). */
int modmap_scan(struct modmap *m);

/*
 * Reads (again) the sections of module @name (@len bytes), which just loaded. Returns
 * 0, -ENOENT when it is not there (its load failed and it is gone), or another -errno.
 */
int modmap_add(struct modmap *m, const char *name, size_t len);

/* Module @name is gone: its addresses may go to another one. */
void modmap_drop(struct modmap *m, const char *name, size_t len);

/* The module whose text holds @addr, or NULL. */
const char *modmap_find(const struct modmap *m, uint64_t addr);

/*
 * Whether the map can name modules: the directory could be read, and the kernel showed
 * the addresses (an empty map before the first module loads is a right one).
 */
bool modmap_usable(const struct modmap *m);

void modmap_free(struct modmap *m);
