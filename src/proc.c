// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "proc.h"

/* The state field of a /proc/modules line after its size: "refcnt users state addr". */
static bool state_live(const char *p)
{
	int field;

	for (field = 0; field < 2; field++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
	}
	p += strspn(p, " ");
	return !strncmp(p, "Live", 4) && (p[4] == ' ' || p[4] == '\0');
}

int proc_modules_read(const char *path, struct proc_module **out, size_t *n)
{
	struct proc_module *pm = NULL, *grown;
	size_t npm = 0, cap = 0;
	char *buf = NULL, *line, *save = NULL;
	int ret = io_read_all(path, &buf);

	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* "name size refcount users state address" */
		char *sp = strchr(line, ' '), *end;
		uint64_t size;

		if (!sp || sp == line || (size_t)(sp - line) > MODNAME_MAX ||
		    sp[1] < '0' || sp[1] > '9')
			continue;
		*sp = '\0';
		errno = 0;
		size = strtoull(sp + 1, &end, 10);
		if (errno || (*end != ' ' && *end != '\0'))
			continue;
		if (npm == cap) {
			cap = cap ? cap * 2 : 128;
			grown = realloc(pm, cap * sizeof(*pm));
			if (!grown) {
				log_err("out of memory reading %s", path);
				free(pm);
				free(buf);
				return -ENOMEM;
			}
			pm = grown;
		}
		snprintf(pm[npm].name, sizeof(pm[npm].name), "%s", line);
		pm[npm].size = size;
		pm[npm].live = state_live(end);
		npm++;
	}
	free(buf);
	*out = pm;
	*n = npm;
	return 0;
}

/* The number after "@key" ("MemFree:") in @path, in kB, or -1. */
static long long field_kb(const char *path, const char *key)
{
	char buf[4096];

	if (io_read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	return proc_text_kb(buf, key);
}

long long proc_mem_free_kb(const char *proc)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/meminfo", proc);
	return field_kb(p, "MemFree:");
}

long long proc_text_kb(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = text; (p = strstr(p, key)); p += n)
		if (p == text || p[-1] == '\n')
			return strtoll(p + n, NULL, 10);
	return -1;
}

long long proc_available_fd(int fd)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return proc_text_kb(buf, "MemAvailable:");
}

long long proc_self_kb(const char *key)
{
	return field_kb("/proc/self/status", key);
}

long long proc_pcp_free_kb(const char *proc)
{
	char p[PATH_MAX], line[256], *v;
	long long pages = 0;
	long psz = sysconf(_SC_PAGESIZE);
	bool found = false;
	FILE *f;

	snprintf(p, sizeof(p), "%s/zoneinfo", proc);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		v = line + strspn(line, " \t");
		if (strncmp(v, "count:", 6))
			continue;
		pages += strtoll(v + 6, NULL, 10);
		found = true;
	}
	fclose(f);
	return found && psz > 0 ? pages * (psz / 1024) : -1;
}

long long proc_pcp_free_fd(int fd)
{
	char buf[4096], *line, *nl;
	long long pages = 0;
	long psz = sysconf(_SC_PAGESIZE);
	size_t have = 0;
	off_t off = 0;
	bool found = false;
	ssize_t n;

	/* line by line through a small buffer: a machine of many CPUs has a long zoneinfo */
	while ((n = pread(fd, buf + have, sizeof(buf) - 1 - have, off)) > 0) {
		off += n;
		have += (size_t)n;
		buf[have] = '\0';
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			char *v = line + strspn(line, " \t");

			*nl = '\0';
			if (!strncmp(v, "count:", 6)) {
				pages += strtoll(v + 6, NULL, 10);
				found = true;
			}
		}
		have = strlen(line);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer: none of ours */
		memmove(buf, line, have);
	}
	return found && psz > 0 ? pages * (psz / 1024) : -1;
}

void proc_free_read(const char *proc, struct proc_free *f)
{
	f->mem_free = proc_mem_free_kb(proc);
	f->pcp = proc_pcp_free_kb(proc);
}

void proc_free_log(const char *what, const struct proc_free *b, const struct proc_free *a)
{
	if (b->mem_free < 0 || a->mem_free < 0) {
		log_info("%s (free memory unknown: no MemFree in meminfo)", what);
		return;
	}
	if (b->pcp < 0 || a->pcp < 0) {
		log_info("%s: free memory %+lld KiB (MemFree %lld KiB before, %lld KiB after)",
			 what, a->mem_free - b->mem_free, b->mem_free, a->mem_free);
		return;
	}
	/* Freed pages go to the per-CPU page lists first, where MemFree does not see them. */
	log_info("%s: free memory %+lld KiB (MemFree %lld KiB before, %lld KiB after; with the per-CPU page lists %lld KiB before, %lld KiB after)",
		 what, a->mem_free + a->pcp - b->mem_free - b->pcp, b->mem_free,
		 a->mem_free, b->mem_free + b->pcp, a->mem_free + a->pcp);
}
