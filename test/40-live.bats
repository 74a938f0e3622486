#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# prepare and live report against fake tracefs trees (no root, no kernel needed).

load helpers

setup() {
	T=$BATS_TEST_TMPDIR/tracing
	I=$T/instances/memdebug-ko
	make_tracefs "$T"
	mkdir -p "$BATS_TEST_TMPDIR/proc"
	P=$BATS_TEST_TMPDIR/proc
}

@test "prepare: configures the instance and turns tracing on" {
	echo 0 >"$I/tracing_on"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	assert_equal "$(cat "$I/buffer_size_kb")" "$DEFAULT_BUFFER_KB"
	assert_equal "$(cat "$I/trace_clock")" global
	assert_equal "$(cat "$I/options/overwrite")" 0
	assert_equal "$(cat "$I/options/hash-ptr")" "$(hash_ptr_after_prepare)"
	assert_equal "$(cat "$T/saved_cmdlines_size")" 4096
	for ev in module/module_load module/module_put module/module_free kmem/mm_page_alloc kmem/mm_page_free; do
		assert_equal "$(cat "$I/events/$ev/enable")" 1
	done
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(alloc_filter)"
	assert_equal "$(cat "$I/events/kmem/mm_page_free/filter")" "$(default_filter)"
	assert_equal "$(cat "$I/events/module/module_load/filter")" none
	assert_equal "$(cat "$I/tracing_on")" 1
	[[ "$stderr" == *"tracing module loads in $I ($DEFAULT_BUFFER_KB KiB per CPU)"* ]]
}

@test "prepare: a format that names __GFP_ACCOUNT by its enum bit keeps the kernel allocations, and says so" {
	# Linux between 772dd0342727 and 60295b944ff6 printed the bit's enum name, no number
	sed -i 's/0x400000u)/((((1UL))) << (___GFP_ACCOUNT_BIT)))/' "$I/events/kmem/mm_page_alloc/format"
	grep -q '___GFP_ACCOUNT_BIT' "$I/events/kmem/mm_page_alloc/format"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(default_filter) || migratetype == 0"
	[[ "$stderr" == *"mm_page_alloc's format gives __GFP_ACCOUNT no value to filter on"* ]]
	# a number after the shift is read as one
	make_tracefs "$T"
	sed -i 's/0x400000u)/((((1UL))) << (22)))/' "$I/events/kmem/mm_page_alloc/format"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(alloc_filter)"
	[[ "$stderr" != *"no value to filter on"* ]]
}

@test "prepare: --buffer-kb and --loader reach the instance" {
	echo 0 >"$I/tracing_on"
	run -0 "$MDKO" prepare --tracefs "$T" --buffer-kb 512 --loader my-loader,other --loader third -q
	assert_output ''
	assert_equal "$(cat "$I/buffer_size_kb")" 512
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/filter")" "$(alloc_filter my-loader other third)"
	# frees, work: the loaders'; the bulk allocator's kprobe events: every task's (few)
	assert_equal "$(cat "$I/events/kmem/mm_page_free/filter")" "$(default_filter my-loader other third)"
	assert_equal "$(cat "$I/events/memdebug_ko/bulk_enter/filter")" none
	# kernel threads that loads start: their creator renames them from kthreadd
	assert_equal "$(cat "$I/events/task/task_rename/filter")" 'oldcomm == "kthreadd"'
	assert_equal "$(cat "$I/events/task/task_rename/enable")" 1
	# from Linux 6.2: threads kthreadd forks, and the wakeups of loaders
	assert_equal "$(cat "$I/events/task/task_newtask/filter")" 'common_pid == 2'
	assert_equal "$(cat "$I/events/sched/sched_waking/filter")" \
		'!(comm ~ "rcu*") && !(comm ~ "kworker/*") && !(comm ~ "ksoftirqd/*") && !(comm ~ "swapper/*") && !(comm ~ "migration/*") && !(comm ~ "ktimers/*") && !(comm ~ "kswapd*") && !(comm ~ "kcompactd*")'
	assert_equal "$(cat "$I/events/sched/sched_waking/enable")" 1
	assert_equal "$(cat "$I/events/memdebug_ko/bulk_exit/enable")" 1
}

@test "prepare: by default the stacks of the allocations outside the loaders, for late pages" {
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --loader my-loader
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" "$(late_trigger my-loader)"
	assert_equal "$(cat "$I/events/memdebug_ko/bulk_exit/trigger")" "$(late_bulk_trigger my-loader)"
	# read from the raw buffers by address: no symbols wanted
	assert_equal "$(cat "$I/options/sym-offset")" 0
	[[ "$stderr" == *"recording the kernel stacks of allocations outside the loaders, for the late pages"* ]]
	# --no-late: none
	make_tracefs "$T"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --no-late
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" '# Available triggers:'
	assert_equal "$(cat "$I/events/memdebug_ko/bulk_exit/trigger")" '# Available triggers:'
	[[ "$stderr" != *"kernel stacks"* ]]
	run -0 "$MDKO" prepare --help
	assert_output --partial '--no-late'
}

@test "prepare: --stacks records a stack with each recorded allocation, with offsets" {
	run -0 "$MDKO" prepare --tracefs "$T" --stacks -q
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/trigger")" "stacktrace if $(alloc_filter)"
	assert_equal "$(cat "$I/events/memdebug_ko/bulk_exit/trigger")" "stacktrace"
	assert_equal "$(cat "$I/options/sym-offset")" 1
	run -0 "$MDKO" prepare --tracefs "$T" --help
	assert_output --partial '--stacks'
}

