#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the hooks and the sampler of the rearm test module (test/boot/rearm-test).

REARM_DIR=/run/memdebug-ko-rearm

# Print a line on the console (and in the journal): "rearm-test: ...".
rearm_say() {
	echo "<28>rearm-test: $*" > /dev/kmsg 2> /dev/null || echo "rearm-test: $*"
}

# Print the number of running `memdebug-ko watch` processes: of the processes whose comm
# (read by the shell itself, no fork per process) is memdebug-ko, those whose second
# argument is watch.
rearm_watchers() {
	_rearm_n=0
	for _rearm_p in /proc/[0-9]*; do
		_rearm_c=
		{ read -r _rearm_c < "$_rearm_p/comm"; } 2> /dev/null || continue
		[ "$_rearm_c" = memdebug-ko ] || continue
		_rearm_c=$(tr '\0' ' ' 2> /dev/null < "$_rearm_p/cmdline") || continue
		case $_rearm_c in
		*memdebug-ko\ watch\ *) _rearm_n=$((_rearm_n + 1)) ;;
		esac
	done
	echo "$_rearm_n"
}

# Print whether this boot's report has run: "yes" or "no".
rearm_reported() {
	if [ -e /run/memdebug-ko/reported ]; then echo yes; else echo no; fi
}

# Print the state of memdebug-ko-prepare.service on one line.
rearm_unit() {
	systemctl show -p ActiveState -p ConditionResult -p ConditionTimestampMonotonic \
		-p ExecMainStartTimestampMonotonic memdebug-ko-prepare.service 2> /dev/null | tr '\n' ' '
}

# Print what the sampler saw so far: "max M over S samples".
rearm_sampled() {
	_rearm_m=0 _rearm_s=0
	[ ! -f "$REARM_DIR/sampled" ] || read -r _rearm_m _rearm_s < "$REARM_DIR/sampled"
	echo "max $_rearm_m over $_rearm_s samples"
}
