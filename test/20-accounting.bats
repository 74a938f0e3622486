#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The offline accounting, one trap of the old dracut parser or of real boot traces each.

load helpers

# One trace line as the kernel's trace file prints it (irq-info column, no tgid).
# FLAGS: the irq-info column ("..s.." a softirq, "d.h1." a hard interrupt)
ev() {
	printf '%16s-%-7d [%03d] %s %12s: %s\n' "$1" "$2" "${CPU:-0}" "${FLAGS:-.....}" "$3" "$4"
}
load_() { ev "$1" "$2" "$3" "module_load: $4"; }
put() { ev "$1" "$2" "$3" "module_put: $4 call_site=${5:-do_init_module} refcnt=1"; }
alloc() { ev "$1" "$2" "$3" "mm_page_alloc: page=00000000deadbeef pfn=$4 order=$5 migratetype=0 gfp_flags=GFP_KERNEL"; }
pfree() { ev "$1" "$2" "$3" "mm_page_free: page=00000000deadbeef pfn=$4 order=$5"; }

@test "accounting: pages are the sum of 2^order inside the window" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		alloc modprobe 100 1.2 0x1004 2
		alloc modprobe 100 1.3 0x1010 3
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_json '.modules[0].name' alpha
	assert_json '.modules[0].pages' 13
	assert_json '.modules[0].net_pages' 13
	assert_json '.modules[0].allocs' 3
	assert_json '.modules[0].status' loaded
	assert_json '.complete' true
}

@test "accounting: a module_put of another module by the loader does not close the window" {
	# The 2016 parser closed here and reported 1 page instead of 3.
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.2 crc32c_generic try_module_get
		put modprobe 100 1.3 crc32c_generic do_init_module
		alloc modprobe 100 1.4 0x2000 1
		put modprobe 100 1.5 alpha
		alloc modprobe 100 1.6 0x3000 4
	)
	assert_json '.modules[0].pages' 3
	assert_json '.modules[0].init_ms' 500
}

@test "accounting: a module_put of the same module by another pid does not close the window" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		put systemd-udevd 200 1.1 alpha
		alloc modprobe 100 1.2 0x1000 2
		put modprobe 100 1.3 alpha
	)
	assert_json '.modules[0].pages' 4
}

@test "accounting: a reference init takes and drops on its own module does not close it" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.1 alpha alpha_probe
		alloc modprobe 100 1.2 0x1000 1
		put modprobe 100 1.3 alpha do_init_module+0x5a/0x220
	)
	assert_json '.modules[0].pages' 2
	assert_json '.modules[0].closed_by' module_put
}

@test "accounting: a put from the module's freed __init code (a raw address) does not close it" {
	report_stdin_json < <(
		# an unrelated put names its call site: this kernel has kallsyms
		put systemd-udevd 90 0.9 virtio blk_release_queue+0x1c/0x40
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.1 alpha 0xffffffffc04a1234
		alloc modprobe 100 1.2 0x1000 1
		put modprobe 100 1.3 alpha do_init_module+0x5a/0x220
	)
	assert_json '.modules[0].pages' 2
	assert_json '.modules[0].closed_by' module_put
	assert_json '.modules[0].init_ms' 300
}

@test "accounting: without kallsyms every call site is an address, and the init put closes" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.2 alpha 0xffffffff8112a0b0
		alloc modprobe 100 1.3 0x2000 1
	)
	assert_json '.modules[0].pages' 1
	assert_json '.modules[0].closed_by' module_put
}

@test "accounting: interleaved windows of parallel loaders are attributed by pid" {
	report_stdin_json < <(
		load_ '(udev-worker)' 287 1.00 virtio_blk
		load_ '(udev-worker)' 288 1.01 virtio_net
		alloc '(udev-worker)' 288 1.02 0x100 0
		alloc '(udev-worker)' 287 1.03 0x200 1
		alloc '(udev-worker)' 288 1.04 0x300 2
		put '(udev-worker)' 287 1.05 virtio_blk
		alloc '(udev-worker)' 287 1.06 0x400 5
		alloc '(udev-worker)' 288 1.07 0x500 0
		put '(udev-worker)' 288 1.08 virtio_net
	)
	assert_json '[.modules[] | "\(.name)=\(.pages)@\(.pid)"] | join(" ")' \
		'virtio_blk=2@287 virtio_net=6@288'
}

@test "accounting: allocations of other pids inside a window do not count" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc kworker/0:1 7 1.1 0x1000 3
		alloc bash 55 1.2 0x2000 3
		alloc modprobe 100 1.3 0x3000 0
		put modprobe 100 1.4 alpha
	)
	assert_json '.modules[0].pages' 1
}

@test "accounting: net pages subtract frees of pages allocated and freed inside the window" {
	report_stdin_json < <(
		alloc modprobe 100 0.9 0x5000 0
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 2
		alloc modprobe 100 1.2 0x2000 0
		alloc modprobe 100 1.3 0x2001 0
		pfree modprobe 100 1.4 0x1000 2
		pfree modprobe 100 1.5 0x2001 0
		pfree modprobe 100 1.6 0x5000 0
		pfree bash 55 1.7 0x2000 0
		put modprobe 100 1.8 alpha
		pfree modprobe 100 1.9 0x2000 0
	)
	assert_json '.modules[0].pages' 6
	assert_json '.modules[0].net_pages' 1
	assert_json '.modules[0].frees' 3
}

@test "accounting: order-0 frees of a split higher-order block count once each" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 2
		pfree modprobe 100 1.2 0x1001 0
		pfree modprobe 100 1.3 0x1003 0
		pfree modprobe 100 1.4 0x1003 0
		put modprobe 100 1.5 alpha
	)
	assert_json '.modules[0].pages' 4
	assert_json '.modules[0].net_pages' 2
}

@test "accounting: a page reallocated after a free is live again" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		pfree modprobe 100 1.2 0x1000 0
		alloc modprobe 100 1.3 0x1000 0
		put modprobe 100 1.4 alpha
	)
	assert_json '.modules[0].pages' 2
	assert_json '.modules[0].net_pages' 1
}

@test "accounting: failed allocations (NULL page) are counted apart, not as pages" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		ev modprobe 100 1.1 'mm_page_alloc: page=0000000000000000 pfn=0x0 order=4 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_NOWARN'
		ev modprobe 100 1.2 'mm_page_alloc: page=(null) pfn=0 order=2 migratetype=0 gfp_flags=GFP_KERNEL'
		alloc modprobe 100 1.3 0x1000 0
		put modprobe 100 1.4 alpha
	)
	assert_json '.modules[0].pages' 1
	assert_json '.modules[0].failed_allocs' 2
}

