#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # shell code for the namespace and the initramfs is single-quoted
# Never break the boot: the dracut hooks, unmodified, with the binary under test and the
# host's dracut-lib.sh, in a small initramfs-like root for each fault. The root is run as
# root of a user and mount namespace (chroot, no mount of the real tracefs possible):
# /sys/kernel/tracing is a fake tree, /proc/cmdline a file, /dev/kmsg a FIFO read into
# $kmsg. Every case checks that the hooks return to the shell that sourced them, say what
# went wrong in the kernel log and what the report could still do.
# A fault only a real kernel shows (a ring buffer that overflows) is in test/boot/fault-test.

load helpers
load initrd

DRACUT_BASE=/usr/lib/dracut

# What dracut does in a shell initrd: its init sources dracut-lib.sh, then the hooks.
SHELL_BOOT='. /lib/dracut-lib.sh
. /lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh; echo "cmdline hook: $?"
. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "pre-pivot hook: $?"
echo "switching root"'

# In a systemd initrd a unit runs the prepare script, dracut-pre-pivot.service the hook.
SYSTEMD_BOOT='DRACUT_SYSTEMD=1 /bin/sh /usr/lib/memdebug-ko/prepare.sh; echo "prepare unit: $?"
export DRACUT_SYSTEMD=1
. /lib/dracut-lib.sh
. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "pre-pivot hook: $?"
echo "switching root"'

# The initramfs-like root every test starts from (initrd_base), with dracut-lib.sh,
# dracut's getarg helpers and the hooks where dracut installs them.
setup_file() {
	local r=$BATS_FILE_TMPDIR/root base=$DRACUT_BASE/modules.d/99base

	export FAULTS_SKIP=
	if [[ ! -f $base/dracut-lib.sh || ! -x $DRACUT_BASE/dracut-util ]]; then
		FAULTS_SKIP="dracut is not installed ($base/dracut-lib.sh, $DRACUT_BASE/dracut-util)"
		return
	fi
	FAULTS_SKIP=$(initrd_possible) || return 0
	initrd_base "$r"
	mkdir -p "$r"/lib/dracut/hooks/{cmdline,pre-pivot} "$r"/usr/lib/memdebug-ko
	copy_with_libs "$DRACUT_BASE/dracut-util" "$r" /usr/bin/dracut-util
	ln -s dracut-util "$r/usr/bin/dracut-getarg"
	ln -s dracut-util "$r/usr/bin/dracut-getargs"
	cp "$base/dracut-lib.sh" "$base/dracut-dev-lib.sh" "$r/lib/"
	cp "$BATS_TEST_DIRNAME/../dracut-module/memdebug-ko-prepare.sh" \
		"$r/lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh"
	cp "$BATS_TEST_DIRNAME/../dracut-module/memdebug-ko-prepare.sh" \
		"$r/usr/lib/memdebug-ko/prepare.sh"
	cp "$BATS_TEST_DIRNAME/../dracut-module/memdebug-ko-report.sh" \
		"$r/lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh"
}

# Every test starts from a copy of the root (initrd_setup).
setup() {
	[[ -z $FAULTS_SKIP ]] || skip "$FAULTS_SKIP"
	initrd_setup
}

teardown() {
	initrd_teardown
}

# Boots with kernel command line $1 through the hooks of a shell initrd.
boot() {
	echo "$1" >"$R/proc/cmdline"
	in_initrd "$SHELL_BOOT"
}

# ---------------------------------------------------------------------------------------
# 1. tracefs absent, or it cannot be mounted

@test "faults: a kernel without tracefs: both hooks warn and the boot goes on" {
	rm -rf "$T"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_kmsg 27 'error: no tracing directory: tracefs on /sys/kernel/tracing: No such file or directory; debugfs on /sys/kernel/debug: No such file or directory'
	refute_kmsg 'mounted tracefs'
	refute_kmsg 'mounted debugfs'
	assert_kmsg 28 'warning: prepare failed (exit status 1): nothing is traced at this boot'
	# one failure, said once: report does not fail in its turn
	assert_kmsg 30 "prepare failed at this boot (its error is above): no module memory report"
	refute_kmsg 'tracefs is not mounted'
	refute_kmsg 'report failed'
	[[ ! -e $R/run/initramfs/memdebug-ko.json ]] || fail 'a JSON report without a trace'
}

