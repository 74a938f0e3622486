# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The ground truth of the boot tests, sourced by test/boot/lib.sh: the test modules of
# test/modules/ built for the kernel and added to its modules, the option that loads them
# at boot, and the check that each loaded once and that the report shows what its source
# says it allocated and freed, counted in the saved trace apart from memdebug-ko by
# test/boot/oracle.awk.

GT_NAMES=
GT_EXPECTED=
# set by a boot test whose initrd runs the hook that makes mdko_gt_late, mdko_gt_open and
# mdko_gt_fw take their late pages (a device added, an interface brought up, a firmware
# file read); the late pages of "hook:N" in the expected figures are N then, and none
# without it
GT_HOOK=
# The shell lines of that hook that make mdko_gt_fw request its firmware: the file goes
# into the initramfs's /run/mdko-firmware first, and the kernel's firmware loader looks
# there before /lib/firmware (firmware_class.path): systemd 257 runs dracut's pre-pivot
# hooks with /usr read-only ("mkdir: cannot create directory '/lib/firmware': Read-only
# file system" on 7.3 with dracut-ng 106).
# shellcheck disable=SC2016,SC2034 # the hook's own variable; boot-test and itools-test use it
GT_FIRMWARE_HOOK='p=/sys/module/mdko_gt_fw/parameters/request
[ -w $p ] && mkdir -p /run/mdko-firmware && echo mdko > /run/mdko-firmware/mdko_gt_fw.bin &&
	printf /run/mdko-firmware > /sys/module/firmware_class/parameters/path && echo 1 > $p'
# Why this boot's kernel records stacks without their top frames (arch-test: s390x),
# empty when it records them whole: the late pages of code that a stack leaves out are
# in no trace, so the report is checked against what the stacks show, not the source.
GT_STACKS_CUT=
# the warning of a boot whose kernel lost one of the bulk allocator's kprobe events
# (check_console_report): the source's figures of vmalloc's pages cannot be checked then
GT_BULK_LOST=