@test "accounting: pfn is read in hex (6.x) and in decimal (old kernels)" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		ev modprobe 100 1.1 'mm_page_alloc: page=ffffea0000040000 pfn=4096 order=1 migratetype=0 gfp_flags=GFP_KERNEL'
		ev modprobe 100 1.2 'mm_page_free: page=ffffea0000040000 pfn=4096 order=1'
		ev modprobe 100 1.3 'mm_page_alloc: page=00000000c0ffee00 pfn=0x1000 order=0 migratetype=0 gfp_flags=GFP_KERNEL'
		put modprobe 100 1.4 alpha
	)
	assert_json '.modules[0].pages' 3
	assert_json '.modules[0].net_pages' 1
}

@test "accounting: page fields are found by name in any order, not only the kernel's" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		ev modprobe 100 1.1 'mm_page_alloc: order=2 pfn=0x1000 page=00000000c0ffee00 gfp_flags=GFP_KERNEL'
		ev modprobe 100 1.2 'mm_page_alloc: pfn=0x2000 order=1'
		ev modprobe 100 1.3 'mm_page_free: page=0000000000000000 order=1 pfn=0x2000'
		ev modprobe 100 1.4 'mm_page_alloc: page=(null) order=3 pfn=0'
		put modprobe 100 1.5 alpha
	)
	assert_json '.modules[0].pages' 6
	assert_json '.modules[0].net_pages' 4
	assert_json '.modules[0].failed_allocs' 1
}

@test "accounting: a module loaded twice gives two entries in load order" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.2 alpha
		load_ modprobe 300 2.0 alpha
		alloc modprobe 300 2.1 0x2000 3
		put modprobe 300 2.2 alpha
	)
	assert_json '[.modules[] | "\(.name):\(.pages):\(.pid)"] | join(" ")' 'alpha:1:100 alpha:8:300'
}

@test "accounting: a window still open at the end is reported as loading" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 1
	)
	assert_json '.modules[0].status' loading
	assert_json '.modules[0].pages' 2
	assert_json '.modules[0].init_ms' null
}

@test "accounting: module_free right after the init put marks a failed init" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 1
		put modprobe 100 1.2 alpha
		ev modprobe 100 1.3 'module_free: alpha'
		load_ modprobe 100 2.0 beta
		put modprobe 100 2.1 beta
		ev rmmod 400 3.0 'module_free: beta'
	)
	assert_json '.modules[0].status' failed
	assert_json '.modules[0].pages' 2
	assert_json '.modules[1].status' loaded
}

@test "accounting: without module_put events a window closes at the loader's next load" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 crc16
		alloc modprobe 100 1.1 0x1000 0
		load_ modprobe 100 1.2 ext4
		alloc modprobe 100 1.3 0x2000 2
	)
	assert_json '.modules[0].closed_by' next-load
	assert_json '.modules[0].pages' 1
	assert_json '.modules[1].status' loading
	assert_json '.modules[1].pages' 4
}

@test "accounting: a loader outside the kmem filter is listed as not measured, never as 0" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.2 alpha
		load_ my-loader 500 2.0 beta
		put my-loader 500 2.1 beta
	)
	assert_json '.modules[1].filtered' true
	assert_json '.modules[1].pages' null
	assert_json '.modules[0].filtered' false
	run "$MDKO" report --input - <<<"$(alloc modprobe 100 1.0 0x1000 0; load_ my-loader 500 2.0 beta; put my-loader 500 2.1 beta)"
	assert_line --regexp '^beta +n/a +n/a +n/a '
	assert_output --partial 'rd.memdebug_ko.loaders='
}

@test "accounting: a trace without any page event measured nothing: n/a, never 0" {
	# a kernel without kmem events, or a trace recorded without them
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.2 alpha
	)
	assert_json '.pages_measured' false
	assert_json '.modules[0].pages' null
	assert_json '.modules[0].net_pages' null
	assert_json '.modules[0].status' loaded
	run -0 "$MDKO" report --input - <<<"$(load_ modprobe 100 1.0 alpha; put modprobe 100 1.2 alpha)"
	assert_line --regexp '^alpha +n/a +n/a +n/a '
	assert_output --partial 'no kmem:mm_page_alloc or mm_page_free event'
}

@test "accounting: the same loader is measured when the trace was not filtered" {
	# bash's page free proves no comm filter was in place: 0 pages is then a measurement.
	report_stdin_json < <(
		pfree bash 55 0.5 0x9000 0
		load_ my-loader 500 2.0 beta
		put my-loader 500 2.1 beta
	)
	assert_json '.modules[0].filtered' false
	assert_json '.modules[0].pages' 0
}

@test "accounting: a kernel allocation of another task proves no missing filter" {
	# prepare's filter lets every task's unmovable allocations through, not their frees
	report_stdin_json < <(
		alloc bash 55 0.5 0x9000 0
		load_ my-loader 500 2.0 beta
		put my-loader 500 2.1 beta
	)
	assert_json '.modules[0].filtered' true
	assert_json '.modules[0].pages' null
}

@test "accounting: --loader names a loader that the filter recorded" {
	report_stdin_json --loader my-loader < <(
		alloc modprobe 100 1.0 0x1000 0
		load_ my-loader 500 2.0 beta
		put my-loader 500 2.1 beta
	)
	assert_json '.modules[0].filtered' false
	assert_json '.modules[0].pages' 0
}

@test "accounting: PID 1 (systemd) loads are measured" {
	report_stdin_json < <(
		load_ systemd 1 0.5 autofs4
		alloc systemd 1 0.6 0x1000 1
		put systemd 1 0.7 autofs4
	)
	assert_json '.modules[0].filtered' false
	assert_json '.modules[0].pages' 2
}

@test "accounting: LOST lines are counted and make the report incomplete" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		echo 'CPU:1 [LOST 42 EVENTS]'
		put modprobe 100 1.2 alpha
		echo 'CPU:0 [LOST 8 EVENTS]'
	)
	assert_json '.lost_events' 50
	assert_json '.complete' false
	run "$MDKO" report --input - <<<'CPU:1 [LOST 42 EVENTS]'
	assert_output --partial 'INCOMPLETE'
	assert_output --partial '42 events'
}

@test "accounting: events overwritten before the trace was saved are counted from its header" {
	report_stdin_json < <(
		echo '# entries-in-buffer/entries-written: 3/1003   #P:2'
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.2 alpha
	)
	assert_json '.lost_events' 1000
	assert_json '.complete' false
}

