// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memdebug-ko cmdline: the kernel command-line options of the boot-parameter mode, from
 * the catalog. With them the kernel records every event prepare would enable into the
 * top-level buffer from the first userspace instruction on, so that loads before the
 * initramfs's first hook are traced too; prepare then sets nothing up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "btf.h"
#include "catalog.h"
#include "cmd.h"

/*
 * Nothing filters the page events there: a small QEMU boot records about 100,000 of
 * them. One clock for all CPUs: a kernel whose sched clock is unstable switches to the
 * global clock late in boot by itself, and that empties the buffer.
 */
#define BOOT_BUFFER "trace_buf_size=16M trace_clock=global"

/*
 * Any trace_event= hangs Debian's PREEMPT_RT kernels 7.2.13+deb14-rt (before its first
 * console line) and 7.3.4+deb13-rt (at its early initcalls) under QEMU, with one CPU or
 * two; 6.12-rt boots. Releases in between are unmeasured and refused with them.
 */
#define RT_HANGS_SINCE "6.13"

/*
 * Whether kernel @release is PREEMPT_RT: its config, else for the running kernel
 * /sys/kernel/realtime. 1 yes, 0 no, -1 unknown.
 */
static int preempt_rt(const char *release, bool running)
{
	static const char *const at[][2] = { { "/boot/config-", "" },
					     { "/lib/modules/", "/config" },
					     { "/usr/lib/modules/", "/config" } };
	char path[512], line[256];
	size_t i;
	FILE *f;
	int rt;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		snprintf(path, sizeof(path), "%s%s%s", at[i][0], release, at[i][1]);
		f = fopen(path, "re");
		if (!f)
			continue;
		rt = 0;
		while (!rt && fgets(line, sizeof(line), f))
			rt = !strcmp(line, "CONFIG_PREEMPT_RT=y\n");
		fclose(f);
		return rt;
	}
	if (running) {
		f = fopen("/sys/kernel/realtime", "re");
		rt = f && fgets(line, sizeof(line), f) && line[0] == '1';
		if (f)
			fclose(f);
		return rt;
	}
	return -1;
}

static void usage(void)
{
	printf("Usage: memdebug-ko cmdline [OPTION]...\n"
	       "Print the kernel command-line options that trace module loads from the first\n"
	       "userspace instruction on (the boot-parameter mode): trace_event= with every\n"
	       "event prepare enables, a buffer for unfiltered page events, one clock for all\n"
	       "CPUs, and kprobe_event= for the bulk allocator (vmalloc's pages). Add them\n"
	       "to rd.memdebug=4.\n\n"
	       "  -K, --kernel RELEASE  the kernel that boots with them, as uname -r prints it\n"
	       "                        (default: the running one); kprobes need its names\n"
	       "  -B, --btf FILE        that kernel's BTF, where the kprobes' arguments are\n"
	       "                        looked up (default: " BTF_VMLINUX "\n"
	       "                        for the running kernel; none, positions by the\n"
	       "                        release, for another)\n"
	       "  -h, --help            this help\n\n"
	       "A PREEMPT_RT kernel newer than 6.12 hangs before init with any trace_event=\n"
	       "(measured on 7.2, 7.3): cmdline refuses it, and a release whose config it cannot\n"
	       "read that is named -rt; rd.memdebug=4 alone traces from the initramfs.\n");
}

/*
 * The site of @probe for kernel @release: by position, which the kernel parses before
 * it could look a name up. A site that names its argument by BTF gets its position
 * from BTF file @btf (into @by_pos, its text into @arg), else a position that fits the
 * release. *@err: -errno when @btf was given and could not be read.
 */
static const struct cat_site *boot_site(const struct cat_probe *probe,
					const char *release, const char *btf,
					struct cat_site *by_pos, char *arg, size_t size,
					int *err)
{
	const struct cat_site *s;
	size_t k;
	int n;

	for (k = 0; btf && k < PROBE_VARIANTS_MAX && probe->sites[k].func; k++) {
		s = &probe->sites[k];
		if (!s->btf)
			continue;
		n = btf_arg_position(btf, s->func, s->arg);
		if (n < 0) {
			*err = n;
			break;
		}
		if (n > 0) {
			*by_pos = *s;
			snprintf(arg, size, "$arg%d", n);
			by_pos->arg = arg;
			by_pos->btf = false;
			return by_pos;
		}
	}
	for (k = 0; k < PROBE_VARIANTS_MAX && probe->sites[k].func; k++)
		if (!probe->sites[k].btf && catalog_site_fits(&probe->sites[k], release))
			return &probe->sites[k];
	return NULL;
}

