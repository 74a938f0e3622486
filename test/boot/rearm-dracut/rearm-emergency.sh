#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut hook emergency and shutdown-emergency 10 of the rearm test module: one line per
# round of the emergency path on the console, with the state of memdebug-ko-prepare.service
# (did dracut's round start it again?). In the second round it runs again what an
# emergency path could: the prepare unit, the prepare hook and the report, each --once.
# After rd.rearm_test.rounds rounds (default 2) it powers off; before that the
# dracut-emergency script goes on, and with an rd.emergency that is neither reboot,
# poweroff nor halt it ends, and emergency.service's ExecStopPost takes the boot back to
# the default target, whose switch-root fails again.

# shellcheck source=test/boot/rearm-dracut/rearm-lib.sh
. /usr/lib/memdebug-ko-rearm/lib.sh

mkdir -p "$REARM_DIR"
_rearm_round=$(cat "$REARM_DIR/round" 2> /dev/null) || _rearm_round=0
_rearm_round=$((_rearm_round + 1))
echo "$_rearm_round" > "$REARM_DIR/round"
_rearm_os=present
[ -e /sysroot/etc/os-release ] || [ -e /sysroot/usr/lib/os-release ] || _rearm_os=missing
read -r _rearm_up _rearm_os_ < /proc/uptime
rearm_say "emergency round $_rearm_round (${hook-}) at uptime $_rearm_up: $(rearm_watchers) memdebug-ko watch running, reported=$(rearm_reported), sampled $(rearm_sampled); /sysroot os-release $_rearm_os; memdebug-ko-prepare.service: $(rearm_unit)"
if [ "$_rearm_round" = 2 ]; then
	# what a path that starts the unit anew would do: its condition must skip it
	timeout 60 systemctl restart memdebug-ko-prepare.service
	rearm_say "restarted memdebug-ko-prepare.service: $(rearm_unit)"
	# the prepare hook as the unit runs it, and the report, with --once (the hooks' own)
	rearm_say "running the prepare hook again"
	DRACUT_SYSTEMD=1 DEBUG_MEM_LEVEL=4 timeout 60 sh /usr/lib/memdebug-ko/prepare.sh
	rearm_say "running memdebug-ko report --kmsg --once again"
	timeout 60 /usr/bin/memdebug-ko report --kmsg --once
	rearm_say "after the reruns: $(rearm_watchers) memdebug-ko watch running, reported=$(rearm_reported)"
fi
_rearm_last=$(getarg rd.rearm_test.rounds=) || _rearm_last=2
if [ "$_rearm_round" -ge "$_rearm_last" ]; then
	rearm_say "powering off after $_rearm_round emergency rounds, sampled $(rearm_sampled)"
	# an initrd without the poweroff link (no systemd-sysv) still powers off
	poweroff -f || systemctl --force --force poweroff
fi
unset -v _rearm_round _rearm_os _rearm_os_ _rearm_up _rearm_last
