#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# memdebug-ko kdump test: in a capture kernel (there is a /proc/vmcore), save the vmcore
# as Fedora's kdump does: makedumpfile -l -d 31 into /var/crash/127.0.0.1-DATE/ on the
# root mounted at $NEWROOT, then the capture kernel's log as kexec-dmesg.log and
# memdebug-ko's /run/initramfs/memdebug-ko.json beside it (for the test also its .trace,
# /proc/modules and the tracefs instances left, "name buffer_size_kb", the top-level
# buffer as "(top-level)"), and reboot. Every step says on /dev/kmsg what it did, so the
# console shows the order.
# dracut pre-pivot hook 9999 in a shell initrd (sourced: never exits), run by
# kdump-capture.service in a systemd initrd. Outside a capture kernel it does nothing.

# Say $2 with kmsg level $1 (6 info, 3 error) on the console.
_mdko_kdump_say() {
	echo "<$1>memdebug-ko-kdump: $2" 2> /dev/null > /dev/kmsg || echo "memdebug-ko-kdump: $2"
}

# Save the dump; return non-zero after saying why it could not.
_mdko_kdump_save() {
	_mdko_root=${NEWROOT:-/sysroot}
	_mdko_date=$(date +%Y-%m-%d-%H:%M:%S 2> /dev/null) || _mdko_date=capture
	_mdko_dir=$_mdko_root/var/crash/127.0.0.1-$_mdko_date

	# MemFree here, after memdebug-ko freed its instance, is what the dump has to work with;
	# free pages waiting in the per-CPU lists are not in MemFree (zoneinfo "count:")
	_mdko_pcp=0
	while read -r _mdko_f _mdko_n _; do
		[ "$_mdko_f" = count: ] && _mdko_pcp=$((_mdko_pcp + _mdko_n))
	done < /proc/zoneinfo
	_mdko_kdump_say 6 "capture kernel: /proc/vmcore exists, $(grep '^MemFree:' /proc/meminfo | tr -s ' '), per-CPU lists: $((_mdko_pcp * 4)) kB, memdebug-ko.json $([ -f /run/initramfs/memdebug-ko.json ] && echo is || echo is not) saved"
	# the root must be writable: rw on the command line, or remount it
	if ! mkdir -p "$_mdko_dir" 2> /dev/null; then
		mount -o remount,rw "$_mdko_root" 2> /dev/null
		if ! mkdir -p "$_mdko_dir"; then
			_mdko_kdump_say 3 "error: cannot create $_mdko_dir (is the root mounted on $_mdko_root?)"
			return 1
		fi
	fi
	_mdko_kdump_say 6 "saving vmcore to ${_mdko_dir#"$_mdko_root"}"
	if ! makedumpfile -l -d 31 /proc/vmcore "$_mdko_dir/vmcore-incomplete" \
		> "$_mdko_dir/makedumpfile.log" 2>&1; then
		_mdko_kdump_say 3 "error: makedumpfile failed: $(tail -n 3 "$_mdko_dir/makedumpfile.log" | tr '\n' ' ')"
		return 1
	fi
	mv "$_mdko_dir/vmcore-incomplete" "$_mdko_dir/vmcore" || return 1
	_mdko_kdump_say 6 "saved vmcore, $(wc -c < "$_mdko_dir/vmcore") bytes"
	for _mdko_f in memdebug-ko.json memdebug-ko.trace; do
		if [ -f "/run/initramfs/$_mdko_f" ]; then
			cp "/run/initramfs/$_mdko_f" "$_mdko_dir/$_mdko_f" &&
				_mdko_kdump_say 6 "saved $_mdko_f"
		fi
	done
	# what the test's root init saves too: the modules, the trace instances left
	cat /proc/modules > "$_mdko_dir/modules"
	for _mdko_f in /sys/kernel/tracing/instances/*; do
		[ -d "$_mdko_f" ] && echo "${_mdko_f##*/} $(cat "$_mdko_f/buffer_size_kb")"
	done > "$_mdko_dir/instances"
	echo "(top-level) $(cat /sys/kernel/tracing/buffer_size_kb)" >> "$_mdko_dir/instances"
	_mdko_kdump_say 6 "saving kexec-dmesg.log"
	dmesg > "$_mdko_dir/kexec-dmesg.log"
	sync
	return 0
}

if [ -e /proc/vmcore ]; then
	if _mdko_kdump_save; then
		_mdko_kdump_say 6 "dump saved, rebooting"
	else
		_mdko_kdump_say 3 "error: the dump was not saved, rebooting"
	fi
	sync
	# -f: no init system to ask; sysrq b if there is no reboot command
	reboot -f || echo b > /proc/sysrq-trigger
fi
unset -f _mdko_kdump_say _mdko_kdump_save
unset -v _mdko_root _mdko_date _mdko_dir _mdko_f _mdko_n _mdko_pcp