@test "faults: tracefs that cannot be mounted: both hooks warn and the boot goes on" {
	rm -rf "$T"
	mkdir -p "$T" "$R/sys/kernel/debug"
	# a user namespace may not mount tracefs or debugfs: EPERM, as under a locked-down LSM
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_kmsg 27 'error: no tracing directory: tracefs on /sys/kernel/tracing: Operation not permitted; debugfs on /sys/kernel/debug: Operation not permitted'
	refute_kmsg 'trying debugfs'
	assert_kmsg 28 'warning: prepare failed (exit status 1): nothing is traced at this boot'
	assert_kmsg 30 "prepare failed at this boot (its error is above): no module memory report"
	refute_kmsg 'report failed'
}

@test "faults: kernel lockdown=confidentiality: one line says lockdown forbids tracing, the report what /proc shows" {
	rm -rf "$T"
	mkdir -p "$T" "$R/sys/kernel/debug" "$R/sys/kernel/security"
	echo 'none integrity [confidentiality]' >"$R/sys/kernel/security/lockdown"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_kmsg 27 'error: kernel lockdown (confidentiality, /sys/kernel/security/lockdown) forbids tracefs: nothing can be traced at this boot'
	refute_kmsg 'mounted tracefs'
	refute_kmsg 'mounted debugfs'
	refute_kmsg 'no tracing directory'
	assert_kmsg 28 'warning: prepare failed (exit status 1): nothing is traced at this boot'
	[[ $(grep -c 'lockdown' <<<"$kmsg") == 1 ]] || fail "more than one line names lockdown: $kmsg"
	# the report: what /proc shows, the modules not measured, never 0 pages
	assert_kmsg 29 'module memory while loading, in 4 KiB pages, not traced at this boot'
	assert_kmsg 29 'events: none: tracing was forbidden at this boot (see above); what /proc shows follows, no page is measured'
	assert_kmsg 29 'ext4               n/a   n/a   n/a  n/a    996      - not-traced -'
	assert_kmsg 29 'total              n/a   n/a   n/a  n/a   1124                   0 loads'
	assert_kmsg 29 'not-traced: 4 modules in /proc/modules; nothing was traced at this boot'
	assert_kmsg 29 'low point: no watcher sampled MemAvailable at this boot'
	assert_kmsg 29 'budget of the whole kernel at the report: 262144 KiB (MemTotal)'
	refute_kmsg 'module allocations'
	refute_kmsg 'report failed'
	refute_kmsg 'prepare failed at this boot'
	output=$(cat "$R/run/initramfs/memdebug-ko.json") || fail 'no /run/initramfs/memdebug-ko.json'
	assert_json '.traced' false
	assert_json '.complete' false
	assert_json '.pages_measured' false
	assert_json '[.modules[] | select(.status == "not-traced" and .pages == null and .image_bytes > 0)] | length' 4
	assert_json '.total.pages' null
	assert_json '.budget.mem_total_kib' 262144
}

# ---------------------------------------------------------------------------------------
# 2. events missing from the kernel

@test "faults: a kernel without module events: prepare fails cleanly, no instance is left" {
	rm -rf "$T/events/module" "$BATS_TEST_TMPDIR/instance/events/module"
	# mkdir makes an instance without module events
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_kmsg 27 "error: cannot enable $INST/events/module/module_load (No such file or directory): no module load can be traced"

	assert_kmsg 28 'warning: prepare failed (exit status 1): nothing is traced at this boot'
	[[ ! -e $I ]] || fail "prepare left $INST behind"
	assert_kmsg 30 "prepare failed at this boot (its error is above): no module memory report"
	refute_kmsg 'no trace buffer of prepare'
	refute_kmsg 'report failed'
}

