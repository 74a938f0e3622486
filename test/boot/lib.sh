# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # BINARY and VARIANT are for the scripts that source this
#
# Shared by test/boot/boot-test and test/boot/fault-test, on top of qemu/lib.sh: how a
# check is reported ("ok   [BOOT] ..." or "FAIL [BOOT] ..." with actual and expected),
# the BINARY [VARIANT] arguments, the prerequisites of a boot, and the end of the run.
# Source it from bash running with `set -euo pipefail`.

# shellcheck source=qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../qemu/lib.sh"

FAILURES=0
BOOT=

skip() {
	echo "SKIP: $*"
	exit 77
}

ok() {
	echo "ok   [$BOOT] $*"
}

note() {
	echo "     [$BOOT] $*"
}

# Record a failed check with what was found and what was expected.
fail() {
	echo "FAIL [$BOOT] $1"
	echo "     actual:   ${2:-<nothing>}"
	echo "     expected: $3"
	FAILURES=$((FAILURES + 1))
}

# Check the arguments BINARY [VARIANT]; set BINARY (made absolute) and VARIANT. Exits 2
# on misuse.
bt_args() {
	if [[ -z ${1-} || $# -gt 2 ]]; then
		echo "usage: ${0##*/} BINARY [VARIANT]" >&2
		exit 2
	fi
	BINARY=$1
	VARIANT=${2:-default}
	[[ $BINARY == /* ]] || BINARY=$PWD/$BINARY
	if [[ ! -x $BINARY ]]; then
		echo "${0##*/}: $BINARY is not an executable" >&2
		exit 2
	fi
}

# Skip (77) unless this machine can build and boot an initramfs; the arguments name
# further commands the caller needs. Then prepare the kernel, root image and dracut base
# (mdko_prepare): exits 77 without a kernel, 1 when the rest fails.
bt_prerequisites() {
	local _cmd

	[[ $(id -u) == 0 ]] || skip "dracut must run as root to make the initramfs"
	for _cmd in qemu-system-x86_64 dracut mke2fs debugfs lz4 cpio depmod flock timeout "$@"; do
		command -v "$_cmd" > /dev/null || skip "$_cmd is not installed"
	done
	file -L /bin/busybox 2> /dev/null | grep -q 'statically linked' ||
		skip "no static /bin/busybox for the root file system (busybox-static)"
	mdko_prepare || case $? in
	2) skip "no kernel: linux-image-6.1.0-N-amd64-unsigned is not in $MDKO_CACHE/kernel and apt-get download failed" ;;
	*)
		echo "FAIL: could not prepare the root image or dracut in $MDKO_CACHE"
		exit 1
		;;
	esac
}

# After the boots in work directory WORK: print PASS with SUMMARY, or FAIL with the count
# of failed checks; remove WORK after a pass unless V=1. Returns 0 or 1.
bt_finish() {
	local _work=$1 _rc=0

	if ((FAILURES > 0)); then
		echo "FAIL: $FAILURES checks failed; logs in $_work"
		_rc=1
	else
		echo "PASS: $2"
	fi
	if ((_rc == 0)) && [[ ${V-} != 1 ]]; then
		rm -rf "$_work"
	else
		echo "     logs in $_work"
	fi
	return "$_rc"
}