@test "prepare: without kprobe events a warning says vmalloc's pages will not be counted" {
	rm -rf "$T/kprobe_events" "$T/events/memdebug_ko" "$I/events/memdebug_ko"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" == *"warning: cannot add kprobe events on the bulk page allocator (No such file or directory): pages of vmalloc will not be counted"* ]]
	assert_equal "$(cat "$I/events/kmem/mm_page_alloc/enable")" 1
	assert_equal "$(cat "$I/tracing_on")" 1
}

@test "prepare: a larger saved_cmdlines_size is never lowered" {
	echo 0 >"$I/tracing_on"
	echo 32768 >"$T/saved_cmdlines_size"
	run -0 "$MDKO" prepare --tracefs "$T"
	assert_equal "$(cat "$T/saved_cmdlines_size")" 32768
}

@test "prepare: running it twice leaves the running instance and its events alone" {
	echo 0 >"$I/tracing_on"
	run -0 "$MDKO" prepare --tracefs "$T"
	echo 'traced before the second prepare' >"$I/trace"
	echo 1234 >"$I/buffer_size_kb"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --buffer-kb 64
	[[ "$stderr" == *"already tracing module loads: left as it is"* ]]
	assert_equal "$(cat "$I/trace")" 'traced before the second prepare'
	assert_equal "$(cat "$I/buffer_size_kb")" 1234
	assert_equal "$(cat "$I/tracing_on")" 1
}

@test "prepare: a kernel without module events is a runtime error and leaves no instance" {
	rm -rf "$T/instances/memdebug-ko" "$T/events/module"
	run -1 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" == *"error: cannot enable $I/events/module/module_load ("*"): no module load can be traced"* ]]
	[[ ! -e "$I" ]] || fail "prepare left $I behind"
}

@test "prepare: missing kmem events warn and module loads are still traced" {
	echo 0 >"$I/tracing_on"
	rm -rf "$I/events/kmem" "$T/events/kmem"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" == *"warning: cannot enable $I/events/kmem/mm_page_alloc"*"pages cannot be measured"* ]]
	assert_equal "$(cat "$I/events/module/module_load/enable")" 1
	assert_equal "$(cat "$I/tracing_on")" 1
}

@test "prepare: a kernel without module_put (no CONFIG_MODULE_UNLOAD) warns and goes on" {
	echo 0 >"$I/tracing_on"
	rm -rf "$I/events/module/module_put" "$T/events/module/module_put"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" == *"warning: cannot enable $I/events/module/module_put ("*"): load windows will close at the loader's next load"*"CONFIG_MODULE_UNLOAD"* ]]
}

@test "prepare: a directory that is no tracing directory is a runtime error" {
	run -1 --separate-stderr "$MDKO" prepare --tracefs "$BATS_TEST_TMPDIR"
	[[ "$stderr" == *"$BATS_TEST_TMPDIR is not a tracing directory"* ]]
}

# A live report's inputs: the instance's trace, stats, filter, and /proc/modules.
live_fixture() {
	cp "$FIXTURES/mixed.trace" "$I/trace"
	default_filter >"$I/events/kmem/mm_page_alloc/filter"
	sed -i 's/^dropped events: 0$/dropped events: 7/' "$I/per_cpu/cpu1/stats"
	echo 4096 >"$I/buffer_size_kb"
	cat >"$P/modules" <<-'EOT'
	early_mod 16384 0 - Live 0xffffffffc0100000
	ext4 1019904 1 - Live 0xffffffffc0200000
	crc16 16384 1 ext4, Live 0xffffffffc0300000
	virtio_net 61440 0 - Live 0xffffffffc0400000
	autofs4 53248 2 - Live 0xffffffffc0600000
	ata_piix 40960 0 - Live 0xffffffffc0700000
	EOT
}

@test "report: live report reads the instance, stats and /proc/modules" {
	live_fixture
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --format json
	assert_json '.source' live
	assert_json '.lost_events' 7
	assert_json '.complete' false
	assert_json '.buffer_kb' 4096
	# virtio_blk closed its window but is not in /proc/modules: its init failed
	assert_json '.modules[] | select(.name=="virtio_blk") | .status' failed
	assert_json '.modules[] | select(.name=="ext4") | .image_bytes' 1019904
	assert_json '.modules[] | select(.name=="ext4") | .status' loaded
	# in /proc/modules, never seen loading, oldest first; with events lost they may have
	# loaded among them
	assert_json '[.modules[] | select(.status=="not-seen") | .name] | join(" ")' 'ata_piix early_mod'
	assert_json '.modules[] | select(.name=="ata_piix") | .pages' null
	assert_json '.modules[] | select(.name=="custom") | .filtered' true
	assert_equal "$(cat "$I/tracing_on")" 0
}

@test "report: the live text report says how to enlarge the buffer when events were lost" {
	live_fixture
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P"
	assert_line --index 1 'events: 27 read, 7 lost, 0 malformed lines skipped: INCOMPLETE'
	assert_output --partial 'rd.memdebug_ko.buffer_kb='
	assert_output --partial 'now 4096 KiB per CPU'
	assert_line --regexp '^ata_piix +- +- +- +- +40 +- +not-seen +-$'
	assert_output --partial 'not-seen: 2 modules in /proc/modules not seen loading: before tracing started, or among the lost events'
}