@test "accounting: malformed and truncated lines are counted and skipped, not guessed" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		ev modprobe 100 1.2 'mm_page_alloc: page=00000000deadbeef pfn=0x2000 order=99 migratetype=0'
		ev modprobe 100 1.3 'mm_page_alloc: page=00000000deadbeef pfn=0xfffffffffffffff order=0'
		ev modprobe 100 1.4 'mm_page_alloc: page=00000000deadbeef order=1'
		ev modprobe 100 1.5 'mm_page_alloc: page=00000000deadbeef pfn=0x3000 order=-1'
		ev modprobe 100 1.6 'module_load:'
		echo 'this is not a trace line'
		echo '        modprobe-100     [000] .....     1.7'
		put modprobe 100 1.8 alpha
		printf '        modprobe-100     [000] .....     1.9: mm_page_alloc: page=00000000deadbeef pfn=0x40'
	)
	assert_success
	assert_json '.modules[0].pages' 1
	assert_json '.malformed_lines' 8
	assert_json '.complete' false
}

@test "accounting: a final line without newline is still read" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		printf '%s' "$(put modprobe 100 1.2 alpha)"
	)
	assert_json '.modules[0].status' loaded
	assert_json '.malformed_lines' 0
}

@test "accounting: comms with spaces, dashes and brackets are parsed" {
	report_stdin_json < <(
		cat <<-'EOT'
		   (udev-worker)-287     [001] .....     1.000000: module_load: virtio_blk
		     my loader [2]-4242   [000] .....     1.100000: module_load: nvme
		   (udev-worker)-287     [001] .....     1.200000: mm_page_alloc: page=00000000deadbeef pfn=0x1000 order=1 migratetype=0 gfp_flags=GFP_KERNEL
		     my loader [2]-4242   [000] .....     1.250000: mm_page_alloc: page=00000000deadbeef pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_KERNEL
		   (udev-worker)-287     [001] .....     1.300000: module_put: virtio_blk call_site=do_init_module refcnt=1
		     my loader [2]-4242   [000] .....     1.400000: module_put: nvme call_site=do_init_module refcnt=1
		EOT
	)
	assert_json '[.modules[] | "\(.comm)|\(.pid)|\(.pages)"] | join(" ")' \
		'(udev-worker)|287|2 my loader [2]|4242|1'
}

@test "accounting: trace_pipe lines without header, irq-info or with tgid all parse" {
	report_stdin_json < <(
		cat <<-'EOT'
		        modprobe-100     [000]     1.000000: module_load: alpha
		        modprobe-100     (    100) [000] d..1.     1.100000: mm_page_alloc: page=00000000deadbeef pfn=0x1000 order=1 migratetype=0 gfp_flags=GFP_KERNEL
		        modprobe-100     (-------) [000] ....     1.200000: mm_page_alloc: page=00000000deadbeef pfn=0x1002 order=0 migratetype=0 gfp_flags=GFP_KERNEL
		        modprobe-100     [000] d..1  1.300000: mm_page_alloc: page=00000000deadbeef pfn=0x1004 order=2 migratetype=0 gfp_flags=GFP_KERNEL
		           <...>-100     [001] .....  1400000: mm_page_free: page=00000000deadbeef pfn=0x1002 order=0
		        modprobe-100     [000]     2.000000: module_put: alpha call_site=do_init_module refcnt=1
		EOT
	)
	assert_json '.modules[0].pages' 7
	assert_json '.modules[0].net_pages' 6
	assert_json '.malformed_lines' 0
}

@test "accounting: CRLF line ends are accepted" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha | sed 's/$/\r/'
		alloc modprobe 100 1.1 0x1000 0 | sed 's/$/\r/'
		put modprobe 100 1.2 alpha | sed 's/$/\r/'
	)
	assert_json '.modules[0].pages' 1
	assert_json '.modules[0].status' loaded
}

@test "accounting: other events are read and ignored" {
	report_stdin_json < <(
		ev bash 55 0.1 'sched_switch: prev_comm=bash prev_pid=55 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120'
		ev modprobe 100 0.2 'mm_page_free_batched: page=00000000deadbeef pfn=0x1000 order=0'
	)
	assert_json '.events' 2
	assert_json '.malformed_lines' 0
	assert_json '.modules | length' 0
}

@test "accounting: an empty trace gives an empty, complete report" {
	run --separate-stderr "$MDKO" report --input /dev/null
	assert_success
	assert_output --partial 'no module was loaded while tracing'
	assert_output --partial ': complete'
}

@test "accounting: timestamps that run backwards give no init time rather than a wrong one" {
	report_stdin_json < <(
		load_ modprobe 100 5.0 alpha
		alloc modprobe 100 5.1 0x1000 0
		put modprobe 100 4.0 alpha
	)
	assert_json '.modules[0].init_ms' null
	assert_json '.modules[0].pages' 1
}

# ---------------------------------------------------------------------------------------
# the bulk allocator (vmalloc), seen through prepare's kprobe events

benter() { ev "$1" "$2" "$3" "bulk_enter: (__alloc_pages_bulk+0x0/0x6b0) array=${5:-0xffff8ab01ff79000} first=${4:-0x0}"; }
bexit() { ev "$1" "$2" "$3" "bulk_exit: (__vmalloc_node_range+0x264/0x880 <- __alloc_pages_bulk) ret=$4"; }

@test "accounting: vmalloc's bulk pages count, its single-page path once" {
	# 256 pages: 100 + 100 + 56 by the bulk path; then 101: 100 + 1 by the normal
	# allocator inside the bulk call, which fires mm_page_alloc and must not count twice
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.01 0x1000 0
		benter modprobe 100 1.1; bexit modprobe 100 1.11 100
		benter modprobe 100 1.2; bexit modprobe 100 1.21 100
		benter modprobe 100 1.3; bexit modprobe 100 1.31 56
		benter modprobe 100 1.4; bexit modprobe 100 1.41 100
		benter modprobe 100 1.5
		alloc modprobe 100 1.51 0x2000 0
		bexit modprobe 100 1.52 1
		put modprobe 100 1.6 alpha
	)
	assert_success
	assert_json '.modules[0].pages' 358
	assert_json '.modules[0].bulk_pages' 356
	assert_json '.modules[0].net_pages' 358
	assert_json '.bulk_pages_measured' true
}