/*
 * The kprobe_event= option for kernel @release into @out (@size bytes), with BTF file
 * @btf (NULL: none; @btf_given: the user named it, and it must be read); false when a
 * probe has no site (said).
 */
static bool probes_option(const char *release, const char *btf, bool btf_given, char *out,
			  size_t size)
{
	const struct cat_probe *probe = NULL;
	const struct cat_site *site = NULL;
	struct cat_site by_pos;
	char def[256], arg[16];
	size_t i, n = 0, len = 0;
	int err = 0, r;

	for (i = 0; i < catalog_len; i++) {
		if (!catalog[i].probe)
			continue;
		/* the events of one probe share its site: one look into the BTF */
		if (catalog[i].probe != probe) {
			probe = catalog[i].probe;
			err = 0;
			site = boot_site(probe, release, btf, &by_pos, arg, sizeof(arg),
					 &err);
		}
		if (err && btf_given) {
			fprintf(stderr,
				"memdebug-ko: cannot read the position of %s's argument in %s: %s\n",
				catalog[i].probe->what, btf, btf_strerror(err));
			return false;
		}
		if (err && err != -ENOENT) {
			fprintf(stderr,
				"memdebug-ko: warning: cannot read the position of %s's argument in %s (%s): the position that kernel %s should have\n",
				catalog[i].probe->what, btf, btf_strerror(err), release);
			err = 0; /* said once for the probe */
		}
		if (!site ||
		    catalog_probe_def(&catalog[i], site, ',', def, sizeof(def)) < 0) {
			fprintf(stderr,
				"memdebug-ko: no site for the kprobe event %s/%s on kernel %s\n",
				catalog[i].system, catalog[i].name, release);
			return false;
		}
		r = snprintf(out + len, size - len, "%s%s",
			     n++ ? ";" : " kprobe_event=", def);
		if (r < 0 || (size_t)r >= size - len)
			return false;
		len += (size_t)r;
	}
	return true;
}

/* The options of cmdline: --kernel, --btf. */
struct cmdline_opts {
	const char *release;
	const char *btf;
};

static const struct cli_opt cmdline_opts[] = {
	CLI_VALUE("kernel", 'K', struct cmdline_opts, release),
	CLI_VALUE("btf", 'B', struct cmdline_opts, btf),
	CLI_END,
};

static const struct cli_cmd cmdline_cli = { "cmdline", usage, cmdline_opts, 0,
					    NULL,      NULL,  false };

static int run(int argc, char **argv)
{
	struct cmdline_opts o = { NULL, NULL };
	char probes[1024];
	struct utsname u;
	bool running;
	size_t i;
	int status, rt;

	if (cli_parse(&cmdline_cli, &o, argc, argv, &status) < 0)
		return status;
	if (!o.release) {
		if (uname(&u) < 0) {
			perror("memdebug-ko: uname");
			return EXIT_FAILURE;
		}
		o.release = u.release;
		running = true;
	} else {
		running = uname(&u) == 0 && !strcmp(o.release, u.release);
	}
	if (o.release[0] < '0' || o.release[0] > '9') {
		fprintf(stderr,
			"memdebug-ko: --kernel takes a release such as 6.12.48+deb13-amd64, not '%s'\n",
			o.release);
		return cli_usage_error("cmdline ");
	}
	if (catalog_release_at_least(o.release, RT_HANGS_SINCE)) {
		rt = preempt_rt(o.release, running);
		if (rt < 0)
			rt = strstr(o.release, "-rt") != NULL;
		if (rt) {
			fprintf(stderr,
				"memdebug-ko: %s is a PREEMPT_RT kernel newer than 6.12: trace_event= on its command line hangs it before init (measured on 7.2 and 7.3); use rd.memdebug=4 alone, which traces from the initramfs\n",
				o.release);
			return EXIT_FAILURE;
		}
	}
	if (!probes_option(o.release,
			   o.btf     ? o.btf
			   : running ? BTF_VMLINUX
				     : NULL,
			   o.btf != NULL, probes, sizeof(probes)))
		return EXIT_FAILURE;
	for (i = 0; i < catalog_len; i++)
		if (!catalog[i].probe)
			printf("%s%s:%s", i ? "," : "trace_event=", catalog[i].system,
			       catalog[i].name);
	printf(" " BOOT_BUFFER "%s\n", probes);
	return 0;
}

const struct command cmd_cmdline = {
	"cmdline", run, "print the kernel options that trace loads from boot"
};