@test "report: with nothing lost, modules never seen loading were loaded before tracing" {
	live_fixture
	sed -i 's/^dropped events: 7$/dropped events: 0/' "$I/per_cpu/cpu1/stats"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --format json
	assert_json '[.modules[] | select(.status=="before-tracing") | .name] | join(" ")' 'ata_piix early_mod'
	assert_json '.complete' true
}

@test "report: without module_put, a load still open at the end but Live has loaded" {
	live_fixture
	rm -rf "$I/events/module/module_put"
	# slow_init never reached its put in the trace; /proc/modules says its init returned
	echo 'slow_init 16384 0 - Live 0xffffffffc0800000' >>"$P/modules"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --format json
	assert_json '.modules[] | select(.name=="slow_init") | .status' loaded
	assert_json '.modules[] | select(.name=="slow_init") | .closed_by' trace-end
	assert_json '.modules[] | select(.name=="slow_init") | .init_ms' null
	echo 'slow_init 16384 0 - Loading 0xffffffffc0800000' >"$BATS_TEST_TMPDIR/m"
	grep -v '^slow_init' "$P/modules" >>"$BATS_TEST_TMPDIR/m" && mv "$BATS_TEST_TMPDIR/m" "$P/modules"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --format json
	assert_json '.modules[] | select(.name=="slow_init") | .status' loading
}

@test "report: a loader that the trace names by its comm from before its exec is measured" {
	# the text trace prints a pid's comm from a cache that may still hold the shell's name
	# from before it exec'd modprobe; events only the loader filter lets through (a free,
	# a movable page) show the filter knew it as modprobe
	alloc_filter >"$I/events/kmem/mm_page_alloc/filter"
	cat >"$I/trace" <<-'EOT'
	            init-185     [000] .....     6.790000: mm_page_free: page=00000000a0208346 pfn=0x2793 order=0
	            init-185     [000] .....     6.794000: module_load: alpha
	            init-185     [000] .....     6.795000: mm_page_alloc: page=00000000300d81e6 pfn=0x2796 order=1 migratetype=0 gfp_flags=GFP_KERNEL
	            init-185     [000] .....     6.796000: module_put: alpha call_site=do_init_module refcnt=1
	            init-186     [000] .....     6.800000: module_load: beta
	            init-186     [000] .....     6.801000: mm_page_alloc: page=00000000300d81e6 pfn=0x2800 order=0 migratetype=0 gfp_flags=GFP_KERNEL
	            init-186     [000] .....     6.802000: module_put: beta call_site=do_init_module refcnt=1
	EOT
	: >"$P/modules"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --keep --format json
	assert_json '.modules[] | select(.name == "alpha") | "\(.pages) \(.filtered)"' '2 false'
	# only the kernel's own pages came through for beta: its frees were filtered
	assert_json '.modules[] | select(.name == "beta") | "\(.pages) \(.filtered)"' 'null true'
}

@test "report: loaders read back from the instance filter are measured" {
	live_fixture
	default_filter my-loader >"$I/events/kmem/mm_page_alloc/filter"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --format json
	assert_json '.modules[] | select(.name=="custom") | .filtered' false
	assert_json '.modules[] | select(.name=="custom") | .pages' 0
}

@test "report: an unfiltered instance measures every loader" {
	live_fixture
	echo none >"$I/events/kmem/mm_page_alloc/filter"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --format json
	assert_json '.modules[] | select(.name=="custom") | .filtered' false
}

@test "report: removes the instance; a failure to do so is a warning" {
	live_fixture
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P"
	# a test tree's instance holds files, so rmdir(2) fails where tracefs would succeed
	[[ "$stderr" == *"warning: cannot remove $I: Directory not empty; its buffer stays allocated"* ]]
	# an empty instance cannot be read, and is removed all the same to free its buffer
	rm -rf "$I" && mkdir "$I"
	run -1 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P"
	[[ "$stderr" == *"cannot open $I/trace"* ]]
	[[ ! -e "$I" ]] || fail "$I was not removed"
}

@test "report: --keep turns tracing back on and removes nothing" {
	live_fixture
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --keep
	assert_equal "$(cat "$I/tracing_on")" 1
	[[ -d "$I" ]]
	[[ "$stderr" != *"cannot remove"* ]]
}

@test "report: --save-trace copies the trace so that --input gives the same numbers" {
	live_fixture
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --keep --format json \
		--save-trace "$BATS_TEST_TMPDIR/saved.trace"
	live=$(jq -c '[.modules[] | select(.pid != null) | [.name,.pages,.net_pages]]' <<<"$output")
	assert_equal "$(head -n 1 "$BATS_TEST_TMPDIR/saved.trace")" "# memdebug-ko: page_size=$(getconf PAGESIZE)"
	run -0 --separate-stderr "$MDKO" report --input "$BATS_TEST_TMPDIR/saved.trace" --format json
	assert_equal "$(jq -c '[.modules[] | [.name,.pages,.net_pages]]' <<<"$output")" "$live"
}

@test "report: without an instance it says prepare did not run (exit 1)" {
	rm -rf "$I"
	run -1 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P"
	assert_output ''
	[[ "$stderr" == *"no trace buffer of prepare (no claim of the top-level buffer in /run/memdebug-ko, no instance $I): was 'memdebug-ko prepare' run at this boot?"* ]]
}