@test "faults: a kernel without kmem events: the loads are reported, pages are not measured" {
	rm -rf "$T/events/kmem" "$BATS_TEST_TMPDIR/instance/events/kmem"
	sed -i '/mm_page_/d' "$BATS_TEST_TMPDIR/instance/trace"
	make_instance
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_kmsg 28 "warning: cannot enable $INST/events/kmem/mm_page_alloc"
	assert_kmsg 28 'pages cannot be measured'
	refute_kmsg 'failed (exit status'
	assert_reported complete
	assert_json '[.modules[] | select(.status!="before-tracing") | .name] | length' 8
}

@test "faults: a kernel without module_put (no CONFIG_MODULE_UNLOAD): windows close at the next load" {
	rm -rf "$T/events/module/module_put" "$BATS_TEST_TMPDIR/instance/events/module/module_put"
	sed -i '/module_put/d' "$BATS_TEST_TMPDIR/instance/trace"
	make_instance
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_kmsg 28 "warning: cannot enable $INST/events/module/module_put (No such file or directory): load windows will close at the loader's next load"

	assert_kmsg 28 'CONFIG_MODULE_UNLOAD'
	refute_kmsg 'failed (exit status'
	assert_reported complete
	assert_kmsg 29 "closed by the loader's next module_load: this kernel records no module_put"
}

@test "faults: an idle top-level buffer is claimed, reported and given back" {
	make_idle_top "$T"
	# what the watcher reads: a file, whose end it needs not wait for
	cp "$FIXTURES/mixed.trace" "$T/trace_pipe"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 "tracing module loads in the top-level buffer of /sys/kernel/tracing ($DEFAULT_BUFFER_KB KiB per CPU)"
	assert_kmsg 30 'gave back the top-level buffer of /sys/kernel/tracing: free memory'
	assert_reported complete
	assert_json '.buffer' top-level
	assert_json '.events' 27
	[[ ! -e $I ]] || fail "prepare made $INST"
	assert_equal "$(cat "$T/buffer_size_kb")" 7
	[[ ! -e $R/run/memdebug-ko/top-level ]] || fail 'the claim outlived the report'
}

# ---------------------------------------------------------------------------------------
# 3. the instance exists before prepare

@test "faults: an instance that exists but does not trace is taken over and set up" {
	make_instance
	echo 0 >"$I/events/module/module_load/enable"
	echo 8 >"$I/buffer_size_kb"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 "tracing module loads in $INST ($DEFAULT_BUFFER_KB KiB per CPU)"
	assert_reported complete
	assert_json '.buffer_kb' "$DEFAULT_BUFFER_KB"
}

@test "faults: rd.memdebug=5 records the stacks of the allocations, for the call sites" {
	make_instance
	echo 'console=ttyS0 root=/dev/vda rd.memdebug=5' >"$R/proc/cmdline"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 'recording the kernel stack of each page allocation (rd.memdebug=5)'
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" "stacktrace if $(alloc_filter)"
	assert_reported complete
}

@test "faults: rd.memdebug=4 records the stacks outside the loaders; rd.memdebug_ko.late=0 none" {
	make_instance
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 'recording the kernel stacks of allocations outside the loaders, for the late pages'
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" "$(late_trigger)"
	# a boot of its own: a fresh instance, and no report of this boot yet
	rm -rf "$I" "$R/run/memdebug-ko"
	make_instance
	echo 'console=ttyS0 root=/dev/vda rd.memdebug=4 rd.memdebug_ko.late=0' >"$R/proc/cmdline"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" '# Available triggers:'
}

@test "faults: an instance that already traces module loads is left as it is" {
	make_instance
	echo 1 >"$I/events/module/module_load/enable"
	echo 1234 >"$I/buffer_size_kb"
	echo 'console=ttyS0 rd.memdebug=4 rd.memdebug_ko.buffer_kb=64' >"$R/proc/cmdline"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 "$INST is already tracing module loads: left as it is"
	assert_reported complete
	assert_json '.buffer_kb' 1234
}

# ---------------------------------------------------------------------------------------
# 4. report without prepare

@test "faults: report without prepare says so and the boot goes on" {
	make_instance
	rm -rf "$I"
	in_initrd '. /lib/dracut-lib.sh
		. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "pre-pivot hook: $?"
		echo "switching root"'
	assert_boot_goes_on
	assert_kmsg 27 "error: no trace buffer of prepare (no claim of the top-level buffer in /run/memdebug-ko, no instance $INST): was 'memdebug-ko prepare' run at this boot?"
	assert_kmsg 28 'warning: report failed (exit status 1): see the memdebug-ko errors before this line'
	[[ ! -e $R/run/initramfs/memdebug-ko.json ]] || fail 'a JSON report without a trace'
}

