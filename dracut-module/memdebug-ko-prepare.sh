#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# With rd.memdebug>=4, start tracing module loads before udev loads any module: dracut
# hook cmdline 00 in a shell initrd, memdebug-ko-prepare.service in a systemd initrd.
# Options:
#   rd.memdebug_ko.buffer_kb=N   trace buffer per CPU, in KiB
#   rd.memdebug_ko.loaders=a,b   process names that load modules
# Sourced by dracut or run by the unit: never exits non-zero, never fails the boot;
# failures become kmsg warnings.

# shellcheck source=/dev/null
type getargnum > /dev/null 2>&1 || . /lib/dracut-lib.sh

# Warn on the console and in the journal, even from a systemd initrd service.
_mdko_warn() {
	echo "<28>memdebug-ko: warning: $*" 2> /dev/null > /dev/kmsg || warn "memdebug-ko: $*"
}

# Warn when rd.memdebug does not say what it seems to: no /proc/cmdline to read it from,
# a value dracut ignores (it takes a number from 0 to 5), or values that differ, of which
# only the last counts. $_mdko_level is the level dracut uses.
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

# Run "memdebug-ko prepare" with the options from the kernel command line; it finds or
# mounts tracefs itself. Options it refuses are left out rather than losing the trace.
_mdko_prepare() {
	set -- prepare --kmsg

	_mdko_arg=$(getarg rd.memdebug_ko.buffer_kb=) || _mdko_arg=
	case $_mdko_arg in
	"") ;;
	*[!0-9]* | ????????*) _mdko_warn "ignoring rd.memdebug_ko.buffer_kb=$_mdko_arg: not a number of KiB from 1 to 4194304" ;;
	*)
		if [ "$_mdko_arg" -ge 1 ] && [ "$_mdko_arg" -le 4194304 ]; then
			set -- "$@" --buffer-kb "$_mdko_arg"
		else
			_mdko_warn "ignoring rd.memdebug_ko.buffer_kb=$_mdko_arg: not a number of KiB from 1 to 4194304"
		fi
		;;
	esac

	_mdko_arg=$(getarg rd.memdebug_ko.loaders=) || _mdko_arg=
	case $_mdko_arg in
	"") ;;
	*[!A-Za-z0-9_.,:\(\)-]*) _mdko_warn "ignoring rd.memdebug_ko.loaders=$_mdko_arg: not a list of names" ;;
	*) set -- "$@" --loader "$_mdko_arg" ;;
	esac

	if [ ! -x /usr/bin/memdebug-ko ]; then
		_mdko_warn "/usr/bin/memdebug-ko is missing, no module memory report"
		return 0
	fi
	/usr/bin/memdebug-ko "$@" && return 0
	_mdko_rc=$?
	# exit status 2: a usage error, an option value the binary refused
	if [ "$_mdko_rc" = 2 ] && [ $# -gt 2 ]; then
		_mdko_warn "prepare refused the rd.memdebug_ko options (exit status 2): tracing with the defaults"
		/usr/bin/memdebug-ko prepare --kmsg && return 0
		_mdko_rc=$?
	fi
	_mdko_warn "prepare failed (exit status $_mdko_rc), no module memory report"
	return 0
}

_mdko_level=$(getargnum 0 0 5 rd.memdebug)
# dash's getargnum prints nothing for rd.memdebug=08 (not an octal number)
case $_mdko_level in
[0-5]) ;;
*) _mdko_level=0 ;;
esac
_mdko_check_level
if [ "$_mdko_level" -ge 4 ]; then
	_mdko_prepare
fi
unset -f _mdko_warn _mdko_check_level _mdko_prepare
unset -v _mdko_level _mdko_off _mdko_arg _mdko_all _mdko_v _mdko_rc
