#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The raw reader (src/source-raw.c): fake tracefs trees whose per-CPU ring buffers test/rawgen.c
# writes in the kernel's binary layout, read by report and by the watcher.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR/tracing
	I=$T/instances/memdebug-ko
	R=$BATS_TEST_TMPDIR/run
	P=$BATS_TEST_TMPDIR/proc
	make_tracefs "$T"
	mkdir -p "$R" "$P"
	RAWGEN=${RAWGEN:?set RAWGEN to test/rawgen (test/meson.build does)}
}

# A load of alpha by modprobe on CPU 0 whose events interleave with CPU 1's: its work run
# by a kworker there, and another task's allocation that is no load's.
two_cpus() {
	cat <<-'EOF'
		0 1000000000 100 modprobe module_load name=alpha
		0 1000001000 100 modprobe mm_page_alloc pfn=0x1000 order=0 migratetype=0
		1 1000001500 300 other mm_page_alloc pfn=0x9000 order=3 migratetype=0
		0 1000002000 100 modprobe workqueue_queue_work work=0xffff888001234560
		1 1000003000 50 kworker/1:1 workqueue_execute_start work=0xffff888001234560
		1 1000003100 50 kworker/1:1 mm_page_alloc pfn=0x2000 order=1 migratetype=0
		1 1000003200 50 kworker/1:1 workqueue_execute_end work=0xffff888001234560
		long 0
		0 1000004000 100 modprobe mm_page_alloc pfn=0x1004 order=2 migratetype=0
		0 1000004500 100 modprobe module_put name=alpha ip=0xffffffffc0001234 refcnt=2
		0 1000005000 100 modprobe mm_page_free pfn=0x1000 order=0
		0 1000006000 100 modprobe module_put name=alpha ip=0xffffffff81123456 refcnt=1
	EOF
}

@test "raw: report reads the per-CPU buffers in time order, work and long records too" {
	two_cpus | "$RAWGEN" "$T"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.source' live
	assert_json '.events' 11
	assert_json '.malformed_lines' 0
	assert_json '.modules | length' 1
	assert_json '.modules[0].name' alpha
	assert_json '.modules[0].comm' modprobe
	# 1 + 4 pages, one freed; the put inside init (refcnt 2) did not end it
	assert_json '.modules[0].pages' 5
	assert_json '.modules[0].net_pages' 4
	assert_json '.modules[0].closed_by' module_put
	assert_json '.modules[0].end_s' 1.000006
	# the work item's real address ties the kworker's 2 pages to the load
	assert_json '.modules[0].deferred_pages' 2
	assert_json '.deferred_measured' true
	# reading consumed nothing of the fake files, but the report gave the buffer back
	assert_equal "$(cat "$I/tracing_on")" 0
}

@test "raw: a delta beyond 27 bits takes a time extend, and a discarded record no time" {
	cat <<-'EOF' | "$RAWGEN" "$T"
		0 1000000000 100 modprobe module_load name=alpha
		discard 0 16
		0 1000000100 100 modprobe mm_page_alloc pfn=0x1000 order=0 migratetype=0
		0 1900000000 100 modprobe mm_page_alloc pfn=0x1004 order=2 migratetype=0
		0 5000000000 100 modprobe module_put name=alpha ip=0xffffffff81123456 refcnt=1
	EOF
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.modules[0].pages' 5
	assert_json '.modules[0].load_s' 1
	assert_json '.modules[0].end_s' 5
	assert_json '.modules[0].init_ms' 4000
}

@test "raw: events lost before a sub-buffer are counted when the stats cannot be read" {
	cat <<-'EOF' | "$RAWGEN" "$T"
		0 1000000000 100 modprobe module_load name=alpha
		lost 0 7
		0 1000000100 100 modprobe mm_page_alloc pfn=0x1000 order=0 migratetype=0
		0 1000000200 100 modprobe module_put name=alpha ip=0xffffffff81123456 refcnt=1
	EOF
	rm "$I"/per_cpu/cpu*/stats
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.lost_events' 7
	assert_json '.complete' false
}

@test "raw: a put that leaves refcnt 1 ends init, on either path; its call site too" {
	cat <<-'EOF' | "$RAWGEN" "$T"
		0 1000000000 100 modprobe module_load name=alpha
		0 1000000100 100 modprobe module_put name=alpha ip=0xffffffff81123456 refcnt=1
		0 2000000000 100 modprobe module_load name=beta
		0 2000000100 100 modprobe mm_page_alloc pfn=0x1000 order=1 migratetype=0
		0 2100000000 100 modprobe module_put name=beta ip=0xffffffffc0009999 refcnt=2
		0 2150000000 100 modprobe mm_page_alloc pfn=0x1010 order=0 migratetype=0
		0 2200000000 100 modprobe module_put name=beta ip=0xffffffff81123456 refcnt=3
		0 3000000000 100 modprobe module_load name=gamma
		0 3000000100 100 modprobe mm_page_alloc pfn=0x2000 order=0 migratetype=0
		0 3100000000 100 modprobe module_put name=gamma ip=0xffffffff81123999 refcnt=1
		0 3100000100 100 modprobe module_free name=gamma
	EOF
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	# beta's own get and put (refcnt 2) did not end its init; the put at do_init_module's
	# call site did, although beta kept a reference of its own (refcnt 3)
	assert_json '.modules[] | select(.name == "beta") | .pages' 3
	assert_json '.modules[] | select(.name == "beta") | .end_s' 2.2
	# gamma's init failed: do_init_module dropped the reference on its other path
	assert_json '.modules[] | select(.name == "gamma") | .status' failed
	assert_json '.modules[] | select(.name == "gamma") | .end_s' 3.1
}

