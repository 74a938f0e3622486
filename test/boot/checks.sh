# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The checks of one boot's memdebug-ko report, sourced by test/boot/lib.sh: the console
# report (no warning, no line lost, header, columns, total and rows), the modules it
# covers against the guest's /proc/modules, the trace buffer it gave back or kept, the
# JSON report the guest saved against the console, and the saved trace replayed; with
# the readers of the console and JSON reports they need. check_boot runs them all on a
# boot of bt_boot.

# Modules the root file system mount needs: the report must list them.
REQUIRED_MODULES="virtio_blk ext4"

# Print the report the guest wrote to its console (serial log $1), without the kernel
# timestamps and the "memdebug-ko: " prefix.
console_report() {
	mdko_console_report "$1" | sed 's/^memdebug-ko: //'
}

# Print the first two columns, "name pages", of each module row of console report $1: the
# rows between the column header (the last line starting with "module" before the
# total) and the first line starting with "total".
console_rows() {
	awk '
		{ line[NR] = $0 }
		/^total/ && !total { total = NR }
		END {
			for (i = total - 1; i > 0 && line[i] !~ /^module/; i--)
				;
			for (j = i + 1; i > 0 && j < total; j++)
				if (split(line[j], f) >= 2)
					print f[1], f[2]
		}
	' "$1"
}

# Print "name pages status net_pages pid deferred_pages deferred_net_pages late_pages"
# for each module of JSON report $1, pages and net as the console shows them ("-" before
# tracing, "n/a" for a load the filter hid), the deferred and late ones "-" when not
# measured; fail if it is not a JSON report.
json_rows() {
	jq -er '
		def shown(v): if v != null then v elif .pid == null then "-" else "n/a" end;
		if (.lost_events | type) != "number" or (.complete | type) != "boolean" or
			(.modules | type) != "array" then error("not a memdebug-ko JSON report")
		else .modules[] | "\(.name) \(shown(.pages)) \(.status) \(shown(.net_pages)) \(.pid)" +
			" \(.deferred_pages // "-") \(.deferred_net_pages // "-") \(.late_pages // "-")"
		end
	' "$1"
}


# lost to the ratelimit, the report's header, columns, total and module rows. Leaves the
# report in DIR/report.txt and "name pages" of its rows in DIR/report.rows.
check_console_report() {
	local _dir=$1 _log=$2 _value

	console_report "$_log" > "$_dir/report.txt"
	# Linux 6.1 can lose one boot-time kprobe event of kprobe_event= to a race with
	# tracefs (a boot-parameter boot): prepare's warning is right then, not a failure,
	# and the ground truth of vmalloc's pages cannot be had from that trace
	GT_BULK_LOST=$(grep -E '^warning: the kernel command line turned on the events beside memdebug_ko:bulk_(enter|exit), but not it ' \
		"$_dir/report.txt" || :)
	[[ -z $GT_BULK_LOST ]] || note "the kernel lost a boot-time probe event: ${GT_BULK_LOST#warning: }"
	_value=$(grep -E '^(warning|error): |failed \(exit status|is missing|cannot create' \
		"$_dir/report.txt" | grep -vxF -- "${GT_BULK_LOST:-/}" || :)
	if [[ -z $_value ]]; then
		ok "no warning or error from the hooks and the binary"
	else
		fail "no warning or error from the hooks and the binary" "$_value" "none"
	fi
	# the watcher must get the CPU before a module that allocates in a loop
	if grep -q '^watching the trace' "$_dir/report.txt"; then
		_value=$(grep -E '^the watcher runs at normal priority|^warning: cannot (lock|set oom)' \
			"$_dir/report.txt" || :)
		if [[ -z $_value ]]; then
			ok "the watcher runs at real-time priority, locked, and the OOM killer spares it"
		else
			fail "the watcher runs at real-time priority, locked, spared by the OOM killer" \
				"$_value" "no such line"
		fi
	fi
	# /dev/kmsg drops lines beyond 10 per 5 s from one open file (printk.devkmsg)
	_value=$(grep 'memdebug-ko: [0-9]* output lines suppressed' "$_log" || :)
	if [[ -z $_value ]]; then
		ok "no console line was suppressed by the kmsg ratelimit"
	else
		fail "no console line is suppressed by the kmsg ratelimit" "$_value" \
			"every report line on the console"
	fi
	if grep -q '^events: ' "$_dir/report.txt" && grep -q '^module' "$_dir/report.txt" &&
		grep -q '^total' "$_dir/report.txt"; then
		ok "the console shows the report: header, columns and total"
	else
		fail "the console shows the report" "$(cat "$_dir/report.txt")" \
			"memdebug-ko: lines starting with \"events:\", \"module\" and \"total\""
	fi
	console_rows "$_dir/report.txt" > "$_dir/report.rows"
	_value=$(awk '$2 !~ /^([0-9]+|n\/a|-)$/' "$_dir/report.rows" | tr '\n' ';')
	if [[ -s $_dir/report.rows && -z $_value ]]; then
		ok "the console report rows have a page count, n/a or - (before tracing)"
	else
		fail "the console report rows have a page count, n/a or - (before tracing)" \
			"${_value:-no rows}" "module rows whose second column is a number, n/a or -"
	fi
}

