#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # shell code for the initramfs is single-quoted
# Never break the boot, initramfs-tools edition: the boot scripts of initramfs-tools/,
# unmodified, with the binary under test and the host's /scripts/functions, in a small
# initramfs-like root for each case (test/initrd.bash). Every case checks that each script
# returns 0, says what went wrong in the kernel log and what the report could still do.
# Also the build-time hook: the binary goes in only with MEMDEBUG_KO=y in conf.d/.

load helpers
load initrd

ITOOLS=$BATS_TEST_DIRNAME/../initramfs-tools
FUNCTIONS=/usr/share/initramfs-tools/scripts/functions

# What initramfs-tools' init does: each init-top script, the modules, the root, each
# init-bottom script, then the switch to the root.
BOOT='/scripts/init-top/memdebug-ko; echo "init-top: $?"
/scripts/init-bottom/memdebug-ko; echo "init-bottom: $?"
echo "switching root"'

# A root that never comes: init-top, then panic() runs the panic scripts before its
# rescue shell.
PANIC_BOOT='/scripts/init-top/memdebug-ko; echo "init-top: $?"
/scripts/panic/memdebug-ko; echo "panic: $?"
echo "switching root"'

# The root every test starts from (initrd_base), with initramfs-tools' functions and
# the boot scripts where mkinitramfs puts them.
setup_file() {
	local r=$BATS_FILE_TMPDIR/root phase

	export FAULTS_SKIP=
	if [[ ! -f $FUNCTIONS ]]; then
		FAULTS_SKIP="initramfs-tools is not installed ($FUNCTIONS)"
		return
	fi
	FAULTS_SKIP=$(initrd_possible) || return 0
	initrd_base "$r"
	mkdir -p "$r/scripts" "$r/conf"
	cp "$FUNCTIONS" "$ITOOLS/scripts/memdebug-ko" "$r/scripts/"
	for phase in init-top init-bottom panic; do
		mkdir -p "$r/scripts/$phase"
		cp "$ITOOLS/scripts/$phase/memdebug-ko" "$r/scripts/$phase/"
	done
}

setup() {
	[[ -z $FAULTS_SKIP ]] || skip "$FAULTS_SKIP"
	initrd_setup
}

teardown() {
	[[ -z $FAULTS_SKIP ]] || return 0
	initrd_teardown
}

# Boots with kernel command line $1 through BOOT (or the shell code $2).
boot() {
	echo "$1" >"$R/proc/cmdline"
	in_initrd "${2:-$BOOT}"
}

@test "initramfs-tools: an idle top-level buffer is claimed, reported and given back" {
	make_idle_top "$T"
	cp "$FIXTURES/mixed.trace" "$T/trace_pipe"
	boot 'console=ttyS0 root=/dev/vda rd.memdebug=4'
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 "tracing module loads in the top-level buffer of /sys/kernel/tracing ($DEFAULT_BUFFER_KB KiB per CPU)"
	assert_kmsg 30 'watching the trace'
	assert_kmsg 30 'gave back the top-level buffer of /sys/kernel/tracing'
	assert_reported complete
	assert_json '.events' 27
	assert_equal "$(cat "$T/buffer_size_kb")" 7
}

@test "initramfs-tools: the rd.memdebug_ko options reach the binary" {
	make_instance
	boot 'root=/dev/vda rd.memdebug=5 rd.memdebug_ko.buffer_kb=64 rd.memdebug_ko.loaders=my-loader rd.memdebug_ko.instance rd.memdebug_ko.keep rd.memdebug_ko.trace'
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 "tracing module loads in $INST (64 KiB per CPU)"
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(alloc_filter my-loader)"
	# rd.memdebug=5: the stacks of the allocations
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" "stacktrace if $(alloc_filter my-loader)"
	assert_reported complete
	# rd.memdebug_ko.keep: tracing goes on; rd.memdebug_ko.trace: the watcher saved it
	assert_equal "$(cat "$I/tracing_on")" 1
	[[ -s $R/run/initramfs/memdebug-ko.trace ]] || fail 'no saved trace'
}

@test "initramfs-tools: rd.memdebug_ko.late=0 records no stacks, level 4 does" {
	make_instance
	boot 'root=/dev/vda rd.memdebug=4'
	assert_boot_goes_on
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" "$(late_trigger)"
	# a boot of its own: a fresh instance, and no report of this boot yet
	rm -rf "$I" "$R/run/memdebug-ko"
	make_instance
	boot 'root=/dev/vda rd.memdebug=4 rd.memdebug_ko.late=0'
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" '# Available triggers:'
}

@test "initramfs-tools: without rd.memdebug=4 or 5 the scripts do nothing" {
	local cmdline
	for cmdline in 'root=/dev/vda' 'root=/dev/vda rd.memdebug=3' 'rd.memdebug=4 rd.memdebug=0'; do
		boot "$cmdline"
		assert_boot_goes_on
		[[ -z $kmsg ]] || fail "$cmdline: $kmsg"
		[[ ! -e $R/run/initramfs/memdebug-ko.json ]] || fail "$cmdline: a report"
	done
}