# Build the test modules for the kernel (once per source change) and add them to the
# cached kernel's modules as extra/memdebug-ko-test; set GT_NAMES and GT_EXPECTED.
# Returns 77 when they cannot be built here (no headers), 1 on failure.
gt_setup() {
	local _out="$MDKO_CACHE/test-modules/$MDKO_KVER" _extra="$MDKO_KMODDIR/extra/memdebug-ko-test"
	local _stamp _rc=0

	_stamp=$(find "$MDKO_REPO/test/modules" -type f -print0 | sort -z | xargs -0 cat |
		sha256sum | cut -d' ' -f1)
	mdko_lock || return 1
	if [[ $(cat "$_extra/stamp" 2> /dev/null) != "$_stamp" ]]; then
		rm -rf "$_out" "$_extra"
		mkdir -p "$_out"
		"$MDKO_REPO/test/modules/build" "$MDKO_KVER" "$_out" > "$_out.log" 2>&1 || _rc=$?
		if ((_rc == 0)); then
			mkdir -p "$_extra" && cp "$_out"/*.ko "$_out/expected" "$_extra/" &&
				depmod -b "${MDKO_KMODDIR%/lib/modules/*}" "$MDKO_KVER" &&
				echo "$_stamp" > "$_extra/stamp" || _rc=1
		fi
	fi
	mdko_unlock
	if ((_rc != 0)); then
		tail -n 20 "$_out.log" 2> /dev/null | sed 's/^/     | /'
		return "$_rc"
	fi
	GT_EXPECTED="$_extra/expected"
	GT_NAMES=$(cut -d' ' -f1 "$GT_EXPECTED" | paste -sd,)
}

# The ground-truth setup of a test, under BOOT "modules": gt_setup, then the names and
# figures of the modules. If they cannot be built here, an "optional" ($1) ground truth
# is left out and the test goes on, a "needed" one skips the test; if their build fails,
# that is a failed check, and a "needed" one ends the test.
gt_prepare() {
	# shellcheck disable=SC2034 # the name that ok and fail print (report.sh)
	BOOT=modules
	gt_setup || case "$?,$1" in
	77,needed) skip "the test modules cannot be built here" ;;
	77,*) echo "skip [modules] the ground-truth test modules cannot be built here" ;;
	*)
		fail "the ground-truth test modules build" "see $MDKO_CACHE/test-modules" \
			".ko files for $MDKO_KVER"
		[[ $1 != needed ]] || exit 1
		;;
	esac
	[[ $GT_NAMES ]] && echo "     test modules: $(words "$(cat "$GT_EXPECTED")")"
	return 0
}

# Print the kernel option that loads the test modules in an initrd of FLAVOUR (shell:
# modprobe from dracut's cmdline hook 01; systemd: systemd-modules-load); nothing
# without test modules.
gt_load_option() {
	[[ $GT_NAMES ]] || return 0
	if [[ $1 == shell ]]; then
		echo "rd.driver.pre=$GT_NAMES"
	else
		echo "rd.modules_load=$GT_NAMES"
	fi
}

# Print "windows own_pages own_net kernel_pages kernel_net work_own work_own_net work_kernel
# work_kernel_net late_own late_kernel work_moved" of test module NAME ($2) in trace file
# $1, counted apart from memdebug-ko (test/boot/oracle.awk says how).
gt_trace_counts() {
	awk -v m="$2" -f "$MDKO_REPO/test/boot/oracle.awk" "$1"
}

# Whether a test module takes late pages only when the boot test's hook makes it (its
# expected late pages "hook:N"): the hook is needed then.
gt_needs_hook() {
	[[ $GT_EXPECTED ]] && awk '$7 ~ /^hook:/ { found = 1 } END { exit !found }' "$GT_EXPECTED"
}

# The pages of the stacks that the kernel recorded without a frame, which the report
# beside rows file $1 flags (s390x's kworkers on 6.1): 0 when none.
gt_empty_stack_pages() {
	jq -r '.empty_stack_pages // 0' "${1%/*}/memdebug-ko.json" 2> /dev/null || echo 0
}

# Check the late pages of module $1: those its source states ($2, "-": none to check,
# "hook:N": N if the boot ran GT_HOOK's hook, else none) were in the trace ($3 of its
# own, $4 of the kernel's with its code on top of the stack), and the report (rows file
# $5) shows both. Pages that the kernel recorded with an empty stack are in neither:
# the report must flag at least as many.
check_late() {
	local _row _what="did the hook run?" _empty

	[[ $2 != - ]] || return 0
	if [[ $2 == hook:* && ! $GT_HOOK ]]; then
		set -- "$1" 0 "${@:3}"
		_what="this boot has no hook that makes it take them"
	else
		set -- "$1" "${2#hook:}" "${@:3}"
	fi
	_row=$(awk -v m="$1" '$1 == m { print $8 }' "$5")
	_empty=$(gt_empty_stack_pages "$5")
	if [[ $_row == - ]]; then
		note "ground truth: $1's late pages are not measured in this boot (no stacks)"
	elif (($3 < $2)) && [[ $GT_STACKS_CUT ]] || (($3 < $2 && $2 - $3 <= _empty)); then
		note "ground truth: the stacks of $(($2 - $3)) of the $2 late pages of $1 do not show its code: ${GT_STACKS_CUT:-the kernel recorded them empty}"
		if [[ $_row == "$(($3 + $4))" ]]; then
			ok "ground truth: $1's late pages are what the stacks show, $3 (+ $4); the report flags $_empty pages of empty stacks"
		else
			fail "ground truth: the late pages of $1" "late pages: ${_row:-no row}" \
				"$(($3 + $4)), as the stacks show, the $_empty pages of empty stacks flagged"
		fi
	elif [[ $3 != "$2" ]]; then
		fail "ground truth: the trace shows the late pages of $1 as its source says" \
			"own late pages $3" "own late pages $2 ($_what)"
	elif [[ $_row == "$(($3 + $4))" ]]; then
		ok "ground truth: $1's code took $3 pages after its load (+ $4 of the kernel's own for it)"
	else
		fail "ground truth: the late pages of $1" "late pages: ${_row:-no row}" \
			"$(($3 + $4)) ($3 of its own, $4 of the kernel's)"
	fi
}

# Check the late pages of real driver $1 in the boot of directory $2, which no source
# predicts: the saved trace shows some (the oracle's late pages, an allocation outside
# every load with the driver's code as the first module frame of its stack), and the
# report (json.rows) shows as many.
check_driver_late() {
	local _trace=$2/memdebug-ko.trace _counts _late _row

	if ! grep -q "^$1 " "$2/json.rows" 2> /dev/null; then
		fail "the report lists driver $1" "no row" "a row: QEMU gave the guest its card"
		return
	fi
	_row=$(awk -v m="$1" '$1 == m { print $8 }' "$2/json.rows")
	read -ra _counts < <(gt_trace_counts "$_trace" "$1")
	_late=$((${_counts[9]:-0} + ${_counts[10]:-0}))
	if [[ $_row == - ]]; then
		fail "the report measures the late pages of $1" "late pages: -" \
			"a count: rd.memdebug=4 records the stacks of pages no load took"
	elif ((_late == 0)); then
		fail "the trace shows the pages $1 took after its load" "none" \
			"its receive buffers: ip= brought its interface up"
	elif [[ $_row == "$_late" ]]; then
		ok "driver $1's code took $_late pages after its load, as the trace's stacks show"
	else
		fail "the late pages of driver $1" "late pages: $_row" "$_late, as the trace's stacks show"
	fi
}

# Check the test modules against the ground truth: in the trace the guest saved ($1), each
# loaded once and allocated and freed exactly what its source says; and the report (JSON
# rows file $2) shows those figures plus the kernel's own pages inside its window.
check_ground_truth() {
	local _trace=$1 _rows=$2 _name _pages _net _status _row _n _own _own_net _k _k_net
	local _wpages _wnet _wown _wown_net _wk _wk_net _late _lown _lk _moved _wmoved

	if [[ $GT_BULK_LOST ]]; then
		if jq -e '.bulk_pages_measured == false' "${_rows%/*}/memdebug-ko.json" > /dev/null 2>&1; then
			ok "the report says vmalloc's pages are not measured, as the trace lacks a bulk event"
		else
			fail "the report says vmalloc's pages are not measured" \
				"$(jq -c '{bulk_pages_measured}' "${_rows%/*}/memdebug-ko.json" 2> /dev/null)" \
				"bulk_pages_measured: false"
		fi
	fi
	while read -r _name _pages _net _status _wpages _wnet _late _moved; do
		read -r _n _own _own_net _k _k_net _wown _wown_net _wk _wk_net _lown _lk _wmoved < \
			<(gt_trace_counts "$_trace" "$_name")
		# without stacks, another module's code that the load's work ran stays its work
		if ((_moved)) && ! grep -q '<stack trace>' "$_trace"; then
			note "ground truth: no kernel stacks in this boot: the $_moved pages of another module's code in $_name's work stay its work"
			_wpages=$((_wpages + _moved)) _wnet=$((_wnet + _moved))
		elif ((_moved && _wmoved < _moved)) && { [[ $GT_STACKS_CUT ]] ||
			((_moved - _wmoved <= $(gt_empty_stack_pages "$_rows"))); }; then
			note "ground truth: the stacks of $((_moved - _wmoved)) of the $_moved pages of another module's code in $_name's work do not show that code: ${GT_STACKS_CUT:-the kernel recorded them empty}; they stay its work"
			_wpages=$((_wpages + _moved - _wmoved)) _wnet=$((_wnet + _moved - _wmoved))
		elif ((_moved)) && [[ $_wmoved == "$_moved" ]]; then
			ok "ground truth: $_name's work ran $_moved pages of another module's code, which are not its work"
		elif ((_moved)); then
			fail "ground truth: the trace shows $_name's work running another module's code" \
				"$_wmoved such pages" "$_moved, as its source says"
		fi
		# without the kernel's bulk calls or returns only the trace is the truth
		if [[ $GT_BULK_LOST ]]; then
			[[ $_own == "$_pages" && $_own_net == "$_net" && $_wown == "$_wpages" &&
				$_wown_net == "$_wnet" ]] ||
				note "ground truth: $_name's source figures (pages $_pages $_net, work $_wpages $_wnet) cannot be had from this trace (pages $_own $_own_net, work $_wown $_wown_net): the report is checked against the trace"
			_pages=$_own _net=$_own_net _wpages=$_wown _wnet=$_wown_net
		fi
		if [[ $_n != 1 || $_own != "$_pages" || $_own_net != "$_net" ]]; then
			fail "ground truth: the trace shows $_name as its source says" \
				"windows $_n, own pages $_own, own net $_own_net" \
				"windows 1, own pages $_pages, own net $_net"
			continue
		fi
		# the work it queued, run by kworkers: in the trace when workqueue events were on
		_row=$(awk -v m="$_name" '$1 == m { print $6, $7 }' "$_rows")
		if [[ $GT_STACKS_CUT && $_row != "- -" ]] && ((_wown > _wpages)); then
			note "ground truth: the trace shows $((_wown - _wpages)) more pages in $_name's work than its source says: $GT_STACKS_CUT, so another module's code run in it cannot be told apart; the report is checked against the trace"
			_wpages=$_wown _wnet=$_wown_net
		fi
		if [[ $_row == "- -" ]]; then
			note "ground truth: $_name's work is not measured in this boot (no workqueue events)"
		elif [[ $_wown != "$_wpages" || $_wown_net != "$_wnet" ]]; then
			fail "ground truth: the trace shows the work of $_name as its source says" \
				"own pages $_wown, own net $_wown_net" "own pages $_wpages, own net $_wnet"
		elif [[ $_row == "$((_wpages + _wk)) $((_wnet + _wk_net))" ]]; then
			ok "ground truth: the work and threads of $_name took $_wpages pages, $_wnet net (+ $_wk pages, $_wk_net net of the kernel's own in them)"
		else
			fail "ground truth: the work of $_name" "deferred pages, net: ${_row:-no row}" \
				"$((_wpages + _wk)) $((_wnet + _wk_net)) ($_wpages $_wnet of its own, $_wk $_wk_net of the kernel's)"
		fi
		check_late "$_name" "$_late" "$_lown" "$_lk" "$_rows"
		_row=$(awk -v m="$_name" '$1 == m { print $2, $4, $3 }' "$_rows")
		if [[ $_row == "$((_pages + _k)) $((_net + _k_net)) $_status" ]]; then
			ok "ground truth: $_name took $_pages pages, $_net net, $_status (+ $_k pages, $_k_net net of the kernel's own in its window)"
		else
			fail "ground truth: $_name" "pages net status: $(words "${_row:-no row}")" \
				"$((_pages + _k)) $((_net + _k_net)) $_status ($_pages $_net of its own, $_k $_k_net of the kernel's)"
		fi
	done < "$GT_EXPECTED"
	# the hook wrote the firmware file and mdko_gt_fw read it: its late pages alone do not
	# say so, as a failed read gives back the buffer it took
	if [[ $GT_HOOK && ,$GT_NAMES, == *,mdko_gt_fw,* ]]; then
		expect_line "${_trace%/*}/serial.log" '\] mdko_gt_fw: read [0-9]+ bytes of firmware' \
			"that mdko_gt_fw read the firmware that the hook wrote"
	fi
}

# ---------------------------------------------------------------------------------------
# the checks of one boot
