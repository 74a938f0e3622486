# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # BINARY, VARIANT and GT_* are for the scripts that source this
#
# Shared by the boot tests of test/boot/, on top of qemu/lib.sh: how a check is reported
# ("ok   [BOOT] ..." or "FAIL [BOOT] ..." with actual and expected), the BINARY [VARIANT]
# arguments, the prerequisites of a boot, the ground-truth modules, reading the console
# report, and the end of the run.
# Source it from bash running with `set -euo pipefail`.

# shellcheck source=qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../qemu/lib.sh"

FAILURES=0
BOOT=
GT_NAMES=
GT_EXPECTED=

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

# Print the lines of $1 on one line.
words() {
	tr '\n' ' ' <<< "$1"
}

# Print the report the guest wrote to its console (serial log $1), without the kernel
# timestamps and the "memdebug-ko: " prefix.
console_report() {
	mdko_console_report "$1" | sed 's/^memdebug-ko: //'
}

# Print the first two columns, "name pages", of each module row of console report $1: the
# rows between the column header (the last line starting with "module" before the
# total) and the first line starting with "total".
console_rows() {
	awk '
		{ line[NR] = $0 }
		/^total/ && !total { total = NR }
		END {
			for (i = total - 1; i > 0 && line[i] !~ /^module/; i--)
				;
			for (j = i + 1; i > 0 && j < total; j++)
				if (split(line[j], f) >= 2)
					print f[1], f[2]
		}
	' "$1"
}

# Build the test modules for the kernel (once per source change) and add them to the
# cached kernel's modules as extra/memdebug-ko-test; set GT_NAMES and GT_EXPECTED.
# Returns 77 when they cannot be built here (no headers), 1 on failure.
gt_setup() {
	local _out="$MDKO_CACHE/test-modules/$MDKO_KVER" _extra="$MDKO_KMODDIR/extra/memdebug-ko-test"
	local _stamp _rc=0

	_stamp=$(find "$MDKO_REPO/test/modules" -type f -print0 | sort -z | xargs -0 cat |
		sha256sum | cut -d' ' -f1)
	mdko_lock || return 1
	if [[ $(cat "$_extra/stamp" 2> /dev/null) != "$_stamp" ]]; then
		rm -rf "$_out" "$_extra"
		mkdir -p "$_out"
		"$MDKO_REPO/test/modules/build" "$MDKO_KVER" "$_out" > "$_out.log" 2>&1 || _rc=$?
		if ((_rc == 0)); then
			mkdir -p "$_extra" && cp "$_out"/*.ko "$_out/expected" "$_extra/" &&
				depmod -b "${MDKO_KMODDIR%/lib/modules/*}" "$MDKO_KVER" &&
				echo "$_stamp" > "$_extra/stamp" || _rc=1
		fi
	fi
	mdko_unlock
	if ((_rc != 0)); then
		tail -n 20 "$_out.log" 2> /dev/null | sed 's/^/     | /'
		return "$_rc"
	fi
	GT_EXPECTED="$_extra/expected"
	GT_NAMES=$(cut -d' ' -f1 "$GT_EXPECTED" | paste -sd,)
}
