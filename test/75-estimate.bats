#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# estimate: the crashkernel= to set on the primary system, from the capture kernels'
# reports beside the dumps, against a fake root (os-release, /proc, /sys).

load helpers

setup() {
	C=$BATS_TEST_TMPDIR/crash
	R=$BATS_TEST_TMPDIR/root
	mkdir -p "$C/127.0.0.1-2026-12-01-10:00" "$C/127.0.0.1-2026-12-02-11:00" "$C/empty" \
		"$R/etc" "$R/proc" "$R/sys/kernel/kexec"
	cp "$FIXTURES/capture-6.12-shell.json" "$C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json"
	# a second dump whose capture kernel needed more: 160M
	jq '.budget.estimate.crashkernel_mib = 160 | .budget.estimate.needed_kib = 150000' \
		"$FIXTURES/capture-6.1-shell.json" >"$C/127.0.0.1-2026-12-02-11:00/memdebug-ko.json"
	printf 'MemTotal: 2000000 kB\n' >"$R/proc/meminfo"
}

@test "estimate: the largest estimate of the dumps' reports, each named, and Debian's way to set it" {
	echo 'ID=debian' >"$R/etc/os-release"
	run -0 --separate-stderr "$MDKO" estimate --crash-dir "$C" --root "$R"
	assert_line --index 0 "$C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json: crashkernel=144M: its capture kernel had 262128 KiB of RAM and needed 140143 KiB (the watcher's low point 138440 KiB available, compressed initramfs 16420 KiB, dump bitmaps 35 KiB)"
	assert_line --index 1 --partial "$C/127.0.0.1-2026-12-02-11:00/memdebug-ko.json: crashkernel=160M: "
	assert_line --index 2 "crashkernel=160M (from $C/127.0.0.1-2026-12-02-11:00/memdebug-ko.json, the largest)"
	assert_line "  echo 'GRUB_CMDLINE_LINUX_DEFAULT=\"\$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=160M\"' > /etc/default/grub.d/kdump-tools.cfg"
	refute_output --partial grubby
	refute_output --partial ',high'
}

@test "estimate: Fedora's way, ,high on a large machine, and what the reservation gives back" {
	printf 'NAME=Fedora\nID=fedora\n' >"$R/etc/os-release"
	printf 'MemTotal: 16000000 kB\n' >"$R/proc/meminfo"
	echo $((512 << 20)) >"$R/sys/kernel/kexec/crash_size"
	run -0 --separate-stderr "$MDKO" estimate --root "$R" "$C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json"
	assert_line "crashkernel=144M (from $C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json)"
	assert_line '  grubby --update-kernel=ALL --args=crashkernel=144M'
	refute_output --partial grub.d
	assert_output --partial 'crashkernel=144M,high places it above'
	assert_line "the running kernel reserved 512 MiB ($R/sys/kernel/kexec/crash_size): with the capture kernel unloaded (kdumpctl stop, or kdump-config unload), 'echo $((144 << 20)) > $R/sys/kernel/kexec/crash_size' gives 368 MiB back without a reboot; then load it again"
}

@test "estimate: an unknown system gets both ways; a smaller reservation says reboot" {
	echo $((128 << 20)) >"$R/sys/kernel/kexec/crash_size"
	run -0 "$MDKO" estimate --root "$R" "$C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json"
	assert_output --partial 'kdump-tools.cfg'
	assert_output --partial 'grubby'
	assert_output --partial 'the running kernel reserved 128 MiB'
	assert_output --partial 'less than that: set it and reboot'
}

@test "estimate: CMA for the capture kernel (crashkernel=...,cma) counts beside crash_size" {
	echo $((64 << 20)) >"$R/sys/kernel/kexec/crash_size"
	printf '%s\n' 100000000-103ffffff >"$R/sys/kernel/kexec/crash_cma_ranges"
	run -0 --separate-stderr "$MDKO" estimate --root "$R" "$C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json"
	assert_line "the running kernel reserved 64 MiB ($R/sys/kernel/kexec/crash_size) and 64 MiB of CMA ($R/sys/kernel/kexec/crash_cma_ranges, crashkernel=...,cma), which the capture kernel gets besides: less than that: set it and reboot"
	echo $((256 << 20)) >"$R/sys/kernel/kexec/crash_size"
	run -0 --separate-stderr "$MDKO" estimate --root "$R" "$C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json"
	# 144M less 64M of CMA: 80M; no shrinking of crash_size through sysfs with CMA
	assert_line "the running kernel reserved 256 MiB ($R/sys/kernel/kexec/crash_size) and 64 MiB of CMA ($R/sys/kernel/kexec/crash_cma_ranges, crashkernel=...,cma), which the capture kernel gets besides: enough; with the ,cma part kept, crashkernel=80M would do, if it still holds the kernel and initramfs"
	refute_output --partial "gives"
	printf '%s\n' 100000000-10fffffff >"$R/sys/kernel/kexec/crash_cma_ranges"
	run -0 --separate-stderr "$MDKO" estimate --root "$R" "$C/127.0.0.1-2026-12-01-10:00/memdebug-ko.json"
	assert_line --partial "256 MiB of CMA"
	assert_line --regexp 'besides: enough$'
}

@test "estimate: foreign or estimate-less JSON and no reports are clear errors" {
	run -1 --separate-stderr "$MDKO" estimate --root "$R" "$FIXTURES/mixed.trace"
	[[ $stderr == *"$FIXTURES/mixed.trace is not JSON"* ]] || fail "$stderr"
	echo '{"tool": "other", "modules": []}' >"$BATS_TEST_TMPDIR/other.json"
	run -1 --separate-stderr "$MDKO" estimate --root "$R" "$BATS_TEST_TMPDIR/other.json"
	[[ $stderr == *"is not a JSON report of memdebug-ko"* ]] || fail "$stderr"
	# a report of a boot that was no capture kernel has no estimate
	run -1 --separate-stderr "$MDKO" estimate --root "$R" "$GOLDEN/mixed.json"
	[[ $stderr == *"mixed.json has no crashkernel= estimate"* ]] || fail "$stderr"
	[[ $stderr == *"no report with a crashkernel= estimate"* ]] || fail "$stderr"
	assert_output ''
	run -1 --separate-stderr "$MDKO" estimate --crash-dir "$C/empty"
	[[ $stderr == *"no memdebug-ko.json in the dump directories under $C/empty"* ]] || fail "$stderr"
	run -1 --separate-stderr "$MDKO" estimate --crash-dir "$C/missing"
	[[ $stderr == *"cannot read $C/missing: No such file or directory"* ]] || fail "$stderr"
	run -0 "$MDKO" estimate --help
	assert_output --partial 'Usage: memdebug-ko estimate'
}