@test "faults: report without prepare in a systemd initrd whose unit did not run" {
	rm -rf "$T"
	mkdir -p "$T"
	in_initrd 'export DRACUT_SYSTEMD=1
		. /lib/dracut-lib.sh
		. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "pre-pivot hook: $?"
		echo "switching root"'
	assert_boot_goes_on
	assert_kmsg 27 "error: tracefs is not mounted"
	assert_kmsg 28 'warning: report failed (exit status 1)'
}

# ---------------------------------------------------------------------------------------
# 5. prepare twice

@test "faults: prepare twice (hook and unit) keeps the first setup and its events" {
	make_instance
	# the second run sees another buffer size: it must not apply it
	in_initrd '. /lib/dracut-lib.sh
		. /lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh; echo "cmdline hook: $?"
		echo "rd.memdebug=4 rd.memdebug_ko.buffer_kb=64" >/proc/cmdline
		DRACUT_SYSTEMD=1 /bin/sh /usr/lib/memdebug-ko/prepare.sh; echo "prepare unit: $?"
		. /lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh; echo "cmdline hook: $?"
		. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "pre-pivot hook: $?"
		echo "switching root"'
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_kmsg 30 "tracing module loads in $INST ($DEFAULT_BUFFER_KB KiB per CPU)"
	assert_equal "$(grep -c 'already tracing module loads: left as it is' <<<"$kmsg")" 2
	assert_reported complete
	assert_json '.buffer_kb' "$DEFAULT_BUFFER_KB"
	assert_json '[.modules[] | select(.name=="virtio_blk")] | length' 1
}

@test "faults: after the report, emergency rounds arm nothing and report nothing again" {
	make_instance
	# a switch-root that fails after the report: dracut's emergency path runs the unit's
	# script, the cmdline hook and the report hook (its emergency hook) again and again
	in_initrd '. /lib/dracut-lib.sh
		. /lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh; echo "cmdline hook: $?"
		. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "pre-pivot hook: $?"
		rm -f /run/initramfs/memdebug-ko.json
		mkdir /sys/kernel/tracing/instances/memdebug-ko
		for round in 1 2 3; do
			DRACUT_SYSTEMD=1 /bin/sh /usr/lib/memdebug-ko/prepare.sh; echo "prepare unit: $?"
			. /lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh; echo "cmdline hook: $?"
			. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "emergency hook: $?"
		done
		echo "switching root"'
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_equal "$(grep -c 'tracing module loads in' <<<"$kmsg")" 1
	assert_equal "$(grep -c 'watching the trace (pid' <<<"$kmsg")" 1
	assert_equal "$(grep -c 'events: ' <<<"$kmsg")" 1
	assert_equal "$(grep -c "this boot's report has run already (/run/memdebug-ko/reported): nothing is traced again" <<<"$kmsg")" 6
	assert_equal "$(grep -c "this boot's report has run already (/run/memdebug-ko/reported): not again" <<<"$kmsg")" 3
	[[ ! -e $R/run/initramfs/memdebug-ko.json ]] || fail 'a report after the first one'
	assert_equal "$(cat "$I/tracing_on")" 0
}

# ---------------------------------------------------------------------------------------
# 6. rd.memdebug garbage or repeated; bad rd.memdebug_ko options

# Boots with kernel command line $1 and asserts whether memdebug-ko traced ($2: yes or
# no) and the warning it gave ($3, or no warning at all when empty).
check_cmdline() {
	# a new boot: a new /run, without the last boot's report
	rm -rf "$I" "$R/run/initramfs/memdebug-ko.json" "$R/run/memdebug-ko"
	make_instance
	boot "$1"
	assert_boot_goes_on
	if [[ $2 == yes ]]; then
		assert_kmsg 30 "tracing module loads in $INST"
		assert_reported complete
	else
		refute_kmsg 'tracing module loads'
		refute_kmsg 'events: '
		[[ ! -e $R/run/initramfs/memdebug-ko.json ]] || fail "a JSON report with $1"
	fi
	if [[ $3 ]]; then
		assert_kmsg 28 "warning: $3"
	else
		refute_kmsg 'warning'
	fi
}

