#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The command line: exit codes 0 / 1 runtime / 2 usage, and stdout carries only the report.

load helpers

@test "cli: no command is a usage error" {
	run -2 --separate-stderr "$MDKO"
	assert_output ''
	[[ "$stderr" == *"Usage: memdebug-ko COMMAND"* ]]
}

@test "cli: an unknown command is a usage error that names it" {
	run -2 --separate-stderr "$MDKO" frobnicate
	[[ "$stderr" == *"unknown command 'frobnicate'"* ]]
}

@test "cli: each command has --help on stdout" {
	run -0 "$MDKO" prepare --help
	assert_output --partial 'Usage: memdebug-ko prepare'
	assert_output --partial '--buffer-kb'
	run -0 "$MDKO" report --help
	assert_output --partial 'Usage: memdebug-ko report'
	assert_output --partial '--input FILE'
}

@test "cli: unknown options and stray arguments are usage errors" {
	run -2 --separate-stderr "$MDKO" report --frob
	[[ "$stderr" == *"Try 'memdebug-ko report --help'"* ]]
	run -2 --separate-stderr "$MDKO" report trace.txt
	[[ "$stderr" == *"a trace file goes with --input"* ]]
	run -2 --separate-stderr "$MDKO" prepare extra
	[[ "$stderr" == *"prepare takes no argument 'extra'"* ]]
}

@test "cli: option values are checked" {
	run -2 --separate-stderr "$MDKO" report --input /dev/null --format xml
	[[ "$stderr" == *"--format is text or json, not 'xml'"* ]]
	run -2 --separate-stderr "$MDKO" report --input /dev/null --sort size
	[[ "$stderr" == *"--sort is pages, name or load"* ]]
	run -2 --separate-stderr "$MDKO" report --input /dev/null --page-size 3000
	[[ "$stderr" == *"--page-size is a power of two"* ]]
	for bad in 0 -1 abc 12k 99999999999; do
		run -2 --separate-stderr "$MDKO" prepare --buffer-kb "$bad"
		[[ "$stderr" == *"--buffer-kb takes a number of KiB"* ]]
	done
}

@test "cli: loader names that cannot go into a tracefs filter are refused" {
	run -2 --separate-stderr "$MDKO" prepare --loader 'bad"name'
	[[ "$stderr" == *"may not contain quotes"* ]]
	run -2 --separate-stderr "$MDKO" prepare --loader 'a-name-longer-than-15'
	[[ "$stderr" == *"1 to 15 characters"* ]]
}

@test "cli: --input with live-only options is a usage error" {
	run -2 --separate-stderr "$MDKO" report --input /dev/null --keep
	[[ "$stderr" == *"--tracefs, --keep, --detach and --save-trace are for live reports"* ]]
}

@test "cli: a missing input file is a runtime error with the path" {
	run -1 --separate-stderr "$MDKO" report --input "$BATS_TEST_TMPDIR/nope.trace"
	assert_output ''
	[[ "$stderr" == *"cannot open $BATS_TEST_TMPDIR/nope.trace: No such file or directory"* ]]
}

@test "cli: a directory as input is a runtime error" {
	run -1 --separate-stderr "$MDKO" report --input "$BATS_TEST_TMPDIR"
	[[ "$stderr" == *"cannot read $BATS_TEST_TMPDIR"* ]]
}

@test "cli: stdout carries only the report, warnings go to stderr" {
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" \
		--proc "$BATS_TEST_TMPDIR/no-proc"
	assert_line --index 0 --partial 'module memory while loading'
	[[ "$stderr" == *"cannot read $BATS_TEST_TMPDIR/no-proc/modules"* ]]
	[[ "$output" != *"cannot read"* ]]
}

