#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The sampler of the rearm test module: counts the `memdebug-ko watch` processes every
# half second from sysinit on, says so on the console when the count or the report's
# state changes, and keeps "max samples" in $REARM_DIR/sampled. Once the emergency path
# has run, it powers off if no further round comes within 90 s.

# shellcheck source=test/boot/rearm-dracut/rearm-lib.sh
. /usr/lib/memdebug-ko-rearm/lib.sh

mkdir -p "$REARM_DIR"
max=0 samples=0 last='' round=0 still=0
while :; do
	n=$(rearm_watchers)
	r=$(rearm_reported)
	samples=$((samples + 1))
	[ "$n" -le "$max" ] || max=$n
	echo "$max $samples" > "$REARM_DIR/sampled"
	if [ "$n $r" != "$last" ]; then
		rearm_say "sample $samples: $n memdebug-ko watch running, reported=$r"
		last="$n $r"
	fi
	now=$(cat "$REARM_DIR/round" 2> /dev/null) || now=0
	if [ "$now" != "$round" ]; then
		round=$now still=0
	elif [ "$round" -gt 0 ]; then
		still=$((still + 1))
		if [ "$still" -ge 180 ]; then
			rearm_say "no emergency round after round $round in 90 s ($(rearm_sampled)): powering off"
			# an initrd without the poweroff link (no systemd-sysv) still powers off
			poweroff -f || systemctl --force --force poweroff
		fi
	fi
	sleep 0.5
done
