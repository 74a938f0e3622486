#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# memdebug-ko-kdump: the dump step of the capture initramfs that test/boot/kdump-test
# boots, modelled on Fedora's 99kdumpbase. In a systemd initrd kdump-capture.service runs
# after dracut-pre-pivot.service (whose pre-pivot hook 99 is memdebug-ko's report); in a
# shell initrd the same script is pre-pivot hook 9999, after 99-memdebug-ko-report.sh.
# It saves /proc/vmcore with makedumpfile into /var/crash/ on the root disk, with the
# capture kernel's log and memdebug-ko's JSON report, and reboots. Test use only: qemu/lib.sh
# links it into its private dracut base as 99memdebug-ko-kdump.

# called by dracut
check() {
	require_binaries makedumpfile || return 1
	# only when asked for with --add memdebug-ko-kdump
	return 255
}

# called by dracut
depends() {
	echo memdebug-ko
	return 0
}

# called by dracut
# shellcheck disable=SC2154 # moddir, initdir and systemdsystemunitdir are set by dracut
install() {
	inst_multiple makedumpfile mkdir cp mv cat dmesg sync wc tail tr grep
	inst_multiple -o date reboot
	inst_script "$moddir/kdump-capture.sh" /usr/lib/memdebug-ko-kdump/capture.sh
	if dracut_module_included "systemd"; then
		inst_simple "$moddir/kdump-capture.service" \
			"$systemdsystemunitdir/kdump-capture.service"
		$SYSTEMCTL -q --root "$initdir" add-wants initrd.target kdump-capture.service
	else
		inst_hook pre-pivot 9999 "$moddir/kdump-capture.sh"
	fi
}