@test "faults: rd.memdebug that dracut ignores gives a warning, nothing is traced" {
	local off='dracut takes a number from 0 to 5 (4 or 5 for memdebug-ko), no module memory report'

	check_cmdline 'rd.memdebug=foo' no "ignoring rd.memdebug=foo: $off"
	check_cmdline 'rd.memdebug=99' no "ignoring rd.memdebug=99: $off"
	check_cmdline 'rd.memdebug=-4' no "ignoring rd.memdebug=-4: $off"
	# dash's arithmetic takes 08 for a bad octal number
	check_cmdline 'rd.memdebug=08' no "ignoring rd.memdebug=08: $off"
}

@test "faults: rd.memdebug given twice: the last counts, a warning says so" {
	check_cmdline 'rd.memdebug=4 rd.memdebug=0' no \
		'rd.memdebug is given 2 times (4 0): only the last, rd.memdebug=0, counts, no module memory report'
	check_cmdline 'rd.memdebug=0 quiet rd.memdebug=4' yes \
		'rd.memdebug is given 2 times (0 4): only the last, rd.memdebug=4, counts'
	check_cmdline 'rd.memdebug=4 rd.memdebug' no \
		'rd.memdebug is given 2 times (4 rd.memdebug): only the last, rd.memdebug, counts, no module memory report'
	check_cmdline 'rd.memdebug=5 rd.memdebug=5' yes ''
}

@test "faults: rd.memdebug levels that are not memdebug-ko's are quiet" {
	check_cmdline 'console=ttyS0' no ''
	check_cmdline 'rd.memdebug' no ''
	check_cmdline 'rd.memdebug=3' no ''
	check_cmdline 'rd.memdebug=0' no ''
	check_cmdline 'rd.memdebug=5' yes ''
}

@test "faults: rd.memdebug in /etc/cmdline.d counts like the kernel's" {
	mkdir -p "$R/etc/cmdline.d"
	echo 'rd.memdebug=4' >"$R/etc/cmdline.d/50-memdebug.conf"
	check_cmdline 'console=ttyS0' yes ''
}

@test "faults: a bad rd.memdebug_ko option is left out with a warning, its default traces" {
	local range='--buffer-kb takes a number of KiB from 1 to 4194304'
	local dflt="using the default, $DEFAULT_BUFFER_KB KiB (rd.memdebug_ko.buffer_kb=)"

	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=0' yes "$range, not '0': $dflt"
	assert_equal "$(cat "$I/buffer_size_kb")" "$DEFAULT_BUFFER_KB"
	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=4194305' yes \
		"$range, not '4194305': $dflt"
	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=99999999999999999999' yes \
		"$range, not '99999999999999999999': $dflt"
	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=4M' yes "$range, not '4M': $dflt"
	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=' yes "$range, not '': $dflt"
	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.loaders=a"b' yes \
		"loader name 'a\"b' may not contain quotes, backslashes or control characters: ignoring --loader 'a\"b' (rd.memdebug_ko.loaders=)"
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(alloc_filter)"
	# only the bad value falls back: the buffer size still counts
	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=512 rd.memdebug_ko.loaders=my-loader,a-name-longer-than-a-comm' \
		yes "loader name 'a-name-longer-than-a-comm' must have 1 to 15 characters: ignoring --loader 'my-loader,a-name-longer-than-a-comm' (rd.memdebug_ko.loaders=)"
	assert_equal "$(cat "$I/buffer_size_kb")" 512
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(alloc_filter)"
	check_cmdline 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=512 rd.memdebug_ko.loaders=my-loader' yes ''
	assert_equal "$(cat "$I/buffer_size_kb")" 512
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(alloc_filter my-loader)"
}

# ---------------------------------------------------------------------------------------
# 7. a buffer that overflows (the real overflow: test/boot/fault-test)