@test "report: without /proc/modules the report still comes, with a warning" {
	live_fixture
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$BATS_TEST_TMPDIR/none" --format json
	assert_json '.modules[] | select(.name=="virtio_blk") | .status' loaded
	[[ "$stderr" == *"warning: cannot read $BATS_TEST_TMPDIR/none/modules (No such file or directory): no status says failed or before-tracing, and image sizes are unknown"* ]]
}

# Boot-parameter mode: trace_event= put the events into the top-level buffer.
top_fixture() {
	local ev cpu
	for ev in module/module_load module/module_put kmem/mm_page_alloc kmem/mm_page_free; do
		echo 1 >"$T/events/$ev/enable"
		echo none >"$T/events/$ev/filter"
	done
	echo 1 >"$T/tracing_on"
	echo 16384 >"$T/buffer_size_kb"
	for cpu in 0 1; do
		mkdir -p "$T/per_cpu/cpu$cpu"
		printf 'entries: 0\noverrun: 0\ncommit overrun: 0\nbytes: 0\ndropped events: 0\nread events: 0\n' \
			>"$T/per_cpu/cpu$cpu/stats"
	done
	cp "$FIXTURES/mixed.trace" "$T/trace"
	printf 'MemTotal: 262144 kB\nMemFree: 100000 kB\n' >"$P/meminfo"
}

@test "prepare: with trace_event= at boot it uses the top-level buffer and makes no instance" {
	top_fixture
	rm -rf "$I"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" == *"traces module loads into the top-level buffer of $T since boot"* ]]
	[[ ! -e "$I" ]] || fail "prepare made $I"
	assert_equal "$(cat "$T/saved_cmdlines_size")" 4096
	assert_equal "$(cat "$T/buffer_size_kb")" 16384
}

@test "prepare: with trace_event= at boot, a kprobe event the kernel left off is a warning" {
	top_fixture
	rm -rf "$I"
	# Linux 6.1 lost the directory of one boot-time probe event to a race with tracefs:
	# bulk_exit recorded, bulk_enter never
	echo 1 >"$T/events/memdebug_ko/bulk_exit/enable"
	rm -rf "$T/events/memdebug_ko/bulk_enter"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" == *"warning: the kernel command line turned on the events beside memdebug_ko:bulk_enter, but not it in the top-level buffer (Linux 6.1 can lose a boot-time event to a race with tracefs): pages of vmalloc will not be counted"* ]] ||
		fail "$stderr"
	[[ ! -e "$I" ]] || fail "prepare made $I"
	# both on, or a group all off (no kprobe_event=): no word
	mkdir -p "$T/events/memdebug_ko/bulk_enter"
	echo 1 >"$T/events/memdebug_ko/bulk_enter/enable"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" != *warning* ]] || fail "$stderr"
	echo 0 >"$T/events/memdebug_ko/bulk_enter/enable"
	echo 0 >"$T/events/memdebug_ko/bulk_exit/enable"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" != *warning* ]] || fail "$stderr"
}

@test "prepare: a top level without page events is not enough, an instance is made" {
	top_fixture
	echo 0 >"$T/events/kmem/mm_page_free/enable"
	echo 0 >"$I/tracing_on"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T"
	[[ "$stderr" == *"tracing module loads in $I"* ]]
}

@test "report: with trace_event= at boot it reads the top level, leaves its data and tracing on" {
	top_fixture
	rm -rf "$I"
	before=$(sha256sum <"$T/trace")
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P" --format json
	assert_json '.source' live
	assert_json '.buffer' top-level
	assert_json '.buffer_kb' 16384
	assert_json '.modules[] | select(.name=="ext4") | .pages' 16
	# an unfiltered buffer measures every loader
	assert_json '.modules[] | select(.name=="custom") | .filtered' false
	assert_equal "$(sha256sum <"$T/trace")" "$before"
	assert_equal "$(cat "$T/tracing_on")" 1
	assert_equal "$(cat "$T/buffer_size_kb")" 16384
	[[ "$stderr" == *"reading the top-level buffer of $T"* ]]
	[[ "$stderr" == *"write 0 to $T/buffer_size_kb to free it"* ]]
	[[ "$stderr" == *"report took "*" ms"* ]]
}

@test "report: a top level that was stopped stays stopped; overwritten events make it incomplete" {
	top_fixture
	rm -rf "$I"
	echo 0 >"$T/tracing_on"
	sed -i 's/^overrun: 0$/overrun: 5/' "$T/per_cpu/cpu0/stats"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P"
	assert_line --index 0 --partial 'traced since boot (top-level buffer)'
	assert_output --partial 'the top-level buffer lost 5 events'
	assert_output --partial 'raise trace_buf_size= on the kernel command line, now 16384 KiB per CPU'
	assert_equal "$(cat "$T/tracing_on")" 0
}

@test "report: says how much free memory the removed instance gave back" {
	live_fixture
	printf 'MemTotal: 262144 kB\nMemFree: 100000 kB\n' >"$P/meminfo"
	# an empty instance can be removed from a test tree (tracefs removes a full one)
	rm -rf "$I" && mkdir "$I"
	run -1 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P"
	[[ "$stderr" == *"removed $I: free memory +0 KiB (MemFree 100000 KiB before, 100000 KiB after)"* ]]
}