@test "accounting: bulk calls of other tasks and outside the window do not count" {
	report_stdin_json < <(
		benter modprobe 100 0.9; bexit modprobe 100 0.91 28
		load_ modprobe 100 1.0 alpha
		benter systemd-udevd 200 1.1; bexit systemd-udevd 200 1.11 100
		alloc modprobe 100 1.2 0x1000 0
		put modprobe 100 1.5 alpha
		benter modprobe 100 1.6; bexit modprobe 100 1.61 50
	)
	assert_json '.modules[0].pages' 1
	assert_json '.modules[0].bulk_pages' 0
}

@test "accounting: a bulk call into an array with pages already is not counted, and said so" {
	run "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		benter modprobe 100 1.1 0xffffe8a000041000; bexit modprobe 100 1.11 100
		alloc modprobe 100 1.2 0x1000 0
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_output --regexp 'alpha +1 '
	assert_output --partial 'not counted: 1 bulk allocation into a page array that had pages already'
}

@test "accounting: a trace without bulk events says vmalloc's pages are not seen" {
	run "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_output --partial 'not seen: pages of vmalloc'
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.5 alpha
	)
	assert_json '.bulk_pages_measured' false
	assert_json '.modules[0].bulk_pages' null
}

@test "accounting: bulk returns without their calls, or calls without returns, leave vmalloc's pages not measured" {
	# a boot whose bulk_enter never fired: 32 pages taken, how many unknown
	run "$MDKO" report --input - < <(
		benter systemd-udevd 200 0.5; bexit systemd-udevd 200 0.51 4
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		bexit modprobe 100 1.2 32
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_output --partial 'not measured: pages of vmalloc (the bulk allocator): 1 of its returns in loads or their work came without their call'
	refute_output --partial 'not seen: pages of vmalloc'
	report_stdin_json < <(
		benter systemd-udevd 200 0.5; bexit systemd-udevd 200 0.51 4
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		bexit modprobe 100 1.2 32
		put modprobe 100 1.5 alpha
	)
	assert_json '.bulk_pages_measured' false
	assert_json '.bulk_returns_without_call' 1
	assert_json '.modules[0].bulk_pages' null
	# only returns, no call anywhere: the trace has no bulk_enter
	run "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		bexit modprobe 100 1.2 32
		put modprobe 100 1.5 alpha
	)
	assert_output --partial 'not seen: pages of vmalloc'
	# the other half: calls and not one return (bulk_exit missing)
	run "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		benter modprobe 100 1.2
		put modprobe 100 1.5 alpha
	)
	assert_output --partial 'not measured: pages of vmalloc (the bulk allocator): the trace has its calls and not one return'
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		benter modprobe 100 1.2
		put modprobe 100 1.5 alpha
	)
	assert_json '.bulk_pages_measured' false
	# a return outside every load (its call before the trace began) changes nothing
	report_stdin_json < <(
		bexit systemd-udevd 200 0.4 4
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.05 0x1000 0
		benter modprobe 100 1.1; bexit modprobe 100 1.11 8
		put modprobe 100 1.5 alpha
	)
	assert_json '.bulk_pages_measured' true
	assert_json '.modules[0].bulk_pages' 8
	assert_json 'has("bulk_returns_without_call")' false
}

@test "accounting: a load with bulk pages that frees pages it did not allocate gets a bound on net" {
	run "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.01 0x1000 0
		benter modprobe 100 1.1; bexit modprobe 100 1.11 64
		pfree modprobe 100 1.2 0x5000 0
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_output --regexp 'alpha +65 +260 +65 '
	assert_output --partial 'net may be too high, by up to: alpha 1 pages'
}

# ---------------------------------------------------------------------------------------
# work a load hands to kworkers (workqueue events; async_schedule runs as work too)

wq() { ev "$1" "$2" "$3" "workqueue_queue_work: work struct=$4 function=gt_wq_work [alpha] workqueue=events req_cpu=8192 cpu=0"; }
wstart() { ev "$1" "$2" "$3" "workqueue_execute_start: work struct $4: function gt_wq_work [alpha]"; }
wend() { ev "$1" "$2" "$3" "workqueue_execute_end: work struct $4: function gt_wq_work [alpha]"; }

@test "accounting: work the loader queues counts as the load's deferred pages, apart from its own" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 2
		wq modprobe 100 1.2 ffff8ab001000000
		wstart kworker/0:1 20 1.3 ffff8ab001000000
		alloc kworker/0:1 20 1.31 0x2000 3
		alloc kworker/0:1 20 1.32 0x2100 0
		pfree kworker/0:1 20 1.33 0x2100 0
		wend kworker/0:1 20 1.34 ffff8ab001000000
		alloc kworker/0:1 20 1.35 0x3000 5
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_json '.modules[0].pages' 4
	assert_json '.modules[0].net_pages' 4
	assert_json '.modules[0].deferred_pages' 9
	assert_json '.modules[0].deferred_net_pages' 8
	assert_json '.modules[0].deferred_late_pages' 0
	assert_json '.modules[0].total_pages' 13
	assert_json '.modules[0].total_net_pages' 12
	assert_json '.deferred_measured' true
	assert_json '.total.deferred_pages' 9
}

@test "accounting: work that runs after init returned, and work it queues, still count" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		wq modprobe 100 1.1 ffff8ab001000000
		put modprobe 100 1.2 alpha
		wstart kworker/u4:2 21 1.3 ffff8ab001000000
		alloc kworker/u4:2 21 1.31 0x2000 1
		wq kworker/u4:2 21 1.32 ffff8ab002000000
		wend kworker/u4:2 21 1.33 ffff8ab001000000
		wstart kworker/0:2 22 1.4 ffff8ab002000000
		alloc kworker/0:2 22 1.41 0x3000 0
		wend kworker/0:2 22 1.42 ffff8ab002000000
	)
	assert_json '.modules[0].pages' 0
	assert_json '.modules[0].deferred_pages' 3
	assert_json '.modules[0].deferred_late_pages' 3
}

