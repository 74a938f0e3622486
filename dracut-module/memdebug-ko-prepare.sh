#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# With rd.memdebug>=4, start tracing module loads before udev loads any module, and the
# watcher that streams what must outlive an out-of-memory death: dracut hook cmdline 00
# in a shell initrd, memdebug-ko-prepare.service in a systemd initrd. rd.memdebug=5 also
# records the kernel stacks of the page allocations, for the call sites.
# Options, passed on to the binary as they are:
#   rd.memdebug_ko.buffer_kb=N   trace buffer per CPU, in KiB
#   rd.memdebug_ko.loaders=a,b   process names that load modules
#   rd.memdebug_ko.instance      trace in an instance, not the idle top-level buffer
#   rd.memdebug_ko.trace         the watcher saves the text trace it reads
# Sourced by dracut or run by the unit: never exits non-zero, never fails the boot;
# failures become kmsg warnings.

# shellcheck source=/dev/null
type getarg > /dev/null 2>&1 || . /lib/dracut-lib.sh

# Warn on the console and in the journal, even from a systemd initrd service.
_mdko_warn() {
	echo "<28>memdebug-ko: warning: $*" 2> /dev/null > /dev/kmsg || warn "memdebug-ko: $*"
}

# Warn when rd.memdebug does not say what it seems to: no /proc/cmdline to read it from,
# a value dracut ignores (it takes a number from 0 to 5), or values that differ, of which
# only the last counts. $_mdko_level is the level dracut took (DEBUG_MEM_LEVEL).
_mdko_check_level() {
	_mdko_off=
	[ "$_mdko_level" -ge 4 ] || _mdko_off=", no module memory report"
	if [ ! -r /proc/cmdline ]; then
		_mdko_warn "cannot read /proc/cmdline (is /proc mounted?): rd.memdebug is unknown$_mdko_off"
	fi
	_mdko_arg=$(getarg rd.memdebug=) || return 0
	case $_mdko_level:$_mdko_arg in
	0:*[!0]*) _mdko_warn "ignoring rd.memdebug=$_mdko_arg: dracut takes a number from 0 to 5 (4 or 5 for memdebug-ko)$_mdko_off" ;;
	esac
	_mdko_all=
	# one word per value (a bare rd.memdebug gives its name), the last one last
	# shellcheck disable=SC2046
	set -- $(getargs rd.memdebug=)
	for _mdko_v in "$@"; do
		[ "$_mdko_v" = "$_mdko_arg" ] || [ "$_mdko_v$_mdko_arg" = rd.memdebug ] || _mdko_all=1
	done
	if [ -n "$_mdko_all" ]; then
		_mdko_warn "rd.memdebug is given $# times ($*): only the last, rd.memdebug${_mdko_arg:+=$_mdko_arg}, counts$_mdko_off"
	fi
	return 0
}

# Run "memdebug-ko prepare" with the options from the kernel command line, as they are:
# the binary checks them, and with --kmsg warns about a bad one and uses its default. It
# finds or mounts tracefs itself.
_mdko_prepare() {
	# --once: after this boot's report (an emergency round, the unit started again)
	# nothing claims a buffer or starts a watcher
	set -- prepare --kmsg --once
	_mdko_arg=$(getarg rd.memdebug_ko.buffer_kb=) && set -- "$@" --buffer-kb "$_mdko_arg"
	_mdko_arg=$(getarg rd.memdebug_ko.loaders=) && set -- "$@" --loader "$_mdko_arg"
	getargbool 0 rd.memdebug_ko.instance && set -- "$@" --instance
	getargbool 1 rd.memdebug_ko.late || set -- "$@" --no-late
	# rd.memdebug=5, "with top memory stacktrace": the call sites
	[ "$_mdko_level" -ge 5 ] && set -- "$@" --stacks

	if [ ! -x /usr/bin/memdebug-ko ]; then
		_mdko_warn "/usr/bin/memdebug-ko is missing, no module memory report"
		return 0
	fi
	/usr/bin/memdebug-ko "$@" || {
		_mdko_warn "prepare failed (exit status $?): nothing is traced at this boot"
		return 0
	}

	# The watcher streams to the console what must outlive an out-of-memory death.
	set -- watch --kmsg --daemon --once
	if getargbool 0 rd.memdebug_ko.trace && mkdir -p /run/initramfs 2> /dev/null; then
		set -- "$@" --save-trace /run/initramfs/memdebug-ko.trace
	fi
	/usr/bin/memdebug-ko "$@" ||
		_mdko_warn "watch failed (exit status $?): nothing is streamed, the report comes at pre-pivot"
	return 0
}

# dracut-lib's setmemdebug took rd.memdebug as a number from 0 to 5; dash's getargnum
# gives nothing for rd.memdebug=08 (not an octal number).
case ${DEBUG_MEM_LEVEL-} in
[0-5]) _mdko_level=$DEBUG_MEM_LEVEL ;;
*) _mdko_level=0 ;;
esac
_mdko_check_level
if [ "$_mdko_level" -ge 4 ]; then
	_mdko_prepare
fi
unset -f _mdko_warn _mdko_check_level _mdko_prepare
unset -v _mdko_level _mdko_off _mdko_arg _mdko_all _mdko_v
