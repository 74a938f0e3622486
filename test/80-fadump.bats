#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fadump, ppc64's firmware-assisted dump: its capture kernel has no elfcorehdr=, so the
# budget finds it from the device tree and /sys/kernel/fadump, and the estimate follows
# fadump's rules (src/budget.c says where they come from). QEMU has no fadump: the trees
# under test/fixtures/ stand in for the systems.
#   fadump-pseries  a PowerVM capture kernel: /proc/device-tree/rtas/ibm,kernel-dump is
#                   the dump structure the crashed kernel registered (a 40-byte header,
#                   then 40-byte sections: CPU state data, HPTE region, and the boot
#                   memory, type 0x0011, of 1 GiB), 16 GiB of System RAM in iomem,
#                   /sys/kernel/fadump with release_mem (a dump is active)
#   fadump-primary  the primary kernel of the same system, fadump on and registered
#                   (fadump/enabled and registered 1): no capture kernel

load helpers

setup() {
	R=$BATS_TEST_TMPDIR/root
	cp -a "$FIXTURES/fadump-pseries" "$R"
	# the crashed kernel's memory: as large as its RAM, sparse
	truncate -s 16G "$R/proc/vmcore"
	PAGE=$(getconf PAGESIZE)
}

# The report of the trace in fixtures with /proc and /sys of $R, as JSON in $output.
report_json() {
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --proc "$R/proc" \
		--root "$R" --format json
}

# The estimate a capture kernel of boot memory $1 KiB makes, with MemAvailable $2 and a
# 16 GiB vmcore: "needed mib", by makedumpfile's two bits per page, rounded up to 16 MiB
# and raised to fadump's least, $3 MiB.
expected() {
	local bitmaps=$(((2 * (16 << 30) / PAGE + 8191) / 8192)) needed mib
	needed=$(($1 - $2 + bitmaps))
	# shellcheck disable=SC2017 # rounding up to whole 16 MiB is the point
	mib=$(((needed + 16383) / 16384 * 16))
	((mib >= $3)) || mib=$3
	echo "$needed $mib"
}

@test "fadump: PowerVM's ibm,kernel-dump makes a fadump capture kernel; its boot memory from the dump structure" {
	local needed mib
	read -r needed mib < <(expected $((1 << 20)) 612000 320)
	report_json
	assert_json '.budget.capture_kernel' true
	assert_json '.budget.dump' fadump
	assert_json '.budget.capture_from' /proc/device-tree/rtas/ibm,kernel-dump
	assert_json '.budget.estimate.mode' fadump
	assert_json '.budget.estimate.ram_kib' $((1 << 20))
	assert_json '.budget.estimate.ram_from' "the firmware's dump structure, ibm,kernel-dump"
	assert_json '.budget.estimate.system_ram_kib' $((16 << 20))
	assert_json '.budget.estimate.needed_kib' "$needed"
	assert_json '.budget.estimate.crashkernel_mib' "$mib"
	# 5 % of 16 GiB is 819 MiB, rounded down to 256 MiB: 768; at least PowerVM's 320
	assert_json '.budget.estimate.fadump_platform' PowerVM
	assert_json '.budget.estimate.fadump_min_mib' 320
	assert_json '.budget.estimate.fadump_default_mib' 768
	assert_json '.budget.estimate.fadump_max_mib' 4096
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --proc "$R/proc" --root "$R"
	assert_line --partial 'this is a fadump capture kernel (/proc/device-tree/rtas/ibm,kernel-dump): the firmware booted it after the crash'
	assert_line --partial "estimate: fadump=on crashkernel=${mib}M: the larger of the dump step's $needed KiB"
	assert_line --partial "estimate: the dump step: boot memory 1048576 (the firmware's dump structure, ibm,kernel-dump) - lowest available 612000 (at the report) "
	assert_line 'estimate: fadump: boot memory of at least 320 MiB (PowerVM); without crashkernel=, max(5 % of the 16384 MiB of RAM rounded down to 256 MiB, 320) = 768 MiB; crashkernel= above 25 %, 4096 MiB, is cut down to it'
	assert_line "estimate: this capture kernel had 1048576 KiB of boot memory, $((1048576 - needed)) more than it needed"
	refute_output --partial 'kdump capture kernel'
}

@test "fadump: /sys/kernel/fadump/release_mem alone says a dump is active; the boot memory from mem_reserved" {
	rm "$R/proc/device-tree/rtas/ibm,kernel-dump"
	report_json
	assert_json '.budget.dump' fadump
	assert_json '.budget.capture_from' /sys/kernel/fadump/release_mem
	assert_json '.budget.estimate.ram_kib' $((1073872896 / 1024))
	assert_json '.budget.estimate.ram_from' '/sys/kernel/fadump/mem_reserved, the dump area'
	# Linux before 5.6 had it as /sys/kernel/fadump_release_mem
	mv "$R/sys/kernel/fadump/release_mem" "$R/sys/kernel/fadump_release_mem"
	report_json
	assert_json '.budget.capture_from' /sys/kernel/fadump_release_mem
	# without --root nothing of /sys is read: no capture kernel is seen
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --proc "$R/proc" --format json
	assert_json '.budget.capture_kernel' false
	assert_json '.budget.estimate' null
}

