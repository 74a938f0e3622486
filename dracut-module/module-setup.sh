#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# memdebug-ko: which kernel module ate memory while the initramfs loaded it.
# Opt-in: dracut --add memdebug-ko; the report runs only with rd.memdebug=4 or 5.
# MEMDEBUG_KO_BINARY selects the binary to install: a path, or a name looked up in PATH
# (default: memdebug-ko). dracut sets PATH from DRACUT_PATH, which leaves out /usr/local,
# meson's default prefix: look there too.

# Print the absolute path of the memdebug-ko binary to install.
memdebug_ko_binary() {
	local _bin=${MEMDEBUG_KO_BINARY:-memdebug-ko}

	case $_bin in
	/*) ;;
	*/*) _bin=$PWD/$_bin ;;
	*) _bin=$(PATH="$PATH:/usr/local/sbin:/usr/local/bin" command -v "$_bin") || return 1 ;;
	esac
	printf '%s\n' "$_bin"
}

# called by dracut
check() {
	local _bin

	_bin=$(memdebug_ko_binary) || _bin=${MEMDEBUG_KO_BINARY:-memdebug-ko}
	require_binaries "$_bin" || return 1
	# a debugging aid: only when asked for with --add memdebug-ko
	return 255
}

# called by dracut
depends() {
	return 0
}

# called by dracut
install() {
	local _bin

	_bin=$(memdebug_ko_binary) || return 1
	inst "$_bin" /usr/bin/memdebug-ko
	inst_multiple mkdir
	# shellcheck disable=SC2154 # moddir, initdir and systemdsystemunitdir are set by dracut
	if dracut_module_included "systemd"; then
		# prepare must run before systemd-modules-load and udevd: a unit, not a hook
		inst_script "$moddir/memdebug-ko-prepare.sh" /usr/lib/memdebug-ko/prepare.sh
		inst_simple "$moddir/memdebug-ko-prepare.service" \
			"$systemdsystemunitdir/memdebug-ko-prepare.service"
		$SYSTEMCTL -q --root "$initdir" add-wants sysinit.target memdebug-ko-prepare.service
	else
		inst_hook cmdline 00 "$moddir/memdebug-ko-prepare.sh"
	fi
	inst_hook pre-pivot 99 "$moddir/memdebug-ko-report.sh"
	# a boot that fails before pre-pivot still reports: dracut runs the emergency hooks
	# with rd.shell, the shutdown-emergency ones without it (dracut-emergency.sh); the
	# report runs once either way (--once)
	inst_hook emergency 50 "$moddir/memdebug-ko-report.sh"
	inst_hook shutdown-emergency 50 "$moddir/memdebug-ko-report.sh"
}
