#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The shell code (hooks are POSIX sh that dracut sources, the rest is bash) and the C layout.

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

@test "lint: the initramfs-tools hook, boot scripts and kdump-tools step are POSIX sh" {
	cd "$REPO"
	run shellcheck -x -s sh initramfs-tools/hooks/memdebug-ko initramfs-tools/scripts/memdebug-ko \
		initramfs-tools/scripts/init-top/memdebug-ko \
		initramfs-tools/scripts/init-bottom/memdebug-ko \
		initramfs-tools/scripts/panic/memdebug-ko initramfs-tools/kdump-tools/kdump-tools-save
	assert_success
}

@test "lint: the initramfs-tools code they source never exits the boot script" {
	run grep -nE '^[[:space:]]*exit\b|set -e' "$REPO/initramfs-tools/scripts/memdebug-ko"
	assert_failure 1
}

@test "lint: the kdump test's dump step is shellcheck-clean POSIX sh" {
	run shellcheck -s sh "$REPO/qemu/kdump-dracut/kdump-capture.sh"
	assert_success
}

# Every bash script of the repository: module-setup.sh, sourced libraries (*.sh outside
# dracut-module/, whose hooks are POSIX sh) and the files whose first line names bash
# (the qemu harness, test and bench scripts, .ci/run).
bash_scripts() {
	local f
	{ git -C "$REPO" ls-files 2>/dev/null || (cd "$REPO" && find . -path ./.cache -prune -o \
		-path './build*' -prune -o -type f -print | sed 's|^\./||'); } |
		while read -r f; do
			[[ $f == *.bats ]] && continue
			if [[ $f == dracut-module/module-setup.sh ]] ||
				[[ $f == *.sh && $f != dracut-module/* ]] ||
				head -n 1 "$REPO/$f" 2>/dev/null | grep -q '^#!.*bash'; then
				echo "$f"
			fi
		done
}

@test "lint: module-setup.sh, the qemu harness, test and bench scripts are shellcheck-clean" {
	local scripts
	mapfile -t scripts < <(bash_scripts)
	# the list must at least hold the harness, the boot test and the CI entry
	[[ " ${scripts[*]} " == *" qemu/lib.sh "*" test/boot/boot-test "* ]] ||
		fail "bash scripts found: ${scripts[*]}"
	[[ " ${scripts[*]} " == *" .ci/run "* ]] || fail "bash scripts found: ${scripts[*]}"
	# source= directives name paths from the top of the repository
	cd "$REPO"
	run shellcheck -x -s bash "${scripts[@]}"
	assert_success
}

@test "lint: the hooks never exit the shell that sources them" {
	run grep -nE '^[[:space:]]*exit\b|set -e' "$REPO/dracut-module/memdebug-ko-prepare.sh" \
		"$REPO/dracut-module/memdebug-ko-report.sh" "$REPO/qemu/kdump-dracut/kdump-capture.sh"
	assert_failure 1
}

@test "lint: the C code is as clang-format lays it out with the checked-in .clang-format" {
	command -v clang-format >/dev/null || skip "clang-format is not installed"
	local files
	cd "$REPO"
	mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src test -name '*.[ch]')
	[[ ${#files[@]} -gt 40 ]] || fail "C files found: ${files[*]}"
	run clang-format --dry-run --Werror "${files[@]}"
	assert_success
}