@test "accounting: a probe of another driver that the load's work runs is that module's, late" {
	# beta's driver binds, and the deferred probe work it queues probes alpha's device
	report_stdin_json < <(
		load_ modprobe 100 1.0 beta
		wq modprobe 100 1.1 ffff8ab001000000
		put modprobe 100 1.2 beta
		wstart kworker/u4:2 21 1.3 ffff8ab001000000
		alloc kworker/u4:2 21 1.31 0x2000 2
		stack kworker/u4:2 21 1.31 '__alloc_pages+0x18c/0x330' 'alpha_probe+0x2c/0x90 [alpha]' \
			'really_probe+0x1/0x2' 'deferred_probe_work_func+0x1/0x2' 'process_one_work+0x1/0x2'
		# alpha's remove gives them back: a free of no load's pages
		pfree kworker/u4:2 21 1.32 0x2000 2
		# beta's own code, beta's work calling alpha's, the kernel's alone: beta's work
		alloc kworker/u4:2 21 1.33 0x3000 0
		stack kworker/u4:2 21 1.33 '__alloc_pages+0x18c/0x330' 'beta_work+0x1/0x2 [beta]'
		alloc kworker/u4:2 21 1.34 0x3100 0
		stack kworker/u4:2 21 1.34 '__alloc_pages+0x18c/0x330' 'alpha_get+0x1/0x2 [alpha]' \
			'beta_work+0x1/0x2 [beta]' 'process_one_work+0x1/0x2'
		alloc kworker/u4:2 21 1.35 0x3200 0
		stack kworker/u4:2 21 1.35 '__alloc_pages+0x18c/0x330' 'kmalloc_large+0x1/0x2' \
			'process_one_work+0x1/0x2'
		wend kworker/u4:2 21 1.4 ffff8ab001000000
	)
	assert_json '[.modules[] | {name, deferred_pages, deferred_net_pages, late_pages}]' \
		'[{"name":"beta","deferred_pages":3,"deferred_net_pages":3,"late_pages":0},{"name":"alpha","deferred_pages":null,"deferred_net_pages":null,"late_pages":4}]' -c
	assert_json '.modules[0].sites | map(.site) | sort' \
		'["alpha_get+0x1/0x2 [alpha]","beta_work+0x1/0x2 [beta]","process_one_work+0x1/0x2"]' -c
	assert_json '.total.late_pages' 4
}

@test "accounting: work queued outside a window, or requeued by an interrupt, is not the load's" {
	report_stdin_json < <(
		wq modprobe 100 0.9 ffff8ab003000000
		load_ modprobe 100 1.0 alpha
		wq modprobe 100 1.1 ffff8ab001000000
		wq '<idle>' 0 1.15 ffff8ab001000000
		wstart kworker/0:1 20 1.2 ffff8ab001000000
		alloc kworker/0:1 20 1.21 0x2000 1
		wend kworker/0:1 20 1.22 ffff8ab001000000
		wstart kworker/0:1 20 1.3 ffff8ab003000000
		alloc kworker/0:1 20 1.31 0x4000 0
		wend kworker/0:1 20 1.32 ffff8ab003000000
		put modprobe 100 1.5 alpha
	)
	assert_json '.modules[0].deferred_pages' 0
}

@test "accounting: what an interrupt allocates or queues in a window is not the load's" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 1
		# a softirq's receive refill and a timer's work, on the loader's CPU
		FLAGS=..s.. alloc modprobe 100 1.15 0x2000 3
		FLAGS=d.h1. wq modprobe 100 1.16 ffff8ab001000000
		# a bottom half turned off is still the task
		FLAGS=..b.. alloc modprobe 100 1.17 0x5000 0
		wstart kworker/0:1 20 1.2 ffff8ab001000000
		alloc kworker/0:1 20 1.21 0x3000 2
		wend kworker/0:1 20 1.22 ffff8ab001000000
		# an RCU callback frees a page of the load: gone all the same
		FLAGS=..s.. pfree modprobe 100 1.3 0x1000 1
		put modprobe 100 1.5 alpha
	)
	assert_json '.modules[0].pages' 3
	assert_json '.modules[0].net_pages' 1
	assert_json '.modules[0].deferred_pages' 0
}

@test "accounting: a bulk call in an interrupt does not end the interrupted task's" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.05 0x1000 0
		benter modprobe 100 1.1
		# a page pool refilled in a softirq on the loader's CPU, inside its bulk call
		FLAGS=..s.. benter modprobe 100 1.11 0x0 0xffff8ab002000000
		FLAGS=..s.. bexit modprobe 100 1.12 64
		bexit modprobe 100 1.2 16
		put modprobe 100 1.5 alpha
	)
	assert_json '.modules[0].pages' 17
	assert_json '.modules[0].bulk_pages' 16
}

@test "accounting: hidden work addresses make the deferred pages unmeasured, and say why" {
	run --separate-stderr "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		wq modprobe 100 1.1 '(____ptrval____)'
		alloc modprobe 100 1.15 0x1000 0
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_output --partial 'work: not measured: the trace shows 1 work addresses as (____ptrval____)'
	assert_output --regexp 'alpha +1 +4 +1 +- '
}

@test "accounting: a trace without workqueue events says the work is not seen" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.5 alpha
	)
	assert_json '.deferred_measured' false
	assert_json '.modules[0].deferred_pages' null
	assert_json '.modules[0].total_pages' null
	run --separate-stderr "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.5 alpha
	)
	assert_output --partial 'work: not seen: the trace has no workqueue events'
}

# ---------------------------------------------------------------------------------------
# traces of older kernels still in kdump use, written from their event formats

# Both fixtures hold the same boot: RHEL 8 (4.18: decimal pfn, four flag columns, "(null)"
# for no page, puts with raw call sites as without kallsyms, execute_end without the
# function) and RHEL 9 (5.14: hex pfn, five flag columns, named call sites).
assert_old_kernel_trace() {
	report_stdin_json < "$FIXTURES/$1"
	assert_success
	assert_json '.complete' true
	assert_json '[.modules[] | "\(.name) \(.pages) \(.net_pages) \(.failed_allocs) \(.deferred_pages) \(.deferred_net_pages) \(.status) \(.oom_kills)"] | join(",")' \
		'virtio_net 5 4 0 0 0 loaded 0,mlx5_core 34 34 1 9 8 loaded 1,mlx5_ib 1 1 0 0 0 failed 0'
	assert_json '.oom_kills' 1
}

@test "accounting: a RHEL 8 (4.18) trace is replayed exactly" {
	assert_old_kernel_trace rhel8-4.18.trace
}

@test "accounting: a RHEL 9 (5.14) trace is replayed exactly" {
	assert_old_kernel_trace rhel9-5.14.trace
}

# ---------------------------------------------------------------------------------------
# rd.memdebug=5: call sites from the kernel stacks of the allocations

stack() { ev "$1" "$2" "$3" "<stack trace>"; shift 3; printf ' => %s\n' "$@"; }