@test "raw: comms come from saved_cmdlines; a pid it lacks is <...>" {
	printf '%s\n' '0 1000000000 100 modprobe module_load name=alpha' \
		'0 1000000100 100 modprobe module_put name=alpha ip=0xffffffff81123456 refcnt=1' |
		"$RAWGEN" "$T"
	: >"$T/saved_cmdlines"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.modules[0].comm' '<...>'
}

# Replays trace file $1 saved from the buffers of two_cpus: its figures, in $output.
replay_two_cpus() {
	run -0 --separate-stderr "$MDKO" report --input "$1" --format json
	assert_json '.events' 11
	assert_json '.modules[0].pages' 5
	assert_json '.modules[0].net_pages' 4
	assert_json '.modules[0].deferred_pages' 2
}

@test "raw: the watcher reads the raw buffers and saves them as a trace report replays" {
	two_cpus | "$RAWGEN" "$T"
	"$MDKO" watch --tracefs "$T" --run-dir "$R" --save-trace "$BATS_TEST_TMPDIR/saved" -q &
	for _ in $(seq 50); do [[ -s $R/watch.pid ]] && break; sleep 0.1; done
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	wait
	assert_json '.modules[0].pages' 5
	assert_json '.modules[0].deferred_pages' 2
	# the saved lines give the same figures offline
	replay_two_cpus "$BATS_TEST_TMPDIR/saved"
	assert_json '.modules[0].end_s' 1.000006
	run grep -c 'work struct 0xffff888001234560' "$BATS_TEST_TMPDIR/saved"
	assert_output 2
}

@test "raw: report --save-trace saves the raw events, with the work addresses the text hides" {
	two_cpus | "$RAWGEN" "$T"
	# what a kernel whose random pool is not ready prints: every work as (____ptrval____)
	printf '%s\n' '     modprobe-100     [000] .....     1.000002: workqueue_queue_work: work struct=(____ptrval____) function=f workqueue=events req_cpu=8192 cpu=0' >"$I/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--save-trace "$BATS_TEST_TMPDIR/saved" --format json
	assert_json '.modules[0].deferred_pages' 2
	replay_two_cpus "$BATS_TEST_TMPDIR/saved"
	assert_json '.deferred_measured' true
	run grep -c 'work struct 0xffff888001234560' "$BATS_TEST_TMPDIR/saved"
	assert_output 2
	run grep -c ptrval "$BATS_TEST_TMPDIR/saved"
	assert_output 0
}

@test "raw: what an interrupt allocates or queues is not the load's, saved trace too" {
	# the kernel's trace flags: 0x10 softirq, 0x08 hardirq, 0x01 irqs off (no interrupt)
	cat <<-'EOF' | "$RAWGEN" "$T"
		0 1000000000 100 modprobe module_load name=alpha
		0 1000001000 100 modprobe mm_page_alloc pfn=0x1000 order=0 migratetype=0 common_flags=0x01
		0 1000001500 100 modprobe mm_page_alloc pfn=0x9000 order=3 migratetype=0 common_flags=0x10
		0 1000002000 100 modprobe workqueue_queue_work work=0xffff888001234560 common_flags=0x09
		1 1000003000 50 kworker/1:1 workqueue_execute_start work=0xffff888001234560
		1 1000003100 50 kworker/1:1 mm_page_alloc pfn=0x2000 order=1 migratetype=0
		1 1000003200 50 kworker/1:1 workqueue_execute_end work=0xffff888001234560
		0 1000006000 100 modprobe module_put name=alpha ip=0xffffffff81123456 refcnt=1
	EOF
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--save-trace "$BATS_TEST_TMPDIR/saved" --format json
	assert_json '.modules[0].pages' 1
	assert_json '.modules[0].deferred_pages' 0
	run -0 grep -c ' \.\.s\.\. ' "$BATS_TEST_TMPDIR/saved"
	assert_output 2
	run -0 --separate-stderr "$MDKO" report --input "$BATS_TEST_TMPDIR/saved" --format json
	assert_json '.modules[0].pages' 1
	assert_json '.modules[0].deferred_pages' 0
}

@test "raw: a malformed sub-buffer is counted, never read past" {
	two_cpus | "$RAWGEN" "$T"
	# a commit word that claims more data than a sub-buffer holds
	printf '\377\377\377\007' | dd of="$I/per_cpu/cpu1/trace_pipe_raw" bs=1 seek=8 conv=notrunc status=none
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.modules[0].pages' 5
	assert_json '.malformed_lines' 1
}
