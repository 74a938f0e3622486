#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut hook pre-pivot 99: with rd.memdebug>=4, print which module ate how many pages
# while loading, to /dev/kmsg (the console, and the journal of a systemd initrd, where a
# hook's stdout never reaches the console). The JSON report is saved to
# /run/initramfs/memdebug-ko.json, which the real root finds in /run after switch-root.
# The same script is the emergency hook: when the boot fails before pre-pivot (a root
# that never came, rd.timeout), the report still comes, once.
# Options:
#   rd.memdebug_ko.keep    keep the trace instance (and its buffer) instead of freeing it
#   rd.memdebug_ko.trace   also save the text trace to /run/initramfs/memdebug-ko.trace
#   rd.memdebug_ko.follow=0  in a capture kernel, no follower of the dump step's memory
# Sourced by dracut: never exits, never fails the boot; failures become kmsg warnings.

# shellcheck source=/dev/null
type getargbool > /dev/null 2>&1 || . /lib/dracut-lib.sh

# Warn on the console and in the journal, even from a systemd initrd service.
_mdko_warn() {
	echo "<28>memdebug-ko: warning: $*" 2> /dev/null > /dev/kmsg || warn "memdebug-ko: $*"
}

# Run "memdebug-ko report" on the trace instance that the cmdline hook prepared. Its own
# errors come first; the warning here says the boot goes on without what failed.
_mdko_report() {
	# --once: an emergency round after the report (or a second run) reports nothing again
	# No --detach: a give-back beside the next hooks hung a TCG guest (README, "What
	# tracing costs"), so the buffer goes back before the hook returns.
	set -- report --kmsg --once

	if [ ! -x /usr/bin/memdebug-ko ]; then
		_mdko_warn "/usr/bin/memdebug-ko is missing, no module memory report"
		return 0
	fi
	# reported already (pre-pivot, then an emergency)
	[ ! -e /run/initramfs/memdebug-ko.json ] || return 0
	# a read-only /run: the report still goes to the console
	if mkdir -p /run/initramfs 2> /dev/null && [ -w /run/initramfs ]; then
		set -- "$@" --json-file /run/initramfs/memdebug-ko.json
		if getargbool 0 rd.memdebug_ko.trace; then
			set -- "$@" --save-trace /run/initramfs/memdebug-ko.trace
		fi
	else
		_mdko_warn "cannot create a file in /run/initramfs: the JSON report is not saved"
	fi
	if getargbool 0 rd.memdebug_ko.keep; then
		set -- "$@" --keep
	fi

	/usr/bin/memdebug-ko "$@" ||
		_mdko_warn "report failed (exit status $?): see the memdebug-ko errors before this line"
	# In a capture kernel the dump step comes after the report: a follower samples its
	# memory and puts its low point into the estimate, in the kernel log (kdump saves it
	# as kexec-dmesg.log) and the JSON (rd.memdebug_ko.follow=0: not).
	if [ -e /proc/vmcore ] && [ -f /run/initramfs/memdebug-ko.json ] &&
		getargbool 1 rd.memdebug_ko.follow; then
		/usr/bin/memdebug-ko follow --kmsg --daemon --quiet \
			--json /run/initramfs/memdebug-ko.json ||
			_mdko_warn "follow failed (exit status $?): the dump step's memory is not measured"
	fi
	return 0
}

# the level dracut-lib's setmemdebug took from rd.memdebug
case ${DEBUG_MEM_LEVEL-} in
[4-5]) _mdko_report ;;
esac
unset -f _mdko_warn _mdko_report