@test "accounting: the call site is the first module frame of the allocation's stack" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 2
		stack modprobe 100 1.1 '__alloc_pages+0x18c/0x330' 'alloc_pages+0x90/0x1a0' \
			'alpha_setup_ring+0x2c/0x90 [alpha]' 'alpha_init+0x1e/0x1000 [alpha]' \
			'do_one_initcall+0x44/0x200'
		alloc modprobe 100 1.2 0x2000 3
		stack modprobe 100 1.2 '__alloc_pages+0x18c/0x330' 'alpha_init+0x40/0x1000 [alpha]'
		alloc modprobe 100 1.3 0x3000 2
		stack modprobe 100 1.3 '__alloc_pages+0x18c/0x330' 'alloc_pages+0x90/0x1a0' \
			'alpha_setup_ring+0x2c/0x90 [alpha]'
		# the kernel allocating on the module's behalf, no module frame: the first
		# frame outside the allocators (sites of equal pages: in the order seen)
		alloc modprobe 100 1.4 0x4000 0
		stack modprobe 100 1.4 'trace_event_raw_event_mm_page_alloc+0x80/0xc0' \
			'__alloc_pages+0x18c/0x330' '__kmalloc_large_node+0x70/0x100' \
			'kobject_uevent_env+0x1a2/0x5d0' 'do_init_module+0x1c8/0x230'
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_json '.modules[0].pages' 17
	assert_json '[.modules[0].sites[] | "\(.site) \(.pages)"] | join(",")' \
		'alpha_setup_ring+0x2c/0x90 [alpha] 8,alpha_init+0x40/0x1000 [alpha] 8,kobject_uevent_env+0x1a2/0x5d0 1'
}

@test "accounting: a frame the kernel names after the module's init text was freed is flagged" {
	# The trace is read after beta failed and was freed: the kernel names its init at
	# 0xffffffffc0a1b000 after alpha's freed init that had the same address, or not at all.
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.05 alpha
		load_ modprobe 101 1.1 beta
		alloc modprobe 101 1.2 0x1000 2
		stack modprobe 101 1.2 '__alloc_pages+0x18c/0x330' 'alloc_pages+0x90/0x1a0' \
			'alpha_init+0x40/0xff0 [alpha]' 'do_one_initcall+0x57/0x310' \
			'do_init_module+0x60/0x250'
		alloc modprobe 101 1.3 0x2000 1
		stack modprobe 101 1.3 '__alloc_pages+0x18c/0x330' '0xffffffffc0a1b1c0' \
			'0xffffffffc0a1b040' 'do_one_initcall+0x57/0x310'
		# beta calling a function alpha exports: alpha's, as it reads
		alloc modprobe 101 1.4 0x3000 0
		stack modprobe 101 1.4 '__alloc_pages+0x18c/0x330' 'alpha_get+0x10/0x80 [alpha]' \
			'beta_init+0x20/0x100 [beta]' 'do_one_initcall+0x57/0x310'
		# below a bare address, a frame in the module still wins
		alloc modprobe 101 1.5 0x4000 0
		stack modprobe 101 1.5 '__alloc_pages+0x18c/0x330' '0xffffffffc0a1b1c0' \
			'kthread_run_on_cpu+0x10/0x80' 'beta_setup+0x20/0x100 [beta]' \
			'do_one_initcall+0x57/0x310'
		# beta's freed init, read as alpha's, calling into gamma: gamma's, as it reads
		alloc modprobe 101 1.55 0x5000 0
		stack modprobe 101 1.55 '__alloc_pages+0x18c/0x330' 'gamma_get+0x10/0x80 [gamma]' \
			'alpha_init+0x60/0xff0 [alpha]' 'do_one_initcall+0x57/0x310'
		put modprobe 101 1.6 beta
	)
	assert_success
	assert_json '[.modules[] | select(.name == "beta") | .sites[] | "\(.site) \(.pages)"] | join(",")' \
		'freed init (kernel: alpha_init+0x40/0xff0) [beta] 4,freed init (kernel: 0xffffffffc0a1b1c0) [beta] 2,alpha_get+0x10/0x80 [alpha] 1,beta_setup+0x20/0x100 [beta] 1,gamma_get+0x10/0x80 [gamma] 1'
}

@test "accounting: stacks interleaved with other CPUs' events go to their own task's allocation" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		load_ systemd-udevd 200 1.0 beta
		alloc modprobe 100 1.1 0x1000 1
		CPU=1 alloc systemd-udevd 200 1.11 0x2000 0
		stack modprobe 100 1.12 '__alloc_pages+0x18c/0x330' 'alpha_init+0x1e/0x1000 [alpha]'
		CPU=1 stack systemd-udevd 200 1.13 '__alloc_pages+0x18c/0x330' 'beta_probe+0x1e/0x300 [beta]'
		put modprobe 100 1.5 alpha
		put systemd-udevd 200 1.6 beta
	)
	assert_json '.modules[] | select(.name == "alpha") | .sites[0].site' 'alpha_init+0x1e/0x1000 [alpha]'
	assert_json '.modules[] | select(.name == "alpha") | .sites[0].pages' 2
	assert_json '.modules[] | select(.name == "beta") | .sites[0].site' 'beta_probe+0x1e/0x300 [beta]'
}

@test "accounting: the text report lists the top call sites; level 4 traces have none" {
	run --separate-stderr "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 2
		stack modprobe 100 1.1 '__alloc_pages+0x18c/0x330' 'alpha_init+0x1e/0x1000 [alpha]'
		put modprobe 100 1.5 alpha
	)
	assert_success
	# the frames are lines of the stack event, not events
	assert_output --partial 'events: 4 read, 0 lost, 0 malformed lines skipped: complete'
	assert_line 'call sites (rd.memdebug=5), pages from the kernel stacks of the allocations:'
	assert_line '  alpha: alpha_init+0x1e/0x1000 [alpha] 4'
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 2
		put modprobe 100 1.5 alpha
	)
	assert_json '.modules[0] | has("sites")' false
}

# ---------------------------------------------------------------------------------------
# kernel threads a load starts: kthread_create renames kthreadd's child from the caller

rename() { ev "$1" "$2" "$3" "task_rename: pid=$4 oldcomm=${6:-kthreadd} newcomm=$5 oom_score_adj=0"; }