@test "faults: a tiny buffer reaches the instance and lost events make the report INCOMPLETE" {
	make_instance
	sed -i 's/^dropped events: 0$/dropped events: 7/' "$I/per_cpu/cpu1/stats"
	boot 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=4'
	assert_boot_goes_on
	refute_kmsg 'warning'
	assert_equal "$(cat "$I/buffer_size_kb")" 4
	assert_reported INCOMPLETE
	assert_kmsg 29 'events: 27 read, 7 lost, 0 malformed lines skipped: INCOMPLETE'
	assert_kmsg 29 'INCOMPLETE: the ring buffer dropped 7 events, figures are too low; raise rd.memdebug_ko.buffer_kb= (prepare --buffer-kb), now 4 KiB per CPU'
	assert_json '.lost_events' 7
	assert_json '.complete' false
}

# ---------------------------------------------------------------------------------------
# 8. /proc missing at prepare time

@test "faults: without /proc, prepare reads rd.memdebug from /etc/cmdline.d and needs nothing else" {
	make_instance
	rm -rf "$R/proc"
	mkdir -p "$R/etc/cmdline.d"
	echo 'rd.memdebug=4 rd.memdebug_ko.buffer_kb=512' >"$R/etc/cmdline.d/50-memdebug.conf"
	in_initrd '. /lib/dracut-lib.sh
		. /lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh; echo "cmdline hook: $?"
		echo "switching root"'
	assert_boot_goes_on
	assert_kmsg 28 'warning: cannot read /proc/cmdline (is /proc mounted?): rd.memdebug is unknown'
	assert_kmsg 30 "tracing module loads in $INST (512 KiB per CPU)"
	refute_kmsg 'failed'
	assert_equal "$(cat "$I/events/module/module_load/enable")" 1
	assert_equal "$(cat "$I/tracing_on")" 1
}

@test "faults: without /proc and no rd.memdebug elsewhere, a warning says nothing is traced" {
	make_instance
	rm -rf "$R/proc"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_kmsg 28 'warning: cannot read /proc/cmdline (is /proc mounted?): rd.memdebug is unknown, no module memory report'
	refute_kmsg 'tracing module loads'
}

@test "faults: without /proc at report time the table comes without image sizes" {
	make_instance
	in_initrd '. /lib/dracut-lib.sh
		. /lib/dracut/hooks/cmdline/00-memdebug-ko-prepare.sh; echo "cmdline hook: $?"'
	assert_success
	assert_kmsg 30 "tracing module loads in $INST"
	# report reads /proc/modules and /proc/meminfo: neither is there
	rm -rf "$R/proc"
	echo 'rd.memdebug=4' >"$R/etc/cmdline"
	in_initrd '. /lib/dracut-lib.sh
		. /lib/dracut/hooks/pre-pivot/99-memdebug-ko-report.sh; echo "pre-pivot hook: $?"
		echo "switching root"'
	assert_boot_goes_on
	assert_kmsg 28 'warning: cannot read /proc/modules (No such file or directory): no status says failed or before-tracing, and image sizes are unknown'
	refute_kmsg 'error: cannot read /proc/modules'
	refute_kmsg 'failed (exit status'
	assert_reported complete
	assert_json '[.modules[] | select(.image_bytes != null)] | length' 0
}

# ---------------------------------------------------------------------------------------
# 9. the binary missing from the initramfs

@test "faults: without the binary both hooks warn and the boot goes on" {
	make_instance
	rm "$R/usr/bin/memdebug-ko"
	in_initrd "$SHELL_BOOT"
	assert_boot_goes_on
	assert_equal "$(grep -c '<28>memdebug-ko: warning: /usr/bin/memdebug-ko is missing, no module memory report' <<<"$kmsg")" 2
	in_initrd "$SYSTEMD_BOOT"
	assert_boot_goes_on
	assert_equal "$(grep -c '<28>memdebug-ko: warning: /usr/bin/memdebug-ko is missing, no module memory report' <<<"$kmsg")" 2
}

