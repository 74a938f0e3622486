#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# watch against fake tracefs trees: trace_pipe is a FIFO the test writes the trace into.
# The watcher streams what must survive an OOM death and hands its accounting to report,
# which must then say what it says when it reads the buffer itself.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR/tracing
	I=$T/instances/memdebug-ko
	D=$BATS_TEST_TMPDIR/run
	P=$BATS_TEST_TMPDIR/proc
	make_tracefs "$T"
	default_filter >"$I/events/kmem/mm_page_alloc/filter"
	mkdir -p "$P"
	cp "$FIXTURES/boot-shell-proc" "$P/modules" 2>/dev/null || : >"$P/modules"
	mkfifo "$I/trace_pipe"
	WATCHER=
}

teardown() {
	[[ -z $WATCHER ]] || kill "$WATCHER" 2>/dev/null || :
}

# Starts the watcher in the background with options $@, its stdout in $BATS_TEST_TMPDIR/stream.
start_watch() {
	"$MDKO" watch --tracefs "$T" --run-dir "$D" "$@" >"$BATS_TEST_TMPDIR/stream" \
		2>"$BATS_TEST_TMPDIR/watch.err" &
	WATCHER=$!
	# it writes its pid file once it reads
	for _ in $(seq 100); do
		[[ -f $D/watch.pid ]] && return
		sleep 0.05
	done
	fail "the watcher wrote no $D/watch.pid: $(cat "$BATS_TEST_TMPDIR/watch.err")"
}

# The report in $output, taken over from the watcher, is report $1 that read the buffer
# itself, but for the low point: the watcher samples MemAvailable, the buffer cannot.
assert_same_as_direct() {
	assert_json '.low_point.samples > 0' true
	assert_json '(.low_point.series | length) >= 1 and (.low_point.series | length) <= 512' true
	assert_equal "$(jq -c 'del(.low_point)' <<<"$output")" "$(jq -c . <<<"$1")"
}

# Writes trace file $1 into the FIFO as trace_pipe would hand it out.
feed() {
	cat "$1" >"$I/trace_pipe"
}

@test "watch: report takes the watcher's accounting, the same as reading the buffer" {
	cp "$FIXTURES/boot-shell.trace" "$I/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" \
		--format json
	local direct=$output

	start_watch --min-kib 0
	feed "$FIXTURES/boot-shell.trace"
	: >"$I/trace" # what the watcher consumed is gone from the buffer
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" \
		--format json
	wait "$WATCHER"
	WATCHER=
	assert_same_as_direct "$direct"
	assert_json '.complete' true
	[[ ! -e $D/watch.pid && ! -e $D/state ]] || fail "the handover left $(ls "$D")"
}

@test "watch: the handover keeps kernel threads and late pages" {
	cat >"$BATS_TEST_TMPDIR/threads.trace" <<-'EOT'
	        modprobe-194     [001] .....     5.980000: module_load: alpha
	        modprobe-194     [001] ...1.     5.985455: task_rename: pid=196 oldcomm=kthreadd newcomm=alpha_thread oom_score_adj=0
	    alpha_thread-196     [000] .....     5.990000: mm_page_alloc: page=00000000deadbeef pfn=0x2000 order=2 migratetype=0 gfp_flags=GFP_KERNEL
	     kworker/0:1-20      [000] .....     5.991000: workqueue_execute_start: work struct 00000000a1b2c3d4: function vmstat_update
	        modprobe-194     [001] .....     6.000000: module_put: alpha call_site=do_init_module refcnt=1
	              sh-300     [000] .....     7.000000: mm_page_alloc: page=00000000deadbeef pfn=0x3000 order=1 migratetype=0 gfp_flags=GFP_KERNEL
	              sh-300     [000] .....     7.000001: <stack trace>
	 => __alloc_pages+0x18c/0x330
	 => alpha_probe+0x2c/0x90 [alpha]
	EOT
	cp "$BATS_TEST_TMPDIR/threads.trace" "$I/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" \
		--format json
	local direct=$output

	start_watch --min-kib 0
	feed "$BATS_TEST_TMPDIR/threads.trace"
	: >"$I/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" \
		--format json
	wait "$WATCHER"
	WATCHER=
	assert_same_as_direct "$direct"
	assert_json '.kthreads_measured' true
	assert_json '.modules[] | select(.name == "alpha") | "\(.kthreads) \(.kthread_pages) \(.late_pages)"' '1 4 2'
}

