#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A fast subset: the binary runs, answers --help and --version, and reports a real trace.

load helpers

@test "smoke: --version names the version and the backend" {
	run -0 "$MDKO" --version
	assert_output --regexp '^memdebug-ko [0-9]+\.[0-9]+\.[0-9]+ \((libtracefs|builtin) backend\)$'
}

@test "smoke: --help lists the commands from the command table" {
	run -0 "$MDKO" --help
	assert_line --regexp '^  prepare '
	assert_line --regexp '^  report '
}

@test "smoke: the binary is statically linked" {
	command -v file >/dev/null || skip "no file(1) on this machine"
	run -0 file -L "$MDKO_ELF"
	assert_output --regexp 'statically linked|static-pie linked'
}

@test "smoke: report replays the QEMU boot trace" {
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace"
	assert_line --regexp '^virtio_blk +[1-9][0-9]* '
	assert_line --regexp '^total +[1-9][0-9]* '
}