# Runs check() of module-setup.sh with dracut's require_binaries and find_binary, and
# MEMDEBUG_KO_BINARY=$1; $status is what check returned.
module_check() {
	run env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin MEMDEBUG_KO_BINARY="$1" \
		DRACUT_BASE="$DRACUT_BASE" MODULE="$BATS_TEST_DIRNAME/../dracut-module/module-setup.sh" \
		bash -c '
		. "$DRACUT_BASE/dracut-functions.sh"
		eval "$(sed -n "/^require_binaries() {/,/^}/p" "$DRACUT_BASE/dracut-init.sh")"
		dinfo() { echo "dinfo: $*"; }
		DRACUT_PATH="/usr/sbin /sbin /usr/bin /bin"
		moddir=/usr/lib/dracut/modules.d/55memdebug-ko
		. "$MODULE"
		check'
}

@test "faults: dracut leaves the module out when the binary is missing" {
	[[ -f $DRACUT_BASE/dracut-init.sh && -f $DRACUT_BASE/dracut-functions.sh ]] ||
		skip "no dracut-init.sh and dracut-functions.sh in $DRACUT_BASE"
	module_check "$BATS_TEST_TMPDIR/no-such-memdebug-ko"
	assert_failure 1
	assert_output --partial "dracut module 'memdebug-ko' will not be installed, because command '$BATS_TEST_TMPDIR/no-such-memdebug-ko' could not be found!"
	module_check no-such-memdebug-ko
	assert_failure 1
	assert_output --partial "because command 'no-such-memdebug-ko' could not be found!"
	# a binary that is there: opt-in only
	module_check "$MDKO"
	assert_failure 255
	refute_output --partial 'will not be installed'
}

# ---------------------------------------------------------------------------------------
# 10. a read-only or full /run

@test "faults: a read-only /run: the report goes to the console, a warning says the JSON is not saved" {
	make_instance
	NS_SETUP='mount --bind "$R/run" "$R/run" && mount -o remount,bind,ro "$R/run"'
	boot 'rd.memdebug=4 rd.memdebug_ko.trace'
	assert_boot_goes_on
	assert_kmsg 28 'warning: cannot create a file in /run/initramfs: the JSON report is not saved'
	# no pid file, no watcher: the report reads the buffer itself
	assert_kmsg 27 'error: cannot write /run/memdebug-ko/watch.pid: Read-only file system; no watcher'
	assert_kmsg 28 'warning: watch failed (exit status 1): nothing is streamed, the report comes at pre-pivot'
	refute_kmsg 'prepare failed (exit status'
	refute_kmsg 'report failed (exit status'
	assert_kmsg 29 'events: 27 read, 0 lost, 0 malformed lines skipped: complete'
	assert_kmsg 29 'memdebug-ko: total '
	# and without /run/initramfs, which it cannot make
	rmdir "$R/run/initramfs"
	boot 'rd.memdebug=4'
	assert_boot_goes_on
	assert_kmsg 28 'warning: cannot create a file in /run/initramfs: the JSON report is not saved'
	assert_kmsg 29 'events: 27 read'
}

@test "faults: a full /run: the report goes to the console, errors say what was not saved" {
	make_instance
	NS_SETUP='mount -t tmpfs -o size=8k tmpfs "$R/run" && mkdir "$R/run/initramfs" &&
		{ cat /dev/zero >"$R/run/fill" 2>/dev/null || :; }'
	boot 'rd.memdebug=4 rd.memdebug_ko.trace'
	assert_boot_goes_on
	assert_kmsg 28 'warning: cannot save the trace to /run/initramfs/memdebug-ko.trace: No space left on device'
	# the binary says why only since report_json() passes on fflush's errno
	assert_kmsg 27 'error: cannot write /run/initramfs/memdebug-ko.json: No space left on device'
	[[ ! -e $R/run/initramfs/memdebug-ko.json.tmp ]] || fail 'the temporary JSON file is left'
	[[ ! -e $R/run/initramfs/memdebug-ko.trace.tmp ]] || fail 'the temporary trace is left'
	assert_kmsg 28 'warning: report failed (exit status 1): see the memdebug-ko errors before this line'
	assert_kmsg 29 'events: 27 read, 0 lost, 0 malformed lines skipped: complete'
	assert_kmsg 29 'memdebug-ko: total '
	# the report freed the instance all the same (a test tree's rmdir fails: not empty)
	assert_kmsg 28 "warning: cannot remove $INST: Directory not empty"
}