@test "watch: a line per finished load from --min-kib on, as the loads end" {
	start_watch --min-kib 100
	feed "$FIXTURES/boot-shell.trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" \
		--format json
	wait "$WATCHER"
	WATCHER=
	# every load of at least 25 pages, and no other
	local expected streamed
	expected=$(jq -r '.modules[] | select(.pages != null and .pages >= 25) |
		"\(.name) \(.pages) \(.net_pages)"' <<<"$output" | sort)
	streamed=$(sed -nE 's/^(.*): init returned after [0-9.]+ ms: ([0-9]+) pages \([0-9]+ KiB\), ([0-9]+) not freed, loaded by .*/\1 \2 \3/p' \
		"$BATS_TEST_TMPDIR/stream" | sort)
	[[ -n $expected ]] || fail 'the fixture has no load of 100 KiB'
	assert_equal "$streamed" "$expected"
}

# A trace in which modprobe[500] loads hog, whose init allocates 2^10-page blocks until
# the OOM killer chooses pid 42 and then 77; hog is still in init at the end.
oom_trace() {
	local i ts=10
	echo "        modprobe-500     [000] .....    $ts.000000: module_load: hog"
	for i in $(seq 1 12); do
		printf '        modprobe-500     [000] .....    %d.%06d: mm_page_alloc: page=0xffffea0000400000 pfn=0x%x order=10 migratetype=0 gfp_flags=GFP_KERNEL\n' \
			"$ts" "$i" $((0x100000 + i * 1024))
	done
	echo "        modprobe-500     [000] .....    $ts.500000: mark_victim: pid=42"
	echo "        modprobe-500     [000] .....    $ts.600000: mark_victim: pid=77"
}

# Feeds the trace that command $1 prints to a watcher, then reports (JSON in $output):
# the watcher's streamed lines in $stream.
watch_trace() {
	"$1" >"$BATS_TEST_TMPDIR/oom.trace"
	start_watch
	feed "$BATS_TEST_TMPDIR/oom.trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --format json
	wait "$WATCHER"
	WATCHER=
	stream=$(cat "$BATS_TEST_TMPDIR/stream")
}

@test "watch: a load that grows and the OOM killer's victims are streamed" {
	local stream
	watch_trace oom_trace
	# 1024 pages = 4 MiB is the first step, then each quarter more: 1280, 1600, 2000, ...
	[[ $stream == *"hog: still in init: 1024 pages (4096 KiB) so far, 1024 not freed, loaded by modprobe[500]"* ]] ||
		fail "no growth line at 4 MiB: $stream"
	[[ $stream == *"hog: still in init: 2048 pages (8192 KiB) so far"* ]] || fail "$stream"
	[[ $stream == *"hog: still in init: 12288 pages (49152 KiB) so far"* ]] || fail "$stream"
	[[ $stream == *"OOM: the OOM killer chose pid 42 at 10.500000 s (kill 1; the allocation was by modprobe[500])"* ]] ||
		fail "no OOM line: $stream"
	[[ $stream == *"OOM: hog is still in init: 12288 pages (49152 KiB) so far, 12288 not freed, loaded by modprobe[500]"* ]] ||
		fail "no loading line at the OOM: $stream"
	[[ $stream == *"OOM: the OOM killer chose pid 77 at 10.600000 s (kill 2;"* ]] || fail "$stream"
	assert_json '.oom_kills' 2
	assert_json '.modules[0] | "\(.name) \(.status) \(.pages) \(.oom_kills)"' 'hog loading 12288 2'
}

# modprobe[500] loads nic and returns; then ip[600] opens its interface, whose open takes
# 2^10-page blocks (each with its stack, nic's code on it) until the OOM killer strikes.
late_oom_trace() {
	local i ts=20
	echo "        modprobe-500     [000] .....    10.000000: module_load: nic"
	echo "        modprobe-500     [000] .....    10.100000: module_put: nic call_site=do_init_module refcnt=1"
	for i in $(seq 1 12); do
		printf '              ip-600     [001] .....    %d.%06d: mm_page_alloc: page=0xffffea0000400000 pfn=0x%x order=10 migratetype=0 gfp_flags=GFP_KERNEL\n' \
			"$ts" "$i" $((0x100000 + i * 1024))
		printf '              ip-600     [001] .....    %d.%06d: <stack trace>\n' "$ts" "$i"
		printf ' => %s\n' '__alloc_pages+0x18c/0x330' 'nic_open+0x2c/0x90 [nic]' '__dev_open+0xf0/0x1b0'
	done
	echo "              ip-600     [001] .....    $ts.500000: mark_victim: pid=42"
}

@test "watch: late pages that grow are streamed, and named at an OOM" {
	local stream
	watch_trace late_oom_trace
	[[ $stream == *"nic: after its load its code took 1024 pages (4096 KiB) so far (late), the latest in ip[600]"* ]] ||
		fail "no late line at 4 MiB: $stream"
	[[ $stream == *"nic: after its load its code took 2048 pages (8192 KiB) so far (late)"* ]] || fail "$stream"
	# each quarter more: 6102 pages is passed at 6144, the next one (7627) not at 7168
	[[ $stream != *"nic: after its load its code took 7168 pages"* ]] || fail "no quarter steps: $stream"
	[[ $stream == *"OOM: the most pages taken after the load (late): nic 12288 pages"* ]] ||
		fail "the OOM lines do not name nic: $stream"
	assert_json '.modules[0] | "\(.name) \(.pages) \(.late_pages)"' 'nic 0 12288'
}

@test "watch: the saved trace is the trace the watcher read" {
	start_watch --save-trace "$BATS_TEST_TMPDIR/saved.trace"
	feed "$FIXTURES/mixed.trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" \
		--save-trace "$BATS_TEST_TMPDIR/saved.trace"
	wait "$WATCHER"
	WATCHER=
	# after the line that names this machine's page size, for report --input
	cmp <(echo "# memdebug-ko: page_size=$(getconf PAGESIZE)"; cat "$FIXTURES/mixed.trace") \
		"$BATS_TEST_TMPDIR/saved.trace"
	[[ $stderr != *"nothing to save"* ]] || fail "$stderr"
}

@test "watch: a watcher that is gone without handing over makes the report INCOMPLETE" {
	mkdir -p "$D"
	# a pid no process has
	echo 4194304 >"$D/watch.pid"
	cp "$FIXTURES/mixed.trace" "$I/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D"
	[[ $stderr == *"the watcher (pid 4194304) left no state in $D: the events it read are lost"* ]] ||
		fail "$stderr"
	assert_line --partial 'malformed lines skipped: INCOMPLETE'
	assert_line 'INCOMPLETE: the watcher read events and is gone without handing them over; figures are too low'
}

@test "watch: not for the top-level buffer of trace_event=, which is not ours to consume" {
	rm -rf "$I"
	for ev in module/module_load kmem/mm_page_alloc kmem/mm_page_free; do
		echo 1 >"$T/events/$ev/enable"
	done
	run -0 --separate-stderr "$MDKO" watch --tracefs "$T" --run-dir "$D"
	[[ $stderr == *"not ours to consume: no watcher"* ]] || fail "$stderr"
	[[ ! -e $D/watch.pid ]]
}

@test "watch: reads the top-level buffer that prepare claimed, report gives it back" {
	make_idle_top "$T"
	run -0 "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	mkfifo "$T/trace_pipe"
	cp "$FIXTURES/boot-shell.trace" "$T/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" \
		--format json --keep
	local direct=$output

	start_watch --min-kib 0
	cat "$FIXTURES/boot-shell.trace" >"$T/trace_pipe"
	: >"$T/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" \
		--format json
	wait "$WATCHER"
	WATCHER=
	assert_same_as_direct "$direct"
	assert_json '.buffer' top-level
	[[ $stderr == *"gave back the top-level buffer of $T"* ]] || fail "$stderr"
	assert_equal "$(cat "$T/buffer_size_kb")" 7
	[[ ! -e $D/top-level && ! -e $D/watch.pid && ! -e $D/state ]] || fail "left $(ls "$D")"
}

@test "watch: --daemon returns once the watcher runs in the background" {
	run -0 --separate-stderr "$MDKO" watch --tracefs "$T" --run-dir "$D" --daemon
	local pid
	pid=$(cat "$D/watch.pid")
	WATCHER=$pid
	kill -0 "$pid"
	[[ $stderr == *"watching the trace (pid $pid)"* ]] || fail "$stderr"
	feed "$FIXTURES/mixed.trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --format json
	assert_json '.events' 27
	# it exits right after it handed over
	for _ in $(seq 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$pid" 2>/dev/null || fail "the watcher $pid still runs 2 s after the report"
	WATCHER=
}

@test "watch: at most one watcher: a second one, even with its pid file gone, starts none" {
	run -0 --separate-stderr "$MDKO" watch --tracefs "$T" --run-dir "$D" --daemon
	local pid
	pid=$(cat "$D/watch.pid")
	WATCHER=$pid
	run -0 --separate-stderr "$MDKO" watch --tracefs "$T" --run-dir "$D" --daemon
	[[ $stderr == *"a watcher already reads the trace (pid $pid): left as it is"* ]] || fail "$stderr"
	# the lock, not the pid file, tells: a watcher whose pid file went is still the one
	rm "$D/watch.pid"
	run -0 --separate-stderr "$MDKO" watch --tracefs "$T" --run-dir "$D" --daemon
	[[ $stderr == *"a watcher already reads the trace (it holds $D/watch.lock): left as it is"* ]] ||
		fail "$stderr"
	[[ $stderr != *"watching the trace"* ]] || fail "a second watcher: $stderr"
	assert_equal "$(pgrep -cxf "$MDKO_CMD watch --tracefs $T --run-dir $D --daemon")" 1
}

@test "watch: --once after this boot's report starts no watcher; prepare --once arms nothing" {
	feed "$FIXTURES/mixed.trace" &
	start_watch
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --format json
	WATCHER=
	[[ -e $D/reported ]] || fail "report left no $D/reported"
	run -0 --separate-stderr "$MDKO" watch --tracefs "$T" --run-dir "$D" --daemon --once
	[[ $stderr == *"this boot's report has run already ($D/reported): no watcher starts"* ]] ||
		fail "$stderr"
	[[ ! -e $D/watch.pid ]] || fail "a watcher started after the report"
	echo 0 >"$I/tracing_on"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --run-dir "$D" --once
	[[ $stderr == *"this boot's report has run already ($D/reported): nothing is traced again"* ]] ||
		fail "$stderr"
	assert_equal "$(cat "$I/tracing_on")" 0
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --once
	assert_output ''
	[[ $stderr == *"this boot's report has run already ($D/reported): not again"* ]] || fail "$stderr"
	# by hand, without --once, a new round starts
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	assert_equal "$(cat "$I/tracing_on")" 1
}