@test "report: counts the per-CPU page lists, where freed pages land before MemFree sees them" {
	live_fixture
	printf 'MemTotal: 262144 kB\nMemFree: 100000 kB\n' >"$P/meminfo"
	# two zones, two CPUs each: 100 + 3 + 0 + 50 pages in the lists
	printf '%s\n' 'Node 0, zone    DMA32' '  pages free     25000' '  pagesets' '    cpu: 0' \
		'              count: 100' '              high:  378' '    cpu: 1' \
		'              count: 3' 'Node 0, zone   Normal' '  pagesets' '    cpu: 0' \
		'              count: 0' '    cpu: 1' '              count: 50' >"$P/zoneinfo"
	rm -rf "$I" && mkdir "$I"
	run -1 --separate-stderr "$MDKO" report --tracefs "$T" --proc "$P"
	local kib=$(( (100 + 3 + 50) * $(getconf PAGESIZE) / 1024 ))
	[[ "$stderr" == *"removed $I: free memory +0 KiB (MemFree 100000 KiB before, 100000 KiB after; with the per-CPU page lists $((100000 + kib)) KiB before, $((100000 + kib)) KiB after)"* ]] ||
		fail "$stderr"
}

# The idle top-level buffer that prepare claims, and its claim in the run directory $D.
claim_fixture() {
	D=$BATS_TEST_TMPDIR/run
	make_idle_top "$T"
	for ev in module/module_load module/module_put module/module_free \
		kmem/mm_page_alloc kmem/mm_page_free oom/mark_victim workqueue/workqueue_queue_work \
		workqueue/workqueue_execute_start workqueue/workqueue_execute_end \
		memdebug_ko/bulk_enter memdebug_ko/bulk_exit; do
		echo none >"$T/events/$ev/filter"
	done
	printf 'MemTotal: 262144 kB\nMemFree: 100000 kB\n' >"$P/meminfo"
}

@test "prepare: claims the idle top-level buffer, keeps its settings, makes no instance" {
	claim_fixture
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	[[ "$stderr" == *"tracing module loads in the top-level buffer of $T ($DEFAULT_BUFFER_KB KiB per CPU)"* ]] ||
		fail "$stderr"
	[[ ! -e "$I" ]] || fail "prepare made $I"
	assert_equal "$(cat "$T/buffer_size_kb")" "$DEFAULT_BUFFER_KB"
	assert_equal "$(cat "$T/trace_clock")" global
	assert_equal "$(cat "$T/options/overwrite")" 0
	assert_equal "$(cat "$T/tracing_on")" 1
	for ev in module/module_load module/module_put module/module_free kmem/mm_page_alloc \
		kmem/mm_page_free oom/mark_victim workqueue/workqueue_queue_work \
		workqueue/workqueue_execute_start workqueue/workqueue_execute_end \
		memdebug_ko/bulk_enter memdebug_ko/bulk_exit; do
		assert_equal "$(cat "$T/events/$ev/enable")" 1
	done
	assert_equal "$(cat "$T/events/kmem/mm_page_alloc/filter")" "$(alloc_filter)"
	assert_equal "$(cat "$T/events/workqueue/workqueue_execute_start/filter")" "$(default_filter)"
	assert_equal "$(cat "$D/top-level")" "$(printf '%s\n' buffer_size_kb=7 trace_clock=local overwrite=1 tracing_on=1 sym_offset=0 hash_ptr=1)"
	assert_equal "$(cat "$T/options/hash-ptr")" "$(hash_ptr_after_prepare)"
}

@test "prepare: a top level in use is left alone and an instance traces" {
	local why
	for why in tracer event entries; do
		make_tracefs "$T"
		claim_fixture
		case $why in
		tracer) echo function >"$T/current_tracer" ;;
		event) echo 'sched:sched_switch' >"$T/set_event" ;;
		entries) sed -i 's/^entries: 0$/entries: 3/' "$T/per_cpu/cpu1/stats" ;;
		esac
		make_tracefs "$T"
		echo 0 >"$I/tracing_on"
		run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --run-dir "$D"
		case $why in
		tracer) [[ "$stderr" == *"cannot be claimed (the function tracer runs in it)"* ]] ;;
		event) [[ "$stderr" == *"cannot be claimed (events are enabled in it (sched:sched_switch...))"* ]] ;;
		entries) [[ "$stderr" == *"cannot be claimed (it holds 3 events)"* ]] ;;
		esac || fail "$why: $stderr"
		[[ "$stderr" == *"tracing module loads in $I"* ]] || fail "$why: $stderr"
		[[ ! -e $D/top-level ]] || fail "$why: a claim was written"
		assert_equal "$(cat "$T/buffer_size_kb")" '7 (expanded: 1408)'
		rm -rf "$T" "$D"
	done
}

@test "prepare: --instance traces in an instance although the top level is idle" {
	claim_fixture
	make_tracefs "$T"
	echo 0 >"$I/tracing_on"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --run-dir "$D" --instance
	[[ "$stderr" == *"tracing module loads in $I"* ]]
	[[ ! -e $D/top-level ]] || fail "a claim was written"
	assert_equal "$(cat "$T/tracing_on")" 1
	assert_equal "$(cat "$T/buffer_size_kb")" '7 (expanded: 1408)'
}

@test "prepare: without a run directory to keep the claim in, an instance traces" {
	claim_fixture
	make_tracefs "$T"
	echo 0 >"$I/tracing_on"
	: >"$BATS_TEST_TMPDIR/file"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --run-dir "$BATS_TEST_TMPDIR/file/run"
	[[ "$stderr" == *"warning: cannot write the claim of the top-level buffer in $BATS_TEST_TMPDIR/file/run: Not a directory; tracing in an instance"* ]] ||
		fail "$stderr"
	[[ "$stderr" == *"tracing module loads in $I"* ]]
	assert_equal "$(cat "$T/buffer_size_kb")" '7 (expanded: 1408)'
}