@test "initramfs-tools: a level initramfs-tools cannot mean is a warning" {
	boot 'root=/dev/vda rd.memdebug=four'
	assert_boot_goes_on
	assert_kmsg 28 'ignoring rd.memdebug=four: a number from 0 to 5 (4 or 5 for memdebug-ko), no module memory report'
}

@test "initramfs-tools: no binary in the initramfs: each script warns, the boot goes on" {
	rm "$R/usr/bin/memdebug-ko"
	boot 'root=/dev/vda rd.memdebug=4'
	assert_boot_goes_on
	assert_kmsg 28 '/usr/bin/memdebug-ko is missing (set MEMDEBUG_KO=y in /etc/initramfs-tools/conf.d/ and update the initramfs), no module memory report'
	assert_equal "$(grep -c 'is missing' <<<"$kmsg")" 2
}

@test "initramfs-tools: a kernel without tracefs: both scripts warn and the boot goes on" {
	rm -rf "$T"
	boot 'root=/dev/vda rd.memdebug=4'
	assert_boot_goes_on
	assert_kmsg 28 'warning: prepare failed (exit status 1): nothing is traced at this boot'
	assert_kmsg 30 'prepare failed at this boot (its error is above): no module memory report'
	refute_kmsg 'report failed'
	[[ ! -e $R/run/initramfs/memdebug-ko.json ]] || fail 'a JSON report without a trace'
}

@test "initramfs-tools: bad option values warn and their defaults trace" {
	make_idle_top "$T"
	cp "$FIXTURES/mixed.trace" "$T/trace_pipe"
	boot 'root=/dev/vda rd.memdebug=4 rd.memdebug_ko.buffer_kb=0 rd.memdebug_ko.loaders=a-name-longer-than-a-comm'
	assert_boot_goes_on
	assert_kmsg 28 "--buffer-kb takes a number of KiB from 1 to 4194304, not '0': using the default, $DEFAULT_BUFFER_KB KiB (rd.memdebug_ko.buffer_kb=)"
	assert_kmsg 28 "loader name 'a-name-longer-than-a-comm' must have 1 to 15 characters"
	assert_kmsg 30 "($DEFAULT_BUFFER_KB KiB per CPU)"
	assert_reported complete
}

@test "initramfs-tools: a root that never comes: the panic script reports" {
	make_idle_top "$T"
	cp "$FIXTURES/mixed.trace" "$T/trace_pipe"
	boot 'root=/dev/nothing rd.memdebug=4' "$PANIC_BOOT"
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_reported complete
}

@test "initramfs-tools: a panic after init-bottom does not report twice" {
	make_idle_top "$T"
	cp "$FIXTURES/mixed.trace" "$T/trace_pipe"
	boot 'root=/dev/vda rd.memdebug=4' "$BOOT"'
/scripts/panic/memdebug-ko; echo "panic: $?"'
	assert_boot_goes_on
	assert_reported complete
	assert_equal "$(grep -c 'memdebug-ko: total ' <<<"$kmsg")" 1
}

# ---------------------------------------------------------------------------------------
# the build-time hook

# Runs the hook as mkinitramfs does, with config directory $C and image tree $D.
run_hook() {
	run env CONFDIR="$C" DESTDIR="$D" verbose=n MEMDEBUG_KO_BINARY="${1:-$MDKO_ELF}" \
		sh "$ITOOLS/hooks/memdebug-ko"
}

@test "initramfs-tools hook: the binary goes in only with MEMDEBUG_KO=y in conf.d" {
	[[ -f /usr/share/initramfs-tools/hook-functions ]] ||
		skip 'initramfs-tools is not installed (hook-functions)'
	C=$BATS_TEST_TMPDIR/conf D=$BATS_TEST_TMPDIR/dest
	mkdir -p "$C/conf.d" "$D"
	run_hook
	assert_success
	[[ ! -e $D/usr/bin/memdebug-ko ]] || fail 'copied without MEMDEBUG_KO=y'
	echo 'MEMDEBUG_KO=y' >"$C/conf.d/memdebug-ko"
	run_hook
	assert_success
	cmp "$MDKO_ELF" "$D/usr/bin/memdebug-ko"
	# a later file wins, as in mkinitramfs; a dpkg leftover does not count
	rm -rf "${D:?}"/*
	echo 'MEMDEBUG_KO=n' >"$C/conf.d/zz-local"
	echo 'MEMDEBUG_KO=y' >"$C/conf.d/zzz.dpkg-dist"
	run_hook
	assert_success
	[[ ! -e $D/usr/bin/memdebug-ko ]] || fail 'copied although zz-local says MEMDEBUG_KO=n'
}

@test "initramfs-tools hook: a missing binary warns and never fails the build" {
	[[ -f /usr/share/initramfs-tools/hook-functions ]] ||
		skip 'initramfs-tools is not installed (hook-functions)'
	C=$BATS_TEST_TMPDIR/conf D=$BATS_TEST_TMPDIR/dest
	mkdir -p "$C/conf.d" "$D"
	echo 'MEMDEBUG_KO=y' >"$C/conf.d/memdebug-ko"
	run_hook "$BATS_TEST_TMPDIR/none"
	assert_success
	assert_output "W: memdebug-ko: MEMDEBUG_KO=y, but $BATS_TEST_TMPDIR/none is missing: not in this initramfs"
}
