# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # BINARY, VARIANT, IMAGE and WORK are for the tests
#
# The harness every boot test of test/boot/ sources, on top of qemu/lib.sh: the BINARY
# [VARIANT] arguments, the prerequisites of a boot, the work directory, the image builder
# (bt_image), one boot of the busybox root (bt_boot), one crash into a capture kernel
# (bt_kdump_boot) and the end of the run (bt_finish); a test then lists its boots and
# their checks. With it come how checks are reported (test/boot/report.sh), the checks of
# one boot's report (test/boot/checks.sh) and the ground truth of the test modules
# (test/boot/truth.sh). Source it from bash running with `set -euo pipefail`.

# shellcheck source=qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../qemu/lib.sh"
# shellcheck source=test/boot/report.sh
. "$MDKO_REPO/test/boot/report.sh"
# shellcheck source=test/boot/checks.sh
. "$MDKO_REPO/test/boot/checks.sh"
# shellcheck source=test/boot/truth.sh
. "$MDKO_REPO/test/boot/truth.sh"

BINARY=
VARIANT=
# the work directory of the run (bt_work) and the image bt_image built last
WORK=
IMAGE=

# Check the arguments BINARY [VARIANT]; set BINARY (made absolute), VARIANT and
# DEFAULT_BUFFER_KB (the binary's default ring buffer per CPU). Exits 2 on misuse.
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
	DEFAULT_BUFFER_KB=$("$BINARY" prepare --help |
		sed -n 's/.*ring buffer per CPU in KiB (default \([0-9]*\)).*/\1/p')
	if [[ ! $DEFAULT_BUFFER_KB =~ ^[0-9]+$ ]]; then
		echo "${0##*/}: $BINARY prepare --help names no default buffer size" >&2
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
	2) skip "no kernel of series $MDKO_KERNEL_SERIES (linux-image-$MDKO_KERNEL_SERIES...-amd64) is in $MDKO_CACHE/kernel and apt-get download failed" ;;
	*)
		echo "FAIL: could not prepare the root image or dracut in $MDKO_CACHE"
		exit 1
		;;
	esac
	if [[ $MDKO_DRACUT != host ]]; then
		echo "     dracut $MDKO_TRIXIE_DRACUT and systemd $MDKO_TRIXIE_SYSTEMD ($MDKO_TRIXIE_TREE)"
	fi
}

# Make the work directory of test NAME for this variant; set WORK.
bt_work() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/memdebug-ko-$1-$VARIANT.XXXXXX")
}

# Build initramfs $WORK/NAME.img, once, and set IMAGE to it: BUILDER (mdko_initramfs,
# mdko_kdump_initramfs, mdko_mkinitramfs or a test's own function of their form) gets the
# image, its first argument after BUILDER (flavour or mode), BINARY and the rest. A build
# that fails is a failed check, and returns 1; with --skip ERE REASON first, one whose log
# matches ERE is skipped for REASON instead.
bt_image() {
	local _skip='' _why='' _name _builder _tool=dracut _t0=$SECONDS

	if [[ $1 == --skip ]]; then
		_skip=$2 _why=$3
		shift 3
	fi
	_name=$1 _builder=$2
	shift 2
	IMAGE=$WORK/$_name.img
	[[ -f $IMAGE ]] && return 0
	[[ $_builder == mdko_mkinitramfs ]] && _tool=mkinitramfs
	# dracut 112 goes on after a module's fatal error ("dracut[F]: Failed to install
	# switch_root"): the image would not boot
	if ! "$_builder" "$IMAGE" "$1" "$BINARY" "${@:2}" ||
		grep -q '^dracut\[F\]' "$IMAGE.log" 2> /dev/null; then
		if [[ $_skip ]] && grep -qE -- "$_skip" "$IMAGE.log" 2> /dev/null; then
			echo "skip [$BOOT] $_why (see $IMAGE.log)"
		else
			fail "$_tool builds the $_name initramfs" "$_tool failed, see $IMAGE.log" \
				"an initramfs with memdebug-ko"
		fi
		rm -f "$IMAGE"
		return 1
	fi
	_t0=$((SECONDS - _t0))
	note "initramfs $_name.img of $(du -m "$IMAGE" | cut -f1) MB built in $_t0 s"
}

# Boot IMAGE with MEM of RAM in $WORK/NAME, on a fresh copy of the busybox root, kernel
# command line options after the first three arguments, and fetch what the guest saved
# on its root file system. mdko_boot boots again a kernel that QEMU killed.
bt_boot() {
	local _name=$1 _image=$2 _mem=$3 _dir=$WORK/$1 _t0 _f
	shift 3

	mkdir -p "$_dir"
	_t0=$SECONDS
	MDKO_ROOT_FROM=$MDKO_ROOTFS MDKO_MEM=$_mem mdko_boot "$_image" "$_dir/root.img" \
		"$_dir/serial.log" "$@" || :
	note "guest ($_mem) ran for $((SECONDS - _t0)) s"
	for _f in modules instances memdebug-ko.json memdebug-ko.trace; do
		mdko_rootfs_get "$_dir/root.img" "/memdebug-ko/$_f" "$_dir/$_f" || :
	done
}

# Crash into a capture kernel in $WORK/NAME: the primary kernel boots INITRD and a kdump
# root image (mdko_kdump_rootfs) that holds capture initramfs CAPTURE and the capture
# kernel's command line, MDKO_KDUMP_CAPTURE_CMDLINE with the options after the first
# three arguments. The whole console goes to serial.log there, split into primary.log
# and capture.log (empty when no capture kernel booted). A root image that cannot be
# made is a failed check, and returns 1.
bt_kdump_boot() {
	local _dir=$WORK/$1 _initrd=$2 _capture=$3 _t0=$SECONDS
	shift 3

	mkdir -p "$_dir"
	if ! mdko_kdump_rootfs "$_dir/root.img" "$_capture" \
		"$MDKO_KDUMP_CAPTURE_CMDLINE${*:+ $*}"; then
		fail "the kdump root image is made" "see the messages above" \
			"a root image with kexec, the kernel and the capture initramfs"
		return 1
	fi
	mdko_kdump_boot "$_initrd" "$_dir/root.img" "$_dir/serial.log" || :
	mdko_kdump_split "$_dir/serial.log" "$_dir/primary.log" "$_dir/capture.log" ||
		: >> "$_dir/capture.log"
	note "the primary and the capture kernel ran for $((SECONDS - _t0)) s"
}

# After the boots in work directory WORK: print PASS with SUMMARY, or FAIL with the count
# of failed checks; remove WORK after a pass unless V=1. Returns 0 or 1.
bt_finish() {
	local _work=$1 _rc=0

	if ((FAILURES > 0)); then
		echo "FAIL: $FAILURES checks failed; logs in $_work"
		failed_checks
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