@test "accounting: a kernel thread the loader starts takes deferred pages, apart from its own" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 1
		rename modprobe 100 1.2 300 'alpha thread'
		alloc 'alpha thread' 300 1.3 0x2000 2
		alloc 'alpha thread' 300 1.31 0x2100 2
		put modprobe 100 1.5 alpha
		# after init returned: late, still the load's
		alloc 'alpha thread' 300 1.6 0x3000 0
		# a thread of another task, and one renamed from another name: not the load's
		rename systemd-udevd 200 1.7 301 other-thread
		alloc other-thread 301 1.71 0x4000 0
		rename modprobe 100 1.8 302 renamed sh
		# prepare records the work events too: without them no deferred figure is known
		wstart kworker/0:1 20 1.9 ffff8ab001000000
	)
	assert_success
	assert_json '.modules[0].pages' 2
	assert_json '.modules[0].kthreads' 1
	assert_json '.modules[0].deferred_pages' 9
	assert_json '.modules[0].kthread_pages' 9
	assert_json '.modules[0].deferred_late_pages' 1
	assert_json '.modules[0].total_pages' 11
	assert_json '.kthreads_measured' true
}

@test "accounting: work that starts a thread hands the load on to it; vmalloc in both counts" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		wq modprobe 100 1.1 ffff8ab001000000
		put modprobe 100 1.2 alpha
		wstart kworker/0:1 20 1.3 ffff8ab001000000
		rename kworker/0:1 20 1.31 300 alpha-scan
		benter kworker/0:1 20 1.32; bexit kworker/0:1 20 1.33 16
		wend kworker/0:1 20 1.34 ffff8ab001000000
		benter alpha-scan 300 1.4
		alloc alpha-scan 300 1.41 0x1000 0
		bexit alpha-scan 300 1.42 8
	)
	assert_json '.modules[0].pages' 0
	assert_json '.modules[0].deferred_pages' 24
	assert_json '.modules[0].deferred_bulk_pages' 23
	assert_json '.modules[0].kthread_pages' 8
	assert_json '.modules[0].deferred_late_pages' 24
}

newtask() { ev kthreadd 2 "$1" "task_newtask: pid=$2 comm=$3 clone_flags=800711 oom_score_adj=0"; }
waking() { ev "$1" "$2" "$3" "sched_waking: comm=$4 pid=$5 prio=120 target_cpu=001"; }

@test "accounting: from Linux 6.2, a new thread that wakes the loader first is the load's" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		newtask 1.1 300 'alpha thread'
		waking 'alpha thread' 300 1.101 modprobe 100
		alloc 'alpha thread' 300 1.2 0x2000 2
		# a kworker: the pool's own; a thread whose first wakeup came a second later;
		# a thread that woke a task outside every load
		newtask 1.3 301 kworker/u4:2
		waking kworker/u4:2 301 1.31 modprobe 100
		alloc kworker/u4:2 301 1.32 0x3000 0
		newtask 1.4 302 slow
		waking slow 302 2.5 modprobe 100
		alloc slow 302 2.6 0x4000 0
		newtask 1.5 303 other
		waking other 303 1.51 systemd-udevd 200
		waking other 303 1.52 modprobe 100
		alloc other 303 1.53 0x5000 0
		put modprobe 100 3.0 alpha
		wstart kworker/0:1 20 3.1 ffff8ab001000000
	)
	assert_success
	assert_json '.kthreads_measured' true
	assert_json '.modules[0].kthreads' 1
	assert_json '.modules[0].kthread_pages' 4
	assert_json '.modules[0].deferred_pages' 4
}

@test "accounting: a wakeup the filter drops is no creator's, in a trace recorded without it" {
	# trace_event= records every wakeup: the new thread's RCU softirq woke rcu_preempt
	# before the loader woke the thread (Debian's 6.12 in the boot test)
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		newtask 1.1 300 'alpha thread'
		waking 'alpha thread' 300 1.101 rcu_preempt 18
		waking modprobe 100 1.102 'alpha thread' 300
		alloc 'alpha thread' 300 1.2 0x2000 2
		newtask 1.3 301 beta
		waking beta 301 1.301 ksoftirqd/1 21
		waking beta 301 1.302 kworker/1:1 22
		waking systemd-udevd 200 1.303 beta 301
		alloc beta 301 1.31 0x3000 0
		put modprobe 100 3.0 alpha
		wstart kworker/0:1 20 3.1 ffff8ab001000000
	)
	assert_json '.modules[0].kthreads' 1
	assert_json '.modules[0].kthread_pages' 4
}

@test "accounting: a wakeup in an interrupt on the new thread's CPU is not its act" {
	# 7.3 without RDRAND: a softirq on mdko_gt_kthread's new thread woke DAMON's
	# kdamond.0 before the thread woke the loader that made it
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		newtask 1.1 300 'alpha thread'
		FLAGS=..s.. waking 'alpha thread' 300 1.101 kdamond.0 53
		waking 'alpha thread' 300 1.102 modprobe 100
		alloc 'alpha thread' 300 1.2 0x2000 2
		newtask 1.3 301 beta
		FLAGS=.Hs.. waking beta 301 1.301 kdamond.0 53
		waking modprobe 100 1.302 beta 301
		alloc beta 301 1.31 0x3000 0
		put modprobe 100 3.0 alpha
	)
	assert_json '.modules[0].kthreads' 2
	assert_json '.modules[0].kthread_pages' 5
}

@test "accounting: PREEMPT_RT's timer thread and the reclaim threads are no creators" {
	# 6.12-rt: mdko_gt_kthread's thread woke ktimers/0 before the loader that made it
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		newtask 1.1 300 'alpha thread'
		waking 'alpha thread' 300 1.101 ktimers/0 18
		waking 'alpha thread' 300 1.102 modprobe 100
		alloc 'alpha thread' 300 1.2 0x2000 2
		newtask 1.3 301 beta
		waking beta 301 1.301 kswapd0 40
		waking beta 301 1.302 kcompactd0 41
		waking beta 301 1.303 modprobe 100
		alloc beta 301 1.31 0x3000 0
		put modprobe 100 3.0 alpha
	)
	assert_json '.modules[0].kthreads' 2
	assert_json '.modules[0].kthread_pages' 5
}

@test "accounting: from Linux 6.2, on one CPU the loader's wakeup of its new thread links it" {
	# the thread ran and completed before the loader waited: no wakeup of the loader;
	# kthread_run's wake_up_process() of the thread is the first wakeup between them
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		newtask 1.1 300 'alpha thread'
		waking modprobe 100 1.2 'alpha thread' 300
		alloc 'alpha thread' 300 1.3 0x2000 1
		# work the load queued starts a thread, and wakes it
		wq modprobe 100 1.4 ffff8ab001000000
		put modprobe 100 1.5 alpha
		wstart kworker/0:1 20 1.6 ffff8ab001000000
		newtask 1.61 301 scsi_eh_0
		waking kworker/0:1 20 1.62 scsi_eh_0 301
		wend kworker/0:1 20 1.63 ffff8ab001000000
		alloc scsi_eh_0 301 1.7 0x3000 0
	)
	assert_json '.modules[0].kthreads' 2
	assert_json '.modules[0].kthread_pages' 3
}

