// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the input is a saved ftrace text trace, and it goes down the path of
 * `memdebug-ko report --input FILE [--proc DIR]`: text_read() from a file descriptor into
 * the accounting, acct_finish(), the modules file if there is one, the summary, then both
 * sinks, the JSON object and the text table, written to /dev/null, and acct_free().
 *
 * A line "#proc/modules" (a comment to the trace parser) ends the trace: what follows it
 * is DIR/modules, read and applied as --proc would.
 *
 * Nothing in src/ knows about the fuzzer. Build and run it with test/fuzz/run; meson
 * -Dfuzz=true builds it with clang.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "account.h"
#include "loaders.h"
#include "log.h"
#include "proc.h"
#include "sink.h"
#include "source-text.h"
#include "summary.h"

#define PROC_MARK "#proc/modules\n"

/* The entry points libFuzzer calls. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Linked with -Wl,--wrap=read: text_read()'s read(2) calls come here first. */
ssize_t __real_read(int fd, void *buf, size_t count);
ssize_t __wrap_read(int fd, void *buf, size_t count);

static struct loaders loaders; /* the defaults */
static int trace_fd = -1; /* memfds: the trace, and the modules file after PROC_MARK */
static int modules_fd = -1;
static char modules_path[64]; /* @modules_fd under /proc/self/fd */
static size_t read_max;	      /* 0, or the most one read of @trace_fd returns */
static FILE *devnull;

/*
 * A pipe or a slow file hands text_read() a trace in pieces that end anywhere in a
 * line; reads of the memfd would return it whole. So reads of the trace are cut to
 * @read_max bytes, and lines that span two reads are exercised too.
 */
ssize_t __wrap_read(int fd, void *buf, size_t count)
{
	if (fd == trace_fd && read_max && count > read_max)
		count = read_max;
	return __real_read(fd, buf, count);
}

/*
 * FNV-1a of the size and the first and last 32 bytes: the same input always chooses the
 * same read size, sort key and page size. Hashing all of it would cost more than parsing.
 */
static uint32_t hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u ^ (uint32_t)size;
	size_t i;

	for (i = 0; i < size && i < 32; i++)
		h = (h ^ data[i]) * 16777619u;
	for (i = size > 64 ? size - 32 : 32; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

/* Once per process: the memfds, /dev/null as stdout for sink_text(), quiet logging. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	trace_fd = memfd_create("fuzz-trace", MFD_CLOEXEC);
	modules_fd = memfd_create("fuzz-modules", MFD_CLOEXEC);
	devnull = fopen("/dev/null", "we");
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (trace_fd < 0 || modules_fd < 0 || !devnull || fd < 0 ||
	    dup2(fd, STDOUT_FILENO) < 0) {
		perror("fuzz-report: setting up");
		exit(EXIT_FAILURE);
	}
	close(fd);
	snprintf(modules_path, sizeof(modules_path), "/proc/self/fd/%d", modules_fd);
	log_set_quiet(true);
	loaders_init(&loaders);
	return 0;
}

/* Makes @data the whole content of memfd @fd, rewound; aborts when that fails. */
static void load(int fd, const uint8_t *data, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		done += (size_t)w;
	}
	/* Truncating after the write keeps the pages that both inputs use. */
	if (ftruncate(fd, (off_t)size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		goto fail;
	return;
fail:
	perror("fuzz-report: cannot copy the input into a memfd");
	abort();
}

/* The start of the line "#proc/modules" in @data, or NULL. */
static const uint8_t *find_proc_mark(const uint8_t *data, size_t size)
{
	const size_t n = sizeof(PROC_MARK) - 1;
	const uint8_t *p;

	if (size >= n && !memcmp(data, PROC_MARK, n))
		return data;
	p = memmem(data, size, "\n" PROC_MARK, n + 1);
	return p ? p + 1 : NULL;
}

/* One input: the same calls as report() in src/cmd-report.c for --input FILE [--proc]. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t read_sizes[] = { 0, 0, 1, 7, 61, 509, 4096, 65536 };
	static const unsigned page_sizes[] = { 1024, 4096, 16384, 65536 };
	const uint8_t *mark = find_proc_mark(data, size);
	size_t trace_size = mark ? (size_t)(mark - data) : size, npm = 0;
	uint32_t h = hash(data, size);
	const struct acct_facts facts = { .loaders = &loaders };
	const struct source_info src = { .page_size = page_sizes[(h >> 8) % 4] };
	struct source_stats st = { 0 };
	struct proc_module *pm = NULL;
	struct summary s;
	struct acct a;

	load(trace_fd, data, trace_size);
	/* At most 64 reads or so: read(2) calls would cost more than the parsing. */
	read_max = read_sizes[h % 8];
	if (read_max && read_max < trace_size / 64)
		read_max = trace_size / 64;
	acct_init(&a, &facts);
	/* Only a failed read(2) or malloc() fails these, and neither may fail here. */
	if (text_read(trace_fd, "fuzz input", acct_event, &a, &st) < 0)
		abort();
	acct_finish(&a);
	if (mark) {
		trace_size += sizeof(PROC_MARK) - 1;
		load(modules_fd, data + trace_size, size - trace_size);
		if (proc_modules_read(modules_path, &pm, &npm) < 0 ||
		    acct_apply_modules(&a, pm, npm, st.lost) < 0)
			abort();
		free(pm);
	}
	if (summary_make(&s, &a, &st, &src, (enum sort_key)((h >> 16) % 3)) < 0 ||
	    sink_json(&s, devnull) < 0 || sink_text(&s, false) < 0)
		abort();
	summary_free(&s);
	acct_free(&a);
	return 0;
}
