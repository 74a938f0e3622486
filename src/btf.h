/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * btf: where a kernel function's argument sits, read from the kernel's BTF
 * (/sys/kernel/btf/vmlinux) in user space. The kernel's release says it only for the
 * mainline kernel of that release (a distribution's backport may have moved it), a
 * kernel takes argument names in kprobe definitions only from 6.6 and only with
 * CONFIG_PROBE_EVENTS_BTF_ARGS, and never on its command line (kprobe_event=); the BTF
 * of the kernel at hand says it on every kernel that has BTF.
 */
#pragma once

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

/*
 * The position (1 for the first) of the argument named @arg of function @func in the
 * BTF file at @path. Returns it; 0 when the BTF has no function of that name, or one
 * without such an argument; -errno when the file cannot be read, -EINVAL when it is not
 * BTF that this build reads (the other byte order, a kind it does not know, a record
 * cut short), -ENOTUNIQ when functions of that name disagree on the position, -E2BIG
 * when too many function types have such an argument to tell.
 */
int btf_arg_position(const char *path, const char *func, const char *arg);

/* What a negative btf_arg_position() means, in words. */
const char *btf_strerror(int err);
