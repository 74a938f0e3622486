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
	echo "<28>memdebug-ko: $*" 2> /dev/null > /dev/kmsg || warn "memdebug-ko: $*"
}

# Run "memdebug-ko prepare" with the options from the kernel command line; it finds or
# mounts tracefs itself.
_mdko_prepare() {
	set -- prepare --kmsg

	_mdko_arg=$(getarg rd.memdebug_ko.buffer_kb=) || _mdko_arg=
	case $_mdko_arg in
	"") ;;
	*[!0-9]*) _mdko_warn "ignoring rd.memdebug_ko.buffer_kb=$_mdko_arg: not a number" ;;
	*) set -- "$@" --buffer-kb "$_mdko_arg" ;;
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
	/usr/bin/memdebug-ko "$@" || _mdko_warn "prepare failed (exit status $?), no module memory report"
	return 0
}

if [ "$(getargnum 0 0 5 rd.memdebug)" -ge 4 ]; then
	_mdko_prepare
fi
unset -f _mdko_warn _mdko_prepare
unset -v _mdko_arg
