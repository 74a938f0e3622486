# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # BINARY and VARIANT are for the scripts that source this
#
# Shared by test/boot/boot-test, test/boot/fault-test and test/boot/kdump-test, on top of
# qemu/lib.sh: how a check is reported ("ok   [BOOT] ..." or "FAIL [BOOT] ..." with
# actual and expected), the BINARY [VARIANT] arguments, the prerequisites of a boot, the
# end of the run, the ground-truth test modules and the checks of one boot's report.
# Source it from bash running with `set -euo pipefail`.

# shellcheck source=qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../qemu/lib.sh"

FAILURES=0
BOOT=
GT_NAMES=
GT_EXPECTED=

# Modules the root file system mount needs: the report must list them.
REQUIRED_MODULES="virtio_blk ext4"

skip() {
	echo "SKIP: $*"
	exit 77
}

ok() {
	echo "ok   [$BOOT] $*"
}

note() {
	echo "     [$BOOT] $*"
}

# Record a failed check with what was found and what was expected.
fail() {
	echo "FAIL [$BOOT] $1"
	echo "     actual:   ${2:-<nothing>}"
	echo "     expected: $3"
	FAILURES=$((FAILURES + 1))
}

# Check the arguments BINARY [VARIANT]; set BINARY (made absolute), VARIANT and
# DEFAULT_BUFFER_KB (the binary's default ring buffer per CPU). Exits 2 on misuse.
bt_args() {
	if [[ -z ${1-} || $# -gt 2 ]]; then
		echo "usage: ${0##*/} BINARY [VARIANT]" >&2
		exit 2
	fi
	BINARY=$1
	VARIANT=${2:-default}
	[[ $BINARY == /* ]] || BINARY=$PWD/$BINARY
	if [[ ! -x $BINARY ]]; then
		echo "${0##*/}: $BINARY is not an executable" >&2
		exit 2
	fi
	DEFAULT_BUFFER_KB=$("$BINARY" prepare --help |
		sed -n 's/.*ring buffer per CPU in KiB (default \([0-9]*\)).*/\1/p')
	if [[ ! $DEFAULT_BUFFER_KB =~ ^[0-9]+$ ]]; then
		echo "${0##*/}: $BINARY prepare --help names no default buffer size" >&2
		exit 2
	fi
}

# Skip (77) unless this machine can build and boot an initramfs; the arguments name
# further commands the caller needs. Then prepare the kernel, root image and dracut base
# (mdko_prepare): exits 77 without a kernel, 1 when the rest fails.
bt_prerequisites() {
	local _cmd

	[[ $(id -u) == 0 ]] || skip "dracut must run as root to make the initramfs"
	for _cmd in qemu-system-x86_64 dracut mke2fs debugfs lz4 cpio depmod flock timeout "$@"; do
		command -v "$_cmd" > /dev/null || skip "$_cmd is not installed"
	done
	file -L /bin/busybox 2> /dev/null | grep -q 'statically linked' ||
		skip "no static /bin/busybox for the root file system (busybox-static)"
	mdko_prepare || case $? in
	2) skip "no kernel of series $MDKO_KERNEL_SERIES (linux-image-$MDKO_KERNEL_SERIES...-amd64-unsigned) is in $MDKO_CACHE/kernel and apt-get download failed" ;;
	*)
		echo "FAIL: could not prepare the root image or dracut in $MDKO_CACHE"
		exit 1
		;;
	esac
}

# After the boots in work directory WORK: print PASS with SUMMARY, or FAIL with the count
# of failed checks; remove WORK after a pass unless V=1. Returns 0 or 1.
bt_finish() {
	local _work=$1 _rc=0

	if ((FAILURES > 0)); then
		echo "FAIL: $FAILURES checks failed; logs in $_work"
		_rc=1
	else
		echo "PASS: $2"
	fi
	if ((_rc == 0)) && [[ ${V-} != 1 ]]; then
		rm -rf "$_work"
	else
		echo "     logs in $_work"
	fi
	return "$_rc"
}

# ---------------------------------------------------------------------------------------
# reports

# Check that console log or report $1 has a line matching extended regular expression
# $2: the console shows $3.
expect_line() {
	if grep -Eq -- "$2" "$1"; then
		ok "the console shows $3"
	else
		fail "the console shows $3" "its last lines: $(tail -n 5 "$1")" \
			"a console line matching: $2"
	fi
}

# Check that console log or report $1 has no line matching extended regular expression $2.
refute_line() {
	local _found

	_found=$(grep -E -- "$2" "$1" || :)
	if [[ -z $_found ]]; then
		ok "the console does not show $3"
	else
		fail "the console does not show $3" "$_found" "no console line matching: $2"
	fi
}

# When checks failed since the failure count was BEFORE ($1), show the memdebug-ko lines
# of the console kept in DIR/report.txt ($2), WHERE ($3, default "the console") shown.
show_report_if_failed() {
	if ((FAILURES > $1)) && [[ -f $2/report.txt ]]; then
		note "the memdebug-ko lines of ${3:-the console}:"
		sed 's/^/     | /' "$2/report.txt"
	fi
}

# Print the number of the first line of file $1 that contains fixed string $2, or
# nothing.
line_of() {
	grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1
}

# Print the lines of $1 on one line.
words() {
	tr '\n' ' ' <<< "$1"
}

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

# ---------------------------------------------------------------------------------------
# ground truth

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

# Print "windows own_pages own_net kernel_pages kernel_net work_own work_own_net work_kernel
# work_kernel_net late_own late_kernel" of test module NAME ($2) in trace file $1, counted
# apart from memdebug-ko: each window runs from the module's module_load by pid P to the
# module_put of do_init_module by P; the module's own pages are P's allocations with
# gfp_flags GFP_KERNEL_ACCOUNT (test/modules/mdko_gt.h) or __GFP_RETRY_MAYFAIL
# (mdko_gt_slab's slab pages, the threads and probes of mdko_gt_kthread and mdko_gt_late)
# and the pages of its bulk allocator calls (vmalloc), the kernel's are P's other ones
# (slab refills for do_init_module's kmalloc, the uevent); net subtracts the blocks P
# freed again inside the window. The work_ figures count the same way what kworkers
# allocate while they run work that P queued inside the window (mdko_gt_wq,
# mdko_gt_async), and work that work queued, and what kernel threads P (or that work)
# started take (task_rename from "kthreadd" by P, or from 6.2 a thread kthreadd forked
# whose first wakeup is between it and P: mdko_gt_kthread). The late_ figures
# (rd.memdebug=5) count allocations in no load window and no load's work or thread whose
# stack shows the module's code as the first module frame (mdko_gt_late's probe).
gt_trace_counts() {
	awk -v m="$2" '
		function pid() { match($0, /-[0-9]+ +\[[0-9]+\]/); return substr($0, RSTART + 1) + 0 }
		function field(k) { return match($0, " " k "=[^ ]+") ? substr($0, RSTART + length(k) + 2, RLENGTH - length(k) - 2) : "" }
		function work() { match($0, /work struct[= ][0-9a-fx]+/); return substr($0, RSTART + 12, RLENGTH - 12) }
		# the test modules mark theirs: GFP_KERNEL_ACCOUNT, or __GFP_RETRY_MAYFAIL for the
		# slab pages of mdko_gt_slab (a slab page inherits it from the object allocation)
		function own_gfp() { return field("gfp_flags") ~ /^GFP_KERNEL_ACCOUNT(\||$)|__GFP_RETRY_MAYFAIL/ }
		# outside the window the modules allocate whole blocks with exactly these flags;
		# the kernel passes __GFP_RETRY_MAYFAIL on to the slab pages of its own kmallocs
		# (vmalloc'"'"'s page array) with more flags
		function own_block() { return field("gfp_flags") ~ /^(GFP_KERNEL_ACCOUNT|GFP_KERNEL\|__GFP_RETRY_MAYFAIL)$/ }
		function ok_pfn() { return field("pfn") !~ /^(0x)?f+$|^-1$/ }
		function deferred(q) { return (q in running) || (q in kthread) }
		# the stack of a task'"'"'s latest allocation outside every load: whose code on top
		/<stack trace>/ { sp = pid(); instack = (sp in lastsz) && !(sp in inwin) && !deferred(sp); next }
		/^ *=> / {
			if (instack && /\[[^]]+\] *$/) {
				if ($0 ~ ("\\[" m "\\] *$")) { if (lastown[sp]) lown += lastsz[sp]; else lkern += lastsz[sp] }
				delete lastsz[sp]; instack = 0
			}
			next
		}
		{ instack = 0 }
		# every load window, for the late pages: a pid in none of them
		$0 ~ (" module_put: " m " call_site=do_init_module") && open && pid() == p { open = 0; delete inwin[p]; next }
		/ module_load: / { inwin[pid()] = 1 }
		/ module_put: .* call_site=do_init_module/ { delete inwin[pid()] }
		/ module_load: / && $0 ~ (" module_load: " m "( |$)") { p = pid(); open = 1; n++; next }
		# a kernel thread that P (or its work) started: kthread_create names it from P
		/ task_rename: / {
			if (field("oldcomm") == "kthreadd" && ((open && pid() == p) || deferred(pid())))
				kthread[field("pid") + 0] = 1
			next
		}
		# from 6.2: kthreadd forks it under its name, and its first act wakes P
		/ task_newtask: / { if (pid() == 2 && field("comm") !~ /^kworker\//) born[field("pid") + 0] = 1; next }
		# the first wakeup between the new thread and another task: the other is its
		# creator, whichever woke whom
		/ sched_waking: / {
			q = pid(); c = field("pid") + 0
			if (c in born) { t = c; c = q } else t = q
			if (t in born) {
				delete born[t]
				if ((open && c == p) || deferred(c)) kthread[t] = 1
			}
			next
		}
		# work queued by P in the window, or by a kworker running such work
		/ workqueue_queue_work: / && ((open && pid() == p) || deferred(pid())) { ours[work()] = 1; next }
		/ workqueue_execute_start: / { if (work() in ours) { running[pid()] = 1; delete ours[work()] } else delete running[pid()]; next }
		/ workqueue_execute_end: / { delete running[pid()]; next }
		deferred(pid()) {
			q = pid()
			if (/ bulk_enter: /) { dbulk[q] = 1; dinside[q] = 0 }
			else if (/ bulk_exit: / && dbulk[q]) { wown += field("ret") - dinside[q]; delete dbulk[q] }
			else if (/ mm_page_alloc: / && ok_pfn()) {
				key = field("pfn") "/" field("order"); size = 2 ^ field("order")
				if (dbulk[q]) { wown += size; dinside[q] += size; wmine[key] = size }
				else if (own_block()) { wown += size; wmine[key] = size }
				else { wkern += size; wtheirs[key] = size }
			} else if (/ mm_page_free: /) {
				key = field("pfn") "/" field("order")
				if (key in wmine) { wown_freed += wmine[key]; delete wmine[key] }
				else if (key in wtheirs) { wkern_freed += wtheirs[key]; delete wtheirs[key] }
			}
			next
		}
		!(pid() in inwin) {
			q = pid()
			if (/ bulk_enter: /) { lbulk[q] = 1; linside[q] = 0 }
			else if (/ bulk_exit: / && lbulk[q]) {
				if (field("ret") > linside[q]) { lastsz[q] = field("ret") - linside[q]; lastown[q] = 1 }
				delete lbulk[q]
			} else if (/ mm_page_alloc: / && ok_pfn()) {
				if (lbulk[q]) linside[q] += 2 ^ field("order")
				lastsz[q] = 2 ^ field("order"); lastown[q] = own_block()
			}
			next
		}
		!open || pid() != p { next }
		# vmalloc: the bulk allocator returns the pages its array holds, of which those
		# mm_page_alloc reported inside the call (the single-page path) came that way
		/ bulk_enter: / { bulk = 1; inside = 0; next }
		/ bulk_exit: / && bulk { bulk = 0; own += field("ret") - inside; next }
		/ mm_page_alloc: / && ok_pfn() {
			key = field("pfn") "/" field("order"); size = 2 ^ field("order")
			# vmalloc adds __GFP_HIGHMEM|__GFP_NOWARN, and falls back to single pages
			# when the bulk allocator will not charge a memcg (GFP_KERNEL_ACCOUNT)
			if (bulk) { own += size; inside += size; mine[key] = size }
			else if (own_gfp()) { own += size; mine[key] = size }
			else { kern += size; theirs[key] = size }
		}
		/ mm_page_free: / {
			key = field("pfn") "/" field("order")
			if (key in mine) { own_freed += mine[key]; delete mine[key] }
			else if (key in theirs) { kern_freed += theirs[key]; delete theirs[key] }
		}
		END {
			print n + 0, own + 0, own - own_freed, kern + 0, kern - kern_freed,
				wown + 0, wown - wown_freed, wkern + 0, wkern - wkern_freed,
				lown + 0, lkern + 0
		}
	' "$1"
}

# Check the late pages of module $1 (rd.memdebug=5): those its source states ($2, "-": none
# to check) were in the trace ($3 of its own, $4 of the kernel's with its code on top of
# the stack), and the report (rows file $5) shows both.
check_late() {
	local _row

	[[ $2 != - ]] || return 0
	_row=$(awk -v m="$1" '$1 == m { print $8 }' "$5")
	if [[ $_row == - ]]; then
		note "ground truth: $1's late pages are not measured in this boot (no stacks)"
	elif [[ $3 != "$2" ]]; then
		fail "ground truth: the trace shows the late probe of $1 as its source says" \
			"own late pages $3" "own late pages $2 (did the hook add its device?)"
	elif [[ $_row == "$(($3 + $4))" ]]; then
		ok "ground truth: $1's late probe took $3 pages (+ $4 of the kernel's own in it)"
	else
		fail "ground truth: the late pages of $1" "late pages: ${_row:-no row}" \
			"$(($3 + $4)) ($3 of its own, $4 of the kernel's)"
	fi
}

# Check the test modules against the ground truth: in the trace the guest saved ($1), each
# loaded once and allocated and freed exactly what its source says; and the report (JSON
# rows file $2) shows those figures plus the kernel's own pages inside its window.
check_ground_truth() {
	local _trace=$1 _rows=$2 _name _pages _net _status _row _n _own _own_net _k _k_net
	local _wpages _wnet _wown _wown_net _wk _wk_net _late _lown _lk

	while read -r _name _pages _net _status _wpages _wnet _late; do
		read -r _n _own _own_net _k _k_net _wown _wown_net _wk _wk_net _lown _lk < \
			<(gt_trace_counts "$_trace" "$_name")
		if [[ $_n != 1 || $_own != "$_pages" || $_own_net != "$_net" ]]; then
			fail "ground truth: the trace shows $_name as its source says" \
				"windows $_n, own pages $_own, own net $_own_net" \
				"windows 1, own pages $_pages, own net $_net"
			continue
		fi
		# the work it queued, run by kworkers: in the trace when workqueue events were on
		_row=$(awk -v m="$_name" '$1 == m { print $6, $7 }' "$_rows")
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
}

# ---------------------------------------------------------------------------------------
# the checks of one boot

# Check the console report in serial log LOG of the boot in DIR: no warning, no line
# lost to the ratelimit, the report's header, columns, total and module rows. Leaves the
# report in DIR/report.txt and "name pages" of its rows in DIR/report.rows.
check_console_report() {
	local _dir=$1 _log=$2 _value

	console_report "$_log" > "$_dir/report.txt"
	_value=$(grep -E '^(warning|error): |failed \(exit status|is missing|cannot create' \
		"$_dir/report.txt" || :)
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
	local _dir=$1 _value

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
	_value=$(diff <(awk '$2 != "-"' "$_dir/json.rows" | sort) \
		<(sort "$_dir/replay.rows") | grep '^[<>]' | tr '\n' ';' || :)
	if [[ -z $_value ]]; then
		ok "report --input on the saved trace gives the live numbers"
	else
		fail "report --input on the saved trace gives the live numbers" \
			"differences (< live, > replay): $_value" "the same loads, pages and status"
	fi
}

# ---------------------------------------------------------------------------------------
# one boot, as boot-test and itools-test run and check it

# Boot IMAGE with MEM of RAM in $WORK/NAME, on a fresh copy of the busybox root, kernel
# command line options after the first three arguments, and fetch what the guest saved
# on its root file system. mdko_boot boots once more a kernel that QEMU killed.
run_boot() {
	local _name=$1 _image=$2 _mem=$3 _dir=$WORK/$1 _t0 _f
	shift 3

	mkdir -p "$_dir"
	_t0=$SECONDS
	MDKO_ROOT_FROM=$MDKO_ROOTFS MDKO_MEM=$_mem mdko_boot "$_image" "$_dir/root.img" \
		"$_dir/serial.log" "$@" || :
	note "guest ($_mem) ran for $((SECONDS - _t0)) s"
	for _f in modules instances memdebug-ko.json memdebug-ko.trace; do
		mdko_rootfs_get "$_dir/root.img" "/memdebug-ko/$_f" "$_dir/$_f" || :
	done
}

# Check the boot in $WORK/$BOOT. Arguments: a function that checks the modules shown as
# before-tracing (check_coverage), if some may be; "keep" when the buffer must stay.
check_boot() {
	local _dir=$WORK/$BOOT _before_ok=${1-} _keep=${2-}

	if grep -q "$MDKO_ROOT_MARKER" "$_dir/serial.log"; then
		ok "the guest reached its root file system"
	else
		fail "the guest reaches its root file system" "$(tail -n 5 "$_dir/serial.log")" \
			"$MDKO_ROOT_MARKER on the console"
	fi
	check_console_report "$_dir" "$_dir/serial.log"
	check_coverage "$_dir" "$_before_ok"
	check_instance "$_dir" "${_keep:+$KEEP_BUFFER_KB}"
	check_json_report "$_dir" "the real root read"
}
