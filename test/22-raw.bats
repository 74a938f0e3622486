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
	# a commit word that claims more data than a sub-buffer holds, in the machine's order
	{ two_cpus; echo 'commit 1 134217727'; } | "$RAWGEN" "$T"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.modules[0].pages' 5
	assert_json '.malformed_lines' 1
}

# A system root whose /sys/module places the raw stacks' frames: alpha's text from
# 0xffffffffc0100000 (coresize 16 KiB; its init text is freed, its data is no code),
# beta's from 0xffffffffc0200000 (8 KiB), and a built-in module without sections.
fake_sys_module() {
	local m=$BATS_TEST_TMPDIR/root/sys/module

	mkdir -p "$m/alpha/sections" "$m/beta/sections" "$m/builtin/parameters"
	echo 0xffffffffc0100000 >"$m/alpha/sections/.text"
	echo 0xffffffffc0103000 >"$m/alpha/sections/.text.unlikely"
	echo 0xffffffffc0300000 >"$m/alpha/sections/.init.text"
	echo 0xffffffffc0105000 >"$m/alpha/sections/.data"
	echo 16384 >"$m/alpha/coresize"
	echo 0xffffffffc0200000 >"$m/beta/sections/.text"
	echo 8192 >"$m/beta/coresize"
}

# alpha loads; then pages outside every load, each with its stack, innermost frame first:
# ip opens alpha's interface (4 pages); a stack that starts in a trampoline above beta's
# text, then beta's code calling alpha's (1 page: beta's); the kernel's own, an address
# past alpha's text among its frames (2); a softirq that interrupts modprobe in a second
# load of alpha, in beta's code (8: not the load's); a kworker running alpha's timer's
# work (1).
late_stacks() {
	cat <<-'EOF'
		0 1000000000 100 modprobe module_load name=alpha
		0 1000001000 100 modprobe mm_page_alloc pfn=0x1000 order=0 migratetype=0
		0 1000006000 100 modprobe module_put name=alpha ip=0xffffffff81123456 refcnt=1
		1 2000000000 300 ip mm_page_alloc pfn=0x9000 order=2 migratetype=0
		1 2000000001 300 ip kernel_stack caller=0xffffffff81200000,0xffffffff81200100,0xffffffffc0103010,0xffffffff81300000
		1 2000001000 300 ip mm_page_alloc pfn=0xa000 order=0 migratetype=0
		1 2000001001 300 ip kernel_stack caller=0xffffffffc0201f00,0xffffffff81200000,0xffffffffc0200040,0xffffffffc0100010
		1 2000002000 300 ip mm_page_alloc pfn=0xb000 order=1 migratetype=0
		1 2000002001 300 ip kernel_stack caller=0xffffffff81200000,0xffffffffc0104800,0xffffffff81300000
		0 3000000000 100 modprobe module_load name=gamma
		0 3000001000 100 modprobe mm_page_alloc pfn=0xc000 order=3 migratetype=0 common_flags=0x10
		0 3000001001 100 modprobe kernel_stack caller=0xffffffff81200000,0xffffffffc0200080,0xffffffff81400000 common_flags=0x10
		0 3000002000 100 modprobe module_put name=gamma ip=0xffffffff81123456 refcnt=1
		1 4000000000 50 kworker/1:1 mm_page_alloc pfn=0xd000 order=0 migratetype=0
		1 4000000001 50 kworker/1:1 kernel_stack caller=0xffffffff81200000,0xffffffffc0100400,0xffffffff81500000
	EOF
}

@test "raw: stacks of allocations outside the loads give each module its late pages" {
	fake_sys_module
	late_stacks | "$RAWGEN" "$T"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--root "$BATS_TEST_TMPDIR/root" --save-trace "$BATS_TEST_TMPDIR/saved" --format json
	assert_json '.late_measured' true
	assert_json '[.modules[] | {name, pages, late_pages}]' \
		'[{"name":"alpha","pages":1,"late_pages":5},{"name":"beta","pages":null,"late_pages":9},{"name":"gamma","pages":0,"late_pages":0}]' -c
	# beta was loaded before tracing: its late pages all the same
	assert_json '.modules[1].status' before-tracing
	assert_json '.total.late_pages' 14
	# the saved trace names the modules of the frames, and replays to the same figures
	run -0 grep -c '=> 0xffffffffc0103010 \[alpha\]' "$BATS_TEST_TMPDIR/saved"
	# the trampoline above beta's text, where the stack starts, is left out
	run -1 grep -c '0xffffffffc0201f00' "$BATS_TEST_TMPDIR/saved"
	run -0 --separate-stderr "$MDKO" report --input "$BATS_TEST_TMPDIR/saved" --format json
	assert_json '[.modules[] | .late_pages]' '[5,9,0]' -c
	# the table has the column, the load's own pages stay apart
	run -0 --separate-stderr "$MDKO" report --input "$BATS_TEST_TMPDIR/saved"
	assert_line --regexp '^alpha +1 +4 +1 +[-0-9]+ +5 '
	assert_line --regexp '^beta +- +- +- +- +9 '
	assert_line --regexp '^total +1 +4 +1 +[-0-9]+ +14 '
}