@test "accounting: a thread seen both ways (rename and wakeup) counts once" {
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		newtask 1.1 300 kthreadd
		waking kthreadd 300 1.101 modprobe 100
		rename modprobe 100 1.102 300 alpha-thread
		alloc alpha-thread 300 1.2 0x2000 1
		put modprobe 100 3.0 alpha
		wstart kworker/0:1 20 3.1 ffff8ab001000000
	)
	assert_json '.modules[0].kthreads' 1
	assert_json '.modules[0].kthread_pages' 2
}

@test "accounting: a thread that names itself cannot be linked, and the report says so" {
	run --separate-stderr "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		# a kernel that renames the new thread in the thread: no pid of the creator
		ev alpha-thread 300 1.2 'task_rename: oldcomm=kthreadd newcomm=alpha-thread oom_score_adj=0'
		alloc alpha-thread 300 1.3 0x2000 2
		put modprobe 100 1.5 alpha
	)
	assert_success
	assert_output --partial 'threads: not measured: this kernel lets 1 new kernel thread name itself'
	report_stdin_json < <(
		ev alpha-thread 300 1.2 'task_rename: oldcomm=kthreadd newcomm=alpha-thread oom_score_adj=0'
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.5 alpha
	)
	assert_json '.kthreads_measured' false
}

@test "accounting: a trace without task_rename says threads are not seen" {
	run --separate-stderr "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		put modprobe 100 1.5 alpha
	)
	assert_output --partial 'threads: not seen: the trace has no task:task_rename or task_newtask event'
	assert_output --partial 'late: not seen: the trace has no kernel stacks'
	refute_output --partial ' late '
}

@test "accounting: rd.memdebug=5: the module on top of a stack of no load gets late pages" {
	run --separate-stderr "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		alloc modprobe 100 1.1 0x1000 0
		stack modprobe 100 1.1 '__alloc_pages+0x18c/0x330' 'alpha_init+0x1e/0x1000 [alpha]'
		put modprobe 100 1.5 alpha
		# a probe that udev triggers later, and a shell's kernel allocation of no module
		alloc '(udev-worker)' 200 2.0 0x2000 3
		stack '(udev-worker)' 200 2.0 '__alloc_pages+0x18c/0x330' 'alpha_probe+0x2c/0x90 [alpha]' \
			'beta_bus_probe+0x10/0x40 [beta]' 'really_probe+0x1/0x2'
		alloc sh 300 2.1 0x3000 0
		stack sh 300 2.1 '__alloc_pages+0x18c/0x330' 'pipe_write+0x1/0x2'
	)
	assert_success
	assert_line --regexp '^module +pages +KiB +net +work +late +imgKiB '
	assert_line --regexp '^alpha +1 +4 +1 +- +8 +- '
	assert_line --regexp '^total +1 +4 +1 +- +8 +- '
	assert_output --partial 'late: pages the module'"'"'s code took outside its load, its work and its threads'
	assert_output --partial 'call sites (rd.memdebug=5)'
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.5 alpha
		alloc '(udev-worker)' 200 2.0 0x2000 3
		stack '(udev-worker)' 200 2.0 '__alloc_pages+0x18c/0x330' 'alpha_probe+0x2c/0x90 [alpha]'
		# kallsyms names trampolines and BPF like modules: no module, no row
		alloc sh 300 2.1 0x3000 0
		stack sh 300 2.1 '__alloc_pages+0x18c/0x330' 'ftrace_trampoline+0x0/0x100 [__builtin__ftrace]' \
			'bpf_prog_6deef7357e7b4530+0x1/0x2 [bpf]' 'alpha_ioctl+0x1/0x2 [alpha]'
	)
	assert_json '.modules | length' 1
	assert_json '.modules[0].late_pages' 9
	assert_json '.modules[0].pages' 0
	assert_json '.late_measured' true
	assert_json '.total.late_pages' 9
}

@test "accounting: a stack the kernel recorded without a frame is flagged, not a 0" {
	# s390x's 6.1 records the stacks of its kworkers empty: the late pages of the code
	# that ran there cannot be had, and the report says by how many pages late may be short
	run --separate-stderr "$MDKO" report --input - < <(
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.5 alpha
		alloc '(udev-worker)' 200 2.0 0x2000 1
		stack '(udev-worker)' 200 2.0 '__alloc_pages+0x18c/0x330' 'alpha_probe+0x2c/0x90 [alpha]'
		alloc kworker/0:1 30 2.1 0x3000 2
		stack kworker/0:1 30 2.1
		alloc kworker/0:1 30 2.2 0x4000 0
		stack kworker/0:1 30 2.2
	)
	assert_success
	assert_line --regexp '^alpha +0 +0 +0 +- +2 +- '
	assert_output --partial 'late: 2 kernel stacks of 5 pages came without a frame: whose code took them is unknown, so late (and work, where another module'"'"'s code ran in it) may be short by up to as many'
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.5 alpha
		alloc kworker/0:1 30 2.1 0x3000 2
		stack kworker/0:1 30 2.1
	)
	assert_json '.empty_stacks' 1
	assert_json '.empty_stack_pages' 4
	# a stack with frames is none of them
	report_stdin_json < <(
		load_ modprobe 100 1.0 alpha
		put modprobe 100 1.5 alpha
		alloc sh 300 2.1 0x3000 0
		stack sh 300 2.1 '__alloc_pages+0x18c/0x330' 'pipe_write+0x1/0x2'
	)
	assert_json '.empty_stacks' null
}

@test "accounting: an event name with a NUL byte in it is no known event (fuzz finding)" {
	# the catalog lookup compared names with strncmp(), which stops at the NUL, and then
	# read past the end of the shorter name (AddressSanitizer in the asan variant)
	printf 'modprobe-1 [000] .... 1.000000: mm_page_free\0xxxxxxxx: page=0x1 pfn=0x1 order=0\n' \
		>"$BATS_TEST_TMPDIR/nul.trace"
	run -0 "$MDKO" report --input "$BATS_TEST_TMPDIR/nul.trace" --format json
	assert_json '.events' 1
	assert_json '.modules | length' 0
}
