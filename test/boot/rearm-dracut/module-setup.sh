#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test-only dracut module of test/boot/rearm-test: watches a systemd initrd whose boot
# fails after the report. A sampler unit counts the `memdebug-ko watch` processes all
# along; a pre-pivot hook just before the report (99) and an emergency hook print what
# they see on the console, "rearm-test: ..."; the emergency hook re-runs prepare and
# report in its second round, and powers off after rd.rearm_test.rounds rounds. With
# rearm.dumpfail, a dump step after the report fails (rearm-dumpfail.service).

# called by dracut
check() {
	# only when asked for with --add
	return 255
}

# called by dracut
depends() {
	echo systemd
	return 0
}

# called by dracut
# shellcheck disable=SC2154 # moddir, initdir and systemdsystemunitdir are set by dracut
install() {
	inst_multiple tr sleep cat timeout
	inst_simple "$moddir/rearm-lib.sh" /usr/lib/memdebug-ko-rearm/lib.sh
	inst_script "$moddir/rearm-sample.sh" /usr/lib/memdebug-ko-rearm/sample.sh
	inst_simple "$moddir/rearm-sample.service" "$systemdsystemunitdir/rearm-sample.service"
	$SYSTEMCTL -q --root "$initdir" add-wants sysinit.target rearm-sample.service
	inst_script "$moddir/rearm-dumpfail.sh" /usr/lib/memdebug-ko-rearm/dumpfail.sh
	inst_simple "$moddir/rearm-dumpfail.service" "$systemdsystemunitdir/rearm-dumpfail.service"
	$SYSTEMCTL -q --root "$initdir" add-wants initrd.target rearm-dumpfail.service
	inst_hook pre-pivot 98 "$moddir/rearm-pre-pivot.sh"
	# dracut-emergency sources "emergency" with rd.shell, else "shutdown-emergency"
	inst_hook emergency 10 "$moddir/rearm-emergency.sh"
	inst_hook shutdown-emergency 10 "$moddir/rearm-emergency.sh"
}