@test "raw: stacks without the modules' addresses leave late pages not measured, said why" {
	late_stacks | "$RAWGEN" "$T"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.late_measured' false
	assert_json '.modules[0].late_pages' null
	# kptr_restrict=2: every address reads as 0
	fake_sys_module
	find "$BATS_TEST_TMPDIR/root" -path '*/sections/*' -type f \
		-exec sed -i 's/0x.*/0x0000000000000000/' {} +
	late_stacks | "$RAWGEN" "$T"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--root "$BATS_TEST_TMPDIR/root"
	assert_output --partial 'late: not measured: 5 kernel stacks came without the modules'"'"' addresses'
	refute_line --regexp '^module .* late '
}

@test "raw: a stack inside a window (PID 1, a kworker's work) names no call site" {
	fake_sys_module
	cat <<-'EOF' | "$RAWGEN" "$T"
		0 1000000000 1 systemd module_load name=alpha
		0 1000001000 1 systemd mm_page_alloc pfn=0x1000 order=1 migratetype=0
		0 1000001001 1 systemd kernel_stack caller=0xffffffff81200000,0xffffffffc0100010,0xffffffff81300000
		0 1000006000 1 systemd module_put name=alpha ip=0xffffffff81123456 refcnt=1
		0 2000000000 1 systemd mm_page_alloc pfn=0x2000 order=0 migratetype=0
		0 2000000001 1 systemd kernel_stack caller=0xffffffff81200000,0xffffffffc0100020,0xffffffff81300000
	EOF
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--root "$BATS_TEST_TMPDIR/root" --format json
	# the load's 2 pages are its own; PID 1's later page went to alpha's code: late
	assert_json '.modules[0] | [.pages, .late_pages, (.sites | length)]' '[2,1,0]' -c
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--root "$BATS_TEST_TMPDIR/root"
	refute_output --partial 'call sites'
}

@test "raw: the load's work that runs another module's code gives that module late pages" {
	fake_sys_module
	# beta's load queues work (the deferred probe its driver's binding triggers): a page of
	# the kernel's own for it, 4 in alpha's probe, 2 in beta's code; alpha gives its back
	cat <<-'EOF' | "$RAWGEN" "$T"
		0 1000000000 100 modprobe module_load name=beta
		0 1000002000 100 modprobe workqueue_queue_work work=0xffff888001234560
		0 1000006000 100 modprobe module_put name=beta ip=0xffffffff81123456 refcnt=1
		1 2000000000 50 kworker/u4:1 workqueue_execute_start work=0xffff888001234560
		1 2000000100 50 kworker/u4:1 mm_page_alloc pfn=0x2000 order=0 migratetype=0
		1 2000000101 50 kworker/u4:1 kernel_stack caller=0xffffffff81200000,0xffffffff81300000
		1 2000000200 50 kworker/u4:1 mm_page_alloc pfn=0x3000 order=2 migratetype=0
		1 2000000201 50 kworker/u4:1 kernel_stack caller=0xffffffff81200000,0xffffffffc0100400,0xffffffff81300000
		1 2000000300 50 kworker/u4:1 mm_page_alloc pfn=0x4000 order=1 migratetype=0
		1 2000000301 50 kworker/u4:1 kernel_stack caller=0xffffffff81200000,0xffffffffc0200100,0xffffffff81300000
		1 2000000400 50 kworker/u4:1 mm_page_free pfn=0x3000 order=2
		1 2000000500 50 kworker/u4:1 workqueue_execute_end work=0xffff888001234560
	EOF
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--root "$BATS_TEST_TMPDIR/root" --format json
	assert_json '[.modules[] | {name, deferred_pages, deferred_net_pages, late_pages}]' \
		'[{"name":"beta","deferred_pages":3,"deferred_net_pages":3,"late_pages":0},{"name":"alpha","deferred_pages":null,"deferred_net_pages":null,"late_pages":4}]' -c
}

@test "raw: a stack record that claims more addresses than it holds is read to its end" {
	fake_sys_module
	cat <<-'EOF' | "$RAWGEN" "$T"
		0 1000000000 300 ip mm_page_alloc pfn=0x9000 order=0 migratetype=0
		0 1000000001 300 ip kernel_stack caller=0xffffffff81200000,0xffffffffc0100010 size=1000000
		0 1000001000 300 ip mm_page_alloc pfn=0xa000 order=0 migratetype=0
		0 1000001001 300 ip kernel_stack caller=0xffffffff81200000,0xffffffffc0100010 size=-1
		0 1000002000 300 ip mm_page_alloc pfn=0xb000 order=0 migratetype=0
		0 1000002001 300 ip kernel_stack size=0
	EOF
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" \
		--root "$BATS_TEST_TMPDIR/root" --format json
	assert_json '.malformed_lines' 0
	assert_json '.modules[] | select(.name == "alpha") | .late_pages' 2
}

@test "raw: sub-buffers of 64 KiB pages (ppc64le, arm64 64K kernels) read the same" {
	two_cpus | "$RAWGEN" "$T" 65536
	[[ $(stat -c %s "$I/per_cpu/cpu0/trace_pipe_raw") == 65536 ]]
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$R" --proc "$P" --format json
	assert_json '.events' 11
	assert_json '.malformed_lines' 0
	assert_json '.modules[0].pages' 5
	assert_json '.modules[0].deferred_pages' 2
}