# Check that the console report of the boot in DIR (check_console_report) lists the
# modules the initramfs loaded, in DIR/modules (its /proc/modules). Modules shown as
# before tracing fail, unless function CHECK_BEFORE ($2) is given to judge them.
check_coverage() {
	local _dir=$1 _check_before=${2-} _loaded _name _pages _value _early

	# what the initramfs really loaded: the guest's /proc/modules
	if [[ -f $_dir/modules ]]; then
		_loaded=$(cut -d' ' -f1 "$_dir/modules" | sort)
	else
		_loaded=
		fail "the guest saved /proc/modules" "no modules file in $_dir" \
			"the list of modules the initramfs loaded"
	fi
	for _name in $REQUIRED_MODULES; do
		_pages=$(awk -v m="$_name" '$1 == m { print $2 }' "$_dir/report.rows")
		if ! grep -qx "$_name" <<< "$_loaded"; then
			fail "the initramfs loaded $_name" "$(words "$_loaded")" "$_name loaded"
		elif [[ -z $_pages ]]; then
			fail "the console report lists $_name" "$(cat "$_dir/report.rows")" \
				"a row for $_name"
		else
			ok "the console report lists $_name ($_pages pages)"
		fi
	done
	_value=$(comm -23 <(echo "$_loaded") <(cut -d' ' -f1 "$_dir/report.rows" | sort) |
		tr '\n' ' ')
	if [[ -z $_loaded || -n ${_value// /} ]]; then
		fail "the console report lists every loaded module" "missing: $_value" \
			"all of: $(words "$_loaded")"
	else
		ok "the console report lists all $(wc -l <<< "$_loaded") loaded modules"
	fi
	_value=$(awk '$2 == "-" { print $1 }' "$_dir/report.rows" | sort)
	# the kernel loads some itself before the first hook (6.12: cryptd, crypto_simd,
	# gf128mul), and prepare names what was loaded when it started
	_early=$(sed -nE 's/^[0-9]+ modules? (was|were) loaded before tracing started: ([^;]*);.*/\2/p' \
		"$_dir/report.txt" | tr ' ' '\n' | sort)
	if [[ $_early && $_value ]]; then
		note "loaded before prepare started, as it said: $(words "$_early")"
		_value=$(comm -23 <(echo "$_value") <(echo "$_early"))
	fi
	if [[ -z $_value ]]; then
		ok "every module was traced while it loaded (none before tracing but those prepare named)"
	elif [[ $_check_before ]]; then
		"$_check_before" "$_value"
	else
		fail "every module was traced while it loaded" "before tracing: $(words "$_value")" \
			"no module before tracing"
	fi
}

# Check what the report left of the trace buffer in work directory DIR, from the list the
# guest saved (DIR/instances: "name buffer_size_kb", the top-level buffer as "(top-level)")
# and the console (DIR/report.txt). With KEEP_KB, the buffer prepare set up must still be
# there with KEEP_KB per CPU; else no instance is left, a claimed top-level buffer is back
# at its size before prepare, and the log says how much free memory came back: about one
# CPU's buffer.
check_instance() {
	local _dir=$1 _keep_kb=$2 _value _line _gain _top _what _least

	if [[ ! -f $_dir/instances ]]; then
		fail "the guest saved its tracefs instances" "no /memdebug-ko/instances" \
			"the list of /sys/kernel/tracing/instances"
		return
	fi
	_top=false
	grep -q '^tracing module loads in the top-level buffer of ' "$_dir/report.txt" && _top=true
	if $_top; then
		_what="the top-level buffer"
		_value=$(awk '$1 == "(top-level)" { print $2 }' "$_dir/instances")
	else
		_what="the trace instance"
		_value=$(awk '$1 == "memdebug-ko" { print $2 }' "$_dir/instances")
	fi
	if [[ $_keep_kb ]]; then
		# the kernel rounds the size up to whole ring buffer pages of 4080 bytes
		if [[ $_value =~ ^[0-9]+$ ]] &&
			((_value >= _keep_kb && _value <= _keep_kb * 51 / 50 + 4)); then
			ok "the report kept $_what of $_keep_kb KiB per CPU"
		else
			fail "the report kept $_what of $_keep_kb KiB per CPU" \
				"instances: $(words "$(cat "$_dir/instances")")" \
				"$_what at $_keep_kb KiB (or a little more, rounded up to whole pages)"
		fi
		return
	fi
	if grep -q '^memdebug-ko ' "$_dir/instances"; then
		fail "no trace instance is left" "instances: $(words "$(cat "$_dir/instances")")" \
			"no memdebug-ko instance"
		return
	fi
	if [[ $BOOT == bootparam ]]; then
		if grep -q 'reading the top-level buffer' "$_dir/report.txt"; then
			ok "prepare made no instance and report read the top-level buffer"
		else
			fail "report reads the top-level buffer" "$(cat "$_dir/report.txt")" \
				"\"reading the top-level buffer\" on the console"
		fi
		return
	fi
	# the kernel's top-level buffer is 7 KiB per CPU until something enlarges it
	if $_top; then
		if [[ $_value =~ ^[0-9]+$ ]] && ((_value <= 8)); then
			ok "the top-level buffer is back at $_value KiB per CPU"
		else
			fail "the top-level buffer is back at its size" \
				"instances: $(words "$(cat "$_dir/instances")")" "(top-level) 7"
		fi
	fi
	# "removed DIR: free memory +G KiB (MemFree ...; with the per-CPU page lists ...)", or
	# "gave back the top-level buffer of DIR: ...": G counts the per-CPU page lists, where
	# freed pages go first and MemFree does not see them (on 6.12 the whole buffer). An
	# instance frees its buffer and more (its event files); the top level keeps 7 KiB per
	# CPU, and other tasks allocate while the report runs: 9/10 of the rest must come back.
	_line=$(grep -E '^(removed|gave back the top-level buffer of) .*: free memory [-+][0-9]+ KiB' \
		"$_dir/report.txt" || :)
	_gain=$(sed -n 's/.*: free memory \([-+][0-9]*\) KiB.*/\1/p' <<< "$_line")
	_value=$(jq -r '.buffer_kb // 0' "$_dir/memdebug-ko.json" 2> /dev/null || echo 0)
	_least=$_value
	$_top && _least=$(((_value - 7) * 9 / 10))
	if [[ $_gain =~ ^[-+][0-9]+$ ]] && ((_value > 0 && ${_gain#+} >= _least)); then
		ok "giving back $_what freed its buffer: $_line, $_value KiB per CPU"
	else
		fail "giving back $_what frees its buffer" "${_line:-no free memory line}" \
			"free memory up by at least $_least KiB (of $_value KiB per CPU)"
	fi
}

# Check the JSON report in DIR/memdebug-ko.json, which WHO ($2: "the real root read",
# "the dump directory has") names: it parses, is complete, agrees with the console report
# (check_console_report) and the modules loaded, the trace saved beside it replays to the
# same numbers, and the test modules in it match the ground truth.
check_json_report() {
	local _dir=$1 _who=$2 _loaded='' _value _console_names _json_names

	[[ -f $_dir/modules ]] && _loaded=$(cut -d' ' -f1 "$_dir/modules" | sort)
	if [[ ! -f $_dir/memdebug-ko.json ]]; then
		fail "$_who the JSON report" "no /run/initramfs/memdebug-ko.json" \
			"the report saved by --json-file"
		return
	fi
	if ! json_rows "$_dir/memdebug-ko.json" > "$_dir/json.rows" 2> "$_dir/json.err"; then
		fail "the JSON report parses" "$(cat "$_dir/json.err")" "a JSON report object"
		return
	fi
	ok "$_who the JSON report and it parses"
	_value=$(jq -r '"\(.lost_events) \(.complete)"' "$_dir/memdebug-ko.json")
	if [[ $_value == "0 true" ]]; then
		ok "no event was lost and the report is complete"
	else
		fail "no event is lost and the report is complete" "lost complete: $_value" \
			"0 true"
	fi
	_console_names=$(cut -d' ' -f1 "$_dir/report.rows" | sort)
	_json_names=$(cut -d' ' -f1 "$_dir/json.rows" | sort)
	if [[ $_console_names == "$_json_names" ]]; then
		ok "the JSON report has the modules of the console report"
	else
		fail "the JSON report has the modules of the console report" \
			"$(words "$_json_names")" "$(words "$_console_names")"
	fi
	_value=$(awk '
		NR == FNR { console[$1] = $2; next }
		($1 in console) && console[$1] != $2 { printf "%s: JSON %s, console %s; ", $1, $2, console[$1] }
	' "$_dir/report.rows" "$_dir/json.rows")
	if [[ -s $_dir/report.rows && -z $_value ]]; then
		ok "the JSON and console reports agree on the pages"
	else
		fail "the JSON and console reports agree on the pages" "differences: $_value" \
			"the same name and pages in both"
	fi
	_value=$(awk '$3 == "loaded" { print $1 }' "$_dir/json.rows" | sort |
		comm -23 - <(echo "$_loaded") | tr '\n' ' ')
	if [[ -z ${_value// /} ]]; then
		ok "every module the JSON report calls loaded is loaded"
	else
		fail "every module the JSON report calls loaded is loaded" "not loaded: $_value" \
			"each in /proc/modules"
	fi

	check_replay "$_dir"
	if [[ $GT_EXPECTED && -f $_dir/memdebug-ko.trace ]]; then
		check_ground_truth "$_dir/memdebug-ko.trace" "$_dir/json.rows"
	fi
}

# Replaying the trace the guest saved gives the live report's loads.
check_replay() {
	# shellcheck disable=SC2016 # awk's fields
	local _dir=$1 _value _rows='$2 != "-" || ($8 != "-" && $8 != 0)'

	if [[ ! -f $_dir/memdebug-ko.trace ]]; then
		fail "rd.memdebug_ko.trace saved the trace" "no /run/initramfs/memdebug-ko.trace" \
			"the text trace saved by --save-trace"
		return
	fi
	if ! "$BINARY" report --input "$_dir/memdebug-ko.trace" --format json \
		> "$_dir/replay.json" 2> "$_dir/replay.err" ||
		! json_rows "$_dir/replay.json" > "$_dir/replay.rows" 2>> "$_dir/replay.err"; then
		fail "the saved trace replays" "$(cat "$_dir/replay.err")" \
			"a JSON report from memdebug-ko report --input"
		return
	fi
	# the loads, and the modules loaded before tracing that late pages name (the live
	# report lists every module of /proc/modules besides)
	_value=$(diff <(awk "$_rows" "$_dir/json.rows" | sort) \
		<(awk "$_rows" "$_dir/replay.rows" | sort) | grep '^[<>]' | tr '\n' ';' || :)
	if [[ -z $_value ]]; then
		ok "report --input on the saved trace gives the live numbers"
	else
		fail "report --input on the saved trace gives the live numbers" \
			"differences (< live, > replay): $_value" "the same loads, pages and status"
	fi
}

# Check that the guest of serial log LOG reached its root file system.
check_root() {
	if grep -q "$MDKO_ROOT_MARKER" "$1"; then
		ok "the guest reached its root file system"
	else
		fail "the guest reaches its root file system" "$(tail -n 5 "$1")" \
			"$MDKO_ROOT_MARKER on the console"
	fi
}

# Check the boot in $WORK/$BOOT. Arguments: a function that checks the modules shown as
# before-tracing (check_coverage), if some may be; "keep" when the buffer must stay.
check_boot() {
	local _dir=$WORK/$BOOT _before_ok=${1-} _keep=${2-}

	check_root "$_dir/serial.log"
	check_console_report "$_dir" "$_dir/serial.log"
	check_coverage "$_dir" "$_before_ok"
	check_instance "$_dir" "${_keep:+$KEEP_BUFFER_KB}"
	check_json_report "$_dir" "the real root read"
}