@test "cli: a report that cannot be written is a runtime error" {
	[[ -w /dev/full ]] || skip "no /dev/full on this machine"
	run -1 --separate-stderr bash -c '"$0" report --input "$1" >/dev/full' \
		"$MDKO" "$FIXTURES/boot-shell.trace"
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "cli: the help and the man page name the defaults of meson.build" {
	local man=${MDKO_ELF%/*}/memdebug-ko.8 name
	[[ -f $man ]] || skip "no man page beside $MDKO_ELF (not a meson build directory)"
	run -0 "$MDKO" prepare --help
	assert_output --partial "(default $DEFAULT_BUFFER_KB)"
	for name in ${DEFAULT_LOADERS//,/ }; do
		assert_output --partial " $name"
		grep -qF -- "$name" "$man" || fail "the man page does not name the loader $name"
	done
	assert_output --partial 'and PID 1'
	grep -qF "1 to 4194304 (default $DEFAULT_BUFFER_KB)" "$man" || fail 'the man page lacks the buffer range'
	! grep -q '@[A-Z_]*@' "$man" || fail "the man page has an unsubstituted @VAR@: $(grep '@[A-Z_]*@' "$man")"
}

@test "cli: cmdline prints the boot-parameter options with the kprobes of that kernel" {
	run -0 --separate-stderr "$MDKO" cmdline --kernel 6.1.0-26-amd64
	assert_line --index 0 --regexp '^trace_event=module:module_load,module:module_put,module:module_free,oom:mark_victim,kmem:mm_page_alloc,kmem:mm_page_free,workqueue:[a-z_,:]*,sched:sched_waking trace_buf_size=16M trace_clock=global kprobe_event=p:memdebug_ko/bulk_enter,__alloc_pages_bulk,array=\$arg6:x64,first=\+0\(\$arg6\):x64;r:memdebug_ko/bulk_exit,__alloc_pages_bulk,ret=\$retval:u64$'
	run -0 "$MDKO" cmdline -K 6.10.0
	assert_output --partial 'p:memdebug_ko/bulk_enter,alloc_pages_bulk_noprof,array=$arg6:x64,'
	# 6.14 dropped the page list: the array is the 5th argument
	run -0 "$MDKO" cmdline -K 7.3.4+deb13-amd64
	assert_output --partial 'p:memdebug_ko/bulk_enter,alloc_pages_bulk_noprof,array=$arg5:x64,first=+0($arg5):x64;'
	run -0 "$MDKO" cmdline
	assert_output --partial 'trace_event=module:module_load,'
	# the position from the kernel's BTF, whatever the release says
	make_btf "$BATS_TEST_TMPDIR/btf" alloc_pages_bulk_noprof 6
	run -0 "$MDKO" cmdline -K 7.3.4+deb13-amd64 --btf "$BATS_TEST_TMPDIR/btf"
	assert_output --partial 'p:memdebug_ko/bulk_enter,alloc_pages_bulk_noprof,array=$arg6:x64,first=+0($arg6):x64;'
	make_btf "$BATS_TEST_TMPDIR/btf" alloc_pages_bulk_noprof 5 twice
	run -1 --separate-stderr "$MDKO" cmdline -K 7.3.4+deb13-amd64 -B "$BATS_TEST_TMPDIR/btf"
	assert_output ''
	[[ "$stderr" == *"cannot read the position of the bulk page allocator's argument in $BATS_TEST_TMPDIR/btf: functions of that name disagree"* ]] ||
		fail "$stderr"
	run -1 --separate-stderr "$MDKO" cmdline -B "$BATS_TEST_TMPDIR/none"
	assert_output ''
	[[ "$stderr" == *"in $BATS_TEST_TMPDIR/none: No such file or directory"* ]] || fail "$stderr"
	# trace_event= hangs 7.3-rt before init; 6.12-rt boots with it (no config here: the name)
	run -1 --separate-stderr "$MDKO" cmdline -K 7.3.4+deb13-rt-amd64
	assert_output ''
	[[ "$stderr" == *"7.3.4+deb13-rt-amd64 is a PREEMPT_RT kernel newer than 6.12: trace_event= on its command line hangs it before init (measured"* ]]
	run -0 "$MDKO" cmdline -K 6.12.118+deb12-rt-amd64
	assert_output --partial 'trace_event=module:module_load,'
	run -2 --separate-stderr "$MDKO" cmdline --kernel amd64
	[[ "$stderr" == *"--kernel takes a release such as"*"not 'amd64'"* ]]
	run -2 --separate-stderr "$MDKO" cmdline extra
	[[ "$stderr" == *"cmdline takes no argument 'extra'"* ]]
	run -0 "$MDKO" cmdline --help
	assert_output --partial 'Usage: memdebug-ko cmdline'
}
