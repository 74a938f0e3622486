// SPDX-License-Identifier: GPL-2.0-or-later
/* The builtin backend: plain file operations, small enough for a musl static binary. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

const char be_name[] = "builtin";

int be_instance_create(struct tfs *t, bool *existed)
{
	*existed = false;
	if (mkdir(t->inst, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	*existed = true;
	return 0;
}

int be_instance_destroy(struct tfs *t)
{
	return rmdir(t->inst) < 0 ? -errno : 0;
}

int be_write(struct tfs *t, const char *file, const char *val)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, t->inst, "%s", file), val);
}

int be_event_enable(struct tfs *t, const char *sys, const char *event)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, t->inst, "events/%s/%s/enable", sys, event), "1");
}

int be_event_filter(struct tfs *t, const char *sys, const char *event, const char *filter)
{
	char p[PATH_MAX];

	return tfs_write(tfs_path(p, t->inst, "events/%s/%s/filter", sys, event), filter);
}

int be_read_events(struct tfs *t, struct acct *a, bool keep)
{
	(void)keep; /* reading the trace file never consumes it */
	return be_read_text_trace(t, a);
}