@test "prepare: a second run leaves the claimed top level as it is" {
	claim_fixture
	run -0 "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	echo 'traced before the second prepare' >"$T/trace"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --run-dir "$D" --buffer-kb 64
	[[ "$stderr" == *"the top-level buffer of $T is already claimed for module loads: left as it is"* ]]
	assert_equal "$(cat "$T/trace")" 'traced before the second prepare'
	assert_equal "$(cat "$T/buffer_size_kb")" "$DEFAULT_BUFFER_KB"
}

@test "report: reads the claimed top level, then gives it back as it was" {
	claim_fixture
	run -0 "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	cp "$FIXTURES/mixed.trace" "$T/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" --format json
	assert_json '.buffer' top-level
	assert_json '.since_boot' null
	assert_json '.buffer_kb' "$DEFAULT_BUFFER_KB"
	assert_json '.modules[] | select(.name=="ext4") | .pages' 16
	assert_json '.modules[] | select(.name=="custom") | .filtered' true
	[[ "$stderr" == *"gave back the top-level buffer of $T: free memory +0 KiB (MemFree 100000 KiB before, 100000 KiB after)"* ]] ||
		fail "$stderr"
	assert_equal "$(cat "$T/buffer_size_kb")" 7
	assert_equal "$(cat "$T/trace_clock")" local
	assert_equal "$(cat "$T/options/overwrite")" 1
	assert_equal "$(cat "$T/options/hash-ptr")" 1
	assert_equal "$(cat "$T/tracing_on")" 1
	for sys in module kmem oom workqueue memdebug_ko; do
		assert_equal "$(cat "$T/events/$sys/enable")" 0
	done
	# prepare filters kmem only; each clearing waits for the tracepoints' readers
	assert_equal "$(cat "$T/events/kmem/filter")" 0
	assert_equal "$(cat "$T/events/module/filter")" none
	# the kernel empties the buffer when its clock changes (global back to local)
	[[ -s $T/trace ]] || fail "the trace was emptied by hand"
	[[ ! -e $D/top-level ]] || fail "the claim is still there"
}

@test "report: --detach gives the claimed top level back in a process of its own" {
	claim_fixture
	run -0 "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	cp "$FIXTURES/mixed.trace" "$T/trace"
	# run waits for the child too: it holds standard error until it is done
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" --detach
	[[ "$stderr" == *"gave back the top-level buffer of $T, while the root was switched: free memory +0 KiB"* ]] ||
		fail "$stderr"
	assert_output --partial ext4
	assert_equal "$(cat "$T/buffer_size_kb")" 7
	assert_equal "$(cat "$T/trace_clock")" local
	assert_equal "$(cat "$T/events/kmem/enable")" 0
	[[ ! -e $D/top-level ]] || fail "the claim is still there"
}

@test "report: --detach in a capture kernel gives the buffer back before it returns" {
	claim_fixture
	run -0 "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	cp "$FIXTURES/mixed.trace" "$T/trace"
	: >"$P/vmcore"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" --detach
	[[ "$stderr" == *"a capture kernel ($P/vmcore): the buffer goes back before the dump step, not beside it"* ]] ||
		fail "$stderr"
	[[ "$stderr" == *"gave back the top-level buffer of $T: free memory"* ]] || fail "$stderr"
	[[ "$stderr" != *"while the root was switched"* ]] || fail "$stderr"
	assert_equal "$(cat "$T/buffer_size_kb")" 7
	[[ ! -e $D/top-level ]] || fail "the claim is still there"
}

@test "report --once: a later round waits for the detached give-back to end" {
	D=$BATS_TEST_TMPDIR/run
	mkdir -p "$D"
	: >"$D/reported"
	# a detached give-back holds the lock until it ends: flock(1) plays it for a second
	flock "$D/give-back" sleep 1 &
	until ! flock -n "$D/give-back" true; do sleep 0.05; done
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" --once
	wait
	[[ "$stderr" == *"this boot's report has run already ($D/reported): not again"* ]] || fail "$stderr"
	[[ "$stderr" == *"waiting for the buffer's give-back that the report started (up to 20 s)"* ]] ||
		fail "$stderr"
	[[ "$stderr" != *"still runs"* ]] || fail "$stderr"
	assert_output ''
	# without a give-back running, no wait
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" --once
	[[ "$stderr" != *"waiting"* ]] || fail "$stderr"
}

@test "report: a top level whose clock was global already is emptied by hand" {
	claim_fixture
	echo 'local [global] counter uptime perf mono mono_raw boot' >"$T/trace_clock"
	run -0 "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	assert_equal "$(grep trace_clock "$D/top-level")" trace_clock=global
	cp "$FIXTURES/mixed.trace" "$T/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P"
	assert_equal "$(stat -c %s "$T/trace")" 0
	# the same clock is not written again, by prepare or the give-back: each write of a
	# clock waits for RCU grace periods
	assert_equal "$(cat "$T/trace_clock")" 'local [global] counter uptime perf mono mono_raw boot'
}

@test "report: the text report of a claimed top level says traced at this boot" {
	claim_fixture
	run -0 "$MDKO" prepare --tracefs "$T" --run-dir "$D"
	cp "$FIXTURES/mixed.trace" "$T/trace"
	run -0 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P" --keep
	assert_line --index 0 --partial 'traced at this boot'
	# --keep: the claim stays, tracing goes on
	[[ -e $D/top-level ]] || fail "--keep gave the buffer back"
	assert_equal "$(cat "$T/tracing_on")" 1
	assert_equal "$(cat "$T/buffer_size_kb")" "$DEFAULT_BUFFER_KB"
}