@test "fadump: PowerNV's mpipl-boot with /proc/vmcore; its least boot memory is 768 MiB" {
	local needed mib
	rm -r "$R/proc/device-tree/rtas" "$R/sys/kernel/fadump/release_mem"
	mkdir -p "$R/proc/device-tree/ibm,opal/dump"
	: >"$R/proc/device-tree/ibm,opal/dump/mpipl-boot"
	read -r needed mib < <(expected $((1073872896 / 1024)) 612000 768)
	report_json
	assert_json '.budget.dump' fadump
	assert_json '.budget.capture_from' /proc/device-tree/ibm,opal/dump/mpipl-boot
	assert_json '.budget.estimate.fadump_platform' PowerNV
	assert_json '.budget.estimate.fadump_min_mib' 768
	assert_json '.budget.estimate.fadump_default_mib' 768
	assert_json '.budget.estimate.needed_kib' "$needed"
	assert_json '.budget.estimate.crashkernel_mib' 768
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --proc "$R/proc" --root "$R"
	assert_line --partial "estimate: fadump=on crashkernel=768M: "
	assert_line --regexp "^estimate: fadump=on crashkernel=768M: the larger of the dump step's $needed KiB and the unpacking's [0-9]+, rounded up to 16 MiB, raised to fadump's least\$"
	# OPAL sets mpipl-boot on every memory-preserving reboot: without a dump, no fadump
	rm "$R/proc/vmcore"
	report_json
	assert_json '.budget.capture_kernel' false
}

@test "fadump: a primary ppc64 kernel with fadump registered is no capture kernel" {
	R=$FIXTURES/fadump-primary
	report_json
	assert_json '.budget.capture_kernel' false
	assert_json '.budget.dump' null
	assert_json '.budget.estimate' null
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --proc "$R/proc" --root "$R"
	refute_output --partial 'capture kernel'
	refute_output --partial 'estimate:'
}

@test "fadump: a ppc64 kdump capture kernel (elfcorehdr=) stays kdump" {
	rm -r "$R"
	cp -a "$FIXTURES/fadump-primary" "$R"
	echo 'root=/dev/sda2 ro elfcorehdr=0x3c000000 rd.memdebug=4' >"$R/proc/cmdline"
	echo '30000000-3fffffff : System RAM' >"$R/proc/iomem"
	report_json
	assert_json '.budget.dump' kdump
	assert_json '.budget.capture_from' elfcorehdr=
	assert_json '.budget.estimate.ram_kib' $((256 << 10))
	assert_json '.budget.estimate.mode' null
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --proc "$R/proc" --root "$R"
	assert_line --partial 'this is a kdump capture kernel (elfcorehdr=)'
	assert_line --partial 'estimate: crashkernel='
	refute_output --partial 'fadump'
}

@test "estimate: a fadump report gives fadump=on crashkernel= and the fadump reservation of the system" {
	local needed mib
	read -r needed mib < <(expected $((1 << 20)) 612000 320)
	report_json
	mkdir -p "$BATS_TEST_TMPDIR/crash/dump"
	echo "$output" >"$BATS_TEST_TMPDIR/crash/dump/memdebug-ko.json"
	run -0 --separate-stderr "$MDKO" estimate --crash-dir "$BATS_TEST_TMPDIR/crash" \
		--root "$FIXTURES/fadump-primary"
	assert_line --index 0 "$BATS_TEST_TMPDIR/crash/dump/memdebug-ko.json: fadump=on crashkernel=${mib}M: its fadump capture kernel had 1048576 KiB of boot memory and needed $needed KiB (the report's reading 612000 KiB available, compressed initramfs 0 KiB, dump bitmaps $((needed - 1048576 + 612000)) KiB)"
	assert_line "fadump=on crashkernel=${mib}M (from $BATS_TEST_TMPDIR/crash/dump/memdebug-ko.json)"
	# fadump-primary is RHEL: kdump-utils' way only, both words in one --args
	assert_line "  grubby --update-kernel=ALL --args=\"fadump=on crashkernel=${mib}M\""
	refute_output --partial grub.d
	assert_line 'fadump: its boot memory is at least 320 MiB; without crashkernel= this system takes 768 MiB (5 % of RAM rounded down to 256 MiB, at least that); crashkernel= above 4096 MiB (25 % of RAM) is cut down to it'
	assert_line 'fadump: the default of 768 MiB is enough: fadump=on alone would do'
	assert_line "the running kernel reserved 1024 MiB for fadump ($FIXTURES/fadump-primary/sys/kernel/fadump/mem_reserved): fadump gives nothing back without a reboot"
	refute_output --partial kexec
}

@test "fadump: without iomem the machine's RAM is unknown: the estimate stands, fadump's default and cap are ?" {
	local needed mib
	rm "$R/proc/iomem"
	read -r needed mib < <(expected $((1 << 20)) 612000 320)
	report_json
	assert_json '.budget.estimate.crashkernel_mib' "$mib"
	assert_json '.budget.estimate.fadump_default_mib' null
	assert_json '.budget.estimate.fadump_max_mib' null
	echo "$output" >"$BATS_TEST_TMPDIR/r.json"
	run -0 --separate-stderr "$MDKO" estimate --root "$FIXTURES/fadump-primary" "$BATS_TEST_TMPDIR/r.json"
	assert_line "fadump=on crashkernel=${mib}M (from $BATS_TEST_TMPDIR/r.json)"
	refute_output --partial 'fadump: its boot memory is at least'
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --proc "$R/proc" --root "$R"
	assert_line 'estimate: fadump: boot memory of at least 320 MiB (PowerVM); without crashkernel=, max(5 % of the ? MiB of RAM rounded down to 256 MiB, 320) = ? MiB; crashkernel= above 25 %, ? MiB, is cut down to it'
}

@test "fadump: --root goes with --input and --proc" {
	run -2 --separate-stderr "$MDKO" report --root "$R"
	[[ $stderr == *"--root goes with --input and --proc"* ]] || fail "$stderr"
	run -2 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --root "$R"
	[[ $stderr == *"--root goes with --input and --proc"* ]] || fail "$stderr"
}
