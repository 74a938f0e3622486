#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The shell code: hooks are POSIX sh that dracut sources, the rest is bash.

load helpers

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
}

@test "lint: the dracut hooks are shellcheck-clean POSIX sh" {
	run shellcheck -s sh "$REPO/dracut-module/memdebug-ko-prepare.sh" \
		"$REPO/dracut-module/memdebug-ko-report.sh"
	assert_success
}

@test "lint: module-setup.sh, the qemu harness and test scripts are shellcheck-clean" {
	# source= directives name paths from the top of the repository
	cd "$REPO"
	run shellcheck -x -s bash dracut-module/module-setup.sh qemu/demo qemu/lib.sh \
		test/boot/boot-test test/run .ci/run
	assert_success
}

@test "lint: the hooks never exit the shell that sources them" {
	run grep -nE '^[[:space:]]*exit\b|set -e' "$REPO/dracut-module/memdebug-ko-prepare.sh" \
		"$REPO/dracut-module/memdebug-ko-report.sh"
	assert_failure 1
}