@test "report: a claim it cannot read is an error, not a guess" {
	claim_fixture
	mkdir -p "$D"
	printf 'buffer_size_kb=7\ntrace_clock=\n' >"$D/top-level"
	run -1 --separate-stderr "$MDKO" report --tracefs "$T" --run-dir "$D" --proc "$P"
	[[ "$stderr" == *"error: $D/top-level is not a claim of the top-level buffer that memdebug-ko wrote"* ]] ||
		fail "$stderr"
	assert_equal "$(cat "$T/buffer_size_kb")" '7 (expanded: 1408)'
}

@test "prepare: enables exactly the events that cmdline names, from one catalog" {
	run -0 "$MDKO" prepare --tracefs "$T" -q
	run -0 "$MDKO" cmdline --kernel 6.12.48+deb13-amd64
	local want got
	want=$(sed -n 's/^trace_event=\([^ ]*\) .*kprobe_event=\(.*\)$/\1,\2/p' <<<"$output" |
		tr ',;' '\n\n' | sed -n -e 's|^[pr]:\(.*\)/\(.*\)$|\1:\2|p' -e t -e '/^[a-z_]*:[a-z_]*$/p' | sort)
	got=$(cd "$I/events" && grep -lx 1 ./*/*/enable | sed 's|^\./\(.*\)/\(.*\)/enable$|\1:\2|' | sort)
	assert_equal "$got" "$want"
	[[ $(wc -l <<<"$want") -eq 14 ]] || fail "expected 14 events, got: $want"
}

@test "prepare: defines the kprobe events of the catalog where the kernel has none" {
	rm -rf "$T/events/memdebug_ko" "$I/events/memdebug_ko"
	# no BTF file: the kernel is asked for the argument by its BTF name
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --btf "$BATS_TEST_TMPDIR/none"
	# a fake tree makes no event of a definition: prepare defines, fails to enable, says so
	assert_equal "$(cat "$T/kprobe_events")" "$(printf '%s\n' \
		'p:memdebug_ko/bulk_enter alloc_pages_bulk_noprof array=page_array:x64 first=+0(page_array):x64' \
		'r:memdebug_ko/bulk_exit alloc_pages_bulk_noprof ret=$retval:u64')"
	[[ "$stderr" == *"warning: cannot enable $I/events/memdebug_ko/bulk_enter (No such file or directory): pages of vmalloc will not be counted"* ]]
	assert_equal "$(cat "$I/events/module/module_load/enable")" 1
}

# The kprobe definitions prepare wrote into the fake tree's kprobe_events for BTF file
# $1 (the kernel would fail to enable events a fake tree cannot make: said, not tested).
bulk_defs_with_btf() {
	rm -rf "$T"
	make_tracefs "$T"
	rm -rf "$T/events/memdebug_ko" "$I/events/memdebug_ko"
	run -0 --separate-stderr "$MDKO" prepare --tracefs "$T" --btf "$1"
}

@test "prepare: reads the page array's position from BTF, whatever the release says" {
	make_btf "$BATS_TEST_TMPDIR/btf" alloc_pages_bulk_noprof 5
	bulk_defs_with_btf "$BATS_TEST_TMPDIR/btf"
	assert_equal "$(cat "$T/kprobe_events")" "$(printf '%s\n' \
		'p:memdebug_ko/bulk_enter alloc_pages_bulk_noprof array=$arg5:x64 first=+0($arg5):x64' \
		'r:memdebug_ko/bulk_exit alloc_pages_bulk_noprof ret=$retval:u64')"
	# the position is the BTF's, not the release's: 6th, prototype after or before
	make_btf "$BATS_TEST_TMPDIR/btf" alloc_pages_bulk_noprof 6 func-first
	bulk_defs_with_btf "$BATS_TEST_TMPDIR/btf"
	assert_equal "$(head -n1 "$T/kprobe_events")" \
		'p:memdebug_ko/bulk_enter alloc_pages_bulk_noprof array=$arg6:x64 first=+0($arg6):x64'
	# before 6.10 the function had another name
	make_btf "$BATS_TEST_TMPDIR/btf" __alloc_pages_bulk 6
	bulk_defs_with_btf "$BATS_TEST_TMPDIR/btf"
	assert_equal "$(head -n1 "$T/kprobe_events")" \
		'p:memdebug_ko/bulk_enter __alloc_pages_bulk array=$arg6:x64 first=+0($arg6):x64'
}

@test "prepare: a BTF without the function or its argument is not asked by name" {
	local how
	for how in "alloc_pages_bulk_noprof 0" "other_function 5"; do
		# shellcheck disable=SC2086 # the function and the position
		make_btf "$BATS_TEST_TMPDIR/btf" $how
		bulk_defs_with_btf "$BATS_TEST_TMPDIR/btf"
		# by the release's position, if one fits the machine's: never by the name
		! grep -q page_array "$T/kprobe_events" || fail "$how: $(cat "$T/kprobe_events")"
		[[ "$stderr" != *"cannot read the position"* ]] || fail "$stderr"
	done
}

@test "prepare: BTF it cannot be sure of is said, and the kernel asked by name" {
	local f=$BATS_TEST_TMPDIR/btf
	make_btf "$f" alloc_pages_bulk_noprof 5 twice
	bulk_defs_with_btf "$f"
	assert_equal "$(head -n1 "$T/kprobe_events")" \
		'p:memdebug_ko/bulk_enter alloc_pages_bulk_noprof array=page_array:x64 first=+0(page_array):x64'
	[[ "$stderr" == *"cannot read the position of alloc_pages_bulk_noprof's argument page_array in $f (functions of that name disagree on where the argument is): the kernel looks it up"* ]] ||
		fail "$stderr"
	# cut short, the other byte order, not BTF: no crash, the same way out
	make_btf "$f" alloc_pages_bulk_noprof 5
	head -c 200 "$f" >"$f.cut"
	bulk_defs_with_btf "$f.cut"
	[[ "$stderr" == *"in $f.cut (not BTF of this machine's byte order"* ]] || fail "$stderr"
	grep -q 'array=page_array' "$T/kprobe_events"
	# the magic 0xeB9F in the other byte order than the machine's
	if [[ $("$RAWGEN" --byte-order) == little ]]; then printf '\353\237'; else printf '\237\353'; fi >"$f.swapped"
	tail -c +3 "$f" >>"$f.swapped"
	bulk_defs_with_btf "$f.swapped"
	[[ "$stderr" == *"in $f.swapped (not BTF of this machine's byte order"* ]] || fail "$stderr"
	bulk_defs_with_btf /etc/passwd
	[[ "$stderr" == *"in /etc/passwd (not BTF"* ]] || fail "$stderr"
}

# Run a live report of $T and $P in a mount namespace whose root is a tmpfs of 20 MiB at
# $1 holding the binary and 16 MiB of files (the tracing tree and /proc bound in from
# elsewhere: not counted), with the options after $1.
tmpfs_root_report() {
	local r=$1
	shift
	unshare --mount sh -c '
		mount -t tmpfs -o size=20m tmpfs "$1" && mkdir -p "$1/tracing" "$1/p" "$1/run" &&
			mount --bind "$2" "$1/tracing" && mount --bind "$3" "$1/p" &&
			cp "$4" "$1/memdebug-ko" && head -c 16M /dev/zero >"$1/initramfs-files" &&
			r=$1 && shift 4 && chroot "$r" /memdebug-ko report --tracefs /tracing --proc /p "$@"' \
		sh "$r" "$T" "$P" "$MDKO" "$@"
}

@test "report: a tmpfs rootfs must hold the unpacked initramfs: the estimate grows with it" {
	local r=$BATS_TEST_TMPDIR/root
	((EUID == 0)) || skip "a root of tmpfs needs a mount namespace, which needs root"
	command -v unshare >/dev/null || skip "no unshare (util-linux)"
	[[ -z $MDKO_EMU ]] ||
		skip "the bare root of 20 MiB holds 16 MiB and the binary: not its emulator too ($MDKO_EMU)"
	file -L "$MDKO" | grep -q 'statically linked' ||
		skip "the bare root holds the binary alone: a static build runs there ($MDKO is not)"
	live_fixture
	# a capture kernel of 256 MiB of RAM whose MemTotal is 40,960 KiB: its tmpfs rootfs,
	# half of that, 20 MiB, holds an initramfs of 16 MiB
	printf 'MemTotal: 40960 kB\nMemFree: 30000 kB\nMemAvailable: 30000 kB\n' >"$P/meminfo"
	echo 'nr_cpus=1 elfcorehdr=0x73000000 rd.memdebug=4' >"$P/cmdline"
	printf '%s\n' '00001000-0009ffff : System RAM' '70000000-7ff5ffff : System RAM' >"$P/iomem"
	: >"$P/vmcore"
	mkdir -p "$r"
	run -0 --separate-stderr tmpfs_root_report "$r" --format json
	assert_json '.budget.rootfs_size_kib' 20480
	local u b
	u=$(jq '.budget.initramfs_kib' <<<"$output")
	b=$(($(stat -c %s "$MDKO") / 1024))
	((u >= 16384 + b && u < 16384 + b + 256))
	# 16 MiB and the binary need a MemTotal of twice that: u x 40960 / 20480, with the
	# 262140 - 40960 KiB of RAM outside MemTotal
	assert_json '.budget.estimate.tmpfs_kib' $((u * 2 + 262140 - 40960))
	# the sum of the formula: 262140 - 30000, with bitmaps of an empty vmcore
	assert_json '.budget.estimate.formula_kib' 232140
	assert_json '.budget.estimate.needed_kib' $((u * 2 + 262140 - 40960))
	run -0 --separate-stderr tmpfs_root_report "$r"
	assert_line --regexp "^estimate: the initramfs unpacks into a tmpfs of 20480 KiB \(half of MemTotal\), a share of MemTotal at its mount \(40960, before the compressed initramfs was freed\): its $u KiB need that share of $((u * 2)) KiB of MemTotal, and with the 221180 KiB of RAM outside MemTotal and the compressed initramfs, $((u * 2 + 221180)) KiB of RAM: more than both sums above, and the estimate$"
	# an absolute initramfs_options=size= does not grow with RAM: no such term
	echo 'nr_cpus=1 elfcorehdr=0x73000000 initramfs_options=size=20m' >"$P/cmdline"
	run -0 --separate-stderr tmpfs_root_report "$r" --format json
	assert_json '.budget.estimate.tmpfs_kib' null
	assert_json '.budget.estimate.needed_kib' 232140
}
