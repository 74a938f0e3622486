#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The text table and the JSON object, against golden files checked by hand.

load helpers

@test "output: the text report matches its golden file" {
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace"
	diff -u "$GOLDEN/mixed.txt" <(printf '%s\n' "$output")
}

@test "output: the JSON report matches its golden file" {
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --format json
	diff -u "$GOLDEN/mixed.json" <(printf '%s\n' "$output")
}

@test "output: --sort load keeps the load order" {
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" --sort load
	diff -u "$GOLDEN/mixed-sort-load.txt" <(printf '%s\n' "$output")
}

@test "output: --sort name sorts by module name" {
	run -0 "$MDKO" report --input "$FIXTURES/mixed.trace" --sort=name
	names=$(sed -n '4,11p' <<<"$output" | awk '{print $1}' | paste -sd' ')
	assert_equal "$names" 'autofs4 bogus_hw crc16 custom ext4 slow_init virtio_blk virtio_net'
}

@test "output: --sort pages puts the largest first and unmeasured loads last" {
	run -0 "$MDKO" report --input "$FIXTURES/mixed.trace"
	assert_line --index 3 --regexp '^ext4 +16 +64 +16 '
	assert_line --index 10 --regexp '^custom +n/a '
}

@test "output: JSON lists one entry per window in load order whatever the sort" {
	run -0 "$MDKO" report --input "$FIXTURES/mixed.trace" --format json --sort name
	assert_json '[.modules[].name] | join(" ")' \
		'autofs4 virtio_blk virtio_net crc16 ext4 bogus_hw custom slow_init'
	assert_json '.modules | map(has("name","pid","comm","pages","net_pages","allocs","status")) | all' true
	assert_json '.total.pages' 35
	assert_json '.total.net_pages' 31
}

@test "output: --json-file writes the same JSON as --format json" {
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" \
		--json-file "$BATS_TEST_TMPDIR/r.json"
	assert_line --index 0 --partial 'module memory while loading'
	diff -u "$GOLDEN/mixed.json" "$BATS_TEST_TMPDIR/r.json"
	[[ ! -e "$BATS_TEST_TMPDIR/r.json.tmp" ]]
}

@test "output: an unwritable --json-file is a runtime error, the table is still printed" {
	run -1 --separate-stderr "$MDKO" report --input "$FIXTURES/mixed.trace" \
		--json-file "$BATS_TEST_TMPDIR/no/such/dir/r.json"
	assert_line --index 0 --partial 'module memory while loading'
	[[ "$stderr" == *"cannot write $BATS_TEST_TMPDIR/no/such/dir/r.json.tmp"* ]]
}

@test "output: every line of the text report fits an 80-column console" {
	run -0 "$MDKO" report --input "$FIXTURES/mixed.trace"
	while IFS= read -r line; do
		# the footnotes are prose, the table must fit
		[[ "$line" == *:* && "$line" != *"["* ]] && continue
		((${#line} <= 80)) || fail "line longer than 80 columns: '$line'"
	done <<<"$output"
}

@test "output: hostile comm and module names cannot break JSON or the terminal" {
	report_stdin_json < <(
		printf '%16s-%-7d [000] ..... %12s: module_load: %s\n' $'ev\x1b[1m"il' 9 1.0 $'m\\o"d\xff'
		printf '%16s-%-7d [000] ..... %12s: module_put: %s call_site=do_init_module refcnt=1\n' $'ev\x1b[1m"il' 9 1.1 $'m\\o"d\xff'
	)
	assert_success
	assert_json '.modules[0].name' $'m\\o"d\xc3\xbf'
	run -0 "$MDKO" report --input - --loader x < <(
		printf '%16s-%-7d [000] ..... %12s: module_load: %s\n' $'ev\x1b[1m' 9 1.0 $'bad\x1bname'
	)
	[[ "$output" != *$'\x1b'* ]] || fail "an escape character reached the terminal"
}

@test "output: replaying the QEMU boot's saved trace and /proc/modules gives its live report" {
	# golden/boot-shell-live.json is what the guest's live report saved at that boot,
	# before the report had the fields of the bulk allocator, deferred work and threads
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" \
		--proc "$FIXTURES/boot-shell-proc" --format json
	diff -u <(jq -S '.modules | map(del(.init_ms))' "$GOLDEN/boot-shell-live.json") \
		<(jq -S '.modules | map(del(.init_ms, .bulk_pages, .freed_unmatched_pages, .deferred_pages, .deferred_net_pages, .deferred_late_pages, .deferred_bulk_pages, .kthreads, .kthread_pages, .late_pages, .total_pages, .total_net_pages, .load_s, .end_s))' <<<"$output")
	# the text trace has microseconds, the live raw read nanoseconds
	assert_json "[.modules, \$live[0].modules] | transpose
		| map((.[0].init_ms // 0) - (.[1].init_ms // 0) | fabs <= 0.002) | all" true \
		--slurpfile live "$GOLDEN/boot-shell-live.json"
}

@test "output: virtio_blk's own blkdev_put inside its init does not close its window" {
	# a real trap from the boot trace: the 2016 parser reported 116 pages here
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --format json
	assert_json '.modules[] | select(.name=="virtio_blk") | .pages' 120
	assert_json '.modules[] | select(.name=="crc32c_intel") | .status' failed
}

# A capture kernel's /proc/meminfo (Debian 6.1, 1 CPU, crashkernel=256M) and command line.
budget_proc() {
	local p=$BATS_TEST_TMPDIR/proc
	mkdir -p "$p"
	cp "$FIXTURES/boot-shell-proc/modules" "$p/modules"
	cat >"$p/meminfo" <<-'EOT'
	MemTotal:         220224 kB
	MemFree:          150296 kB
	MemAvailable:     149032 kB
	Buffers:               0 kB
	Cached:            49964 kB
	Shmem:             48232 kB
	AnonPages:          3420 kB
	Slab:               6248 kB
	KernelStack:         832 kB
	PageTables:          296 kB
	Percpu:              304 kB
	EOT
	echo 'BOOT_IMAGE=/vmlinuz nr_cpus=1 irqpoll reset_devices elfcorehdr=0x73000000 rd.memdebug=4' >"$p/cmdline"
	echo "$p"
}

@test "output: the budget rows come from meminfo and add up to MemTotal" {
	local p
	p=$(budget_proc)
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.mem_total_kib' 220224
	assert_json '.budget.capture_kernel' true
	assert_json '.budget.crashkernel' null
	assert_json '[.budget.rows[].kib] | add' 220224
	assert_json '.budget.rows[] | select(.row == "kernel, other") | .kib' 8864
	assert_json '.budget.rows[] | select(.row == "files") | .kib' 49964
	assert_json '.budget.initramfs_kib' null
	assert_json '.budget.module_images_kib > 0' true
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line 'budget of the whole kernel at the report: 220224 KiB (MemTotal); this is a kdump capture kernel (elfcorehdr=)'
	assert_line --regexp '^  free +150296  MemFree$'
	assert_line --regexp '^  kernel, other +8864  MemTotal less the rows above; of it module images [0-9]+ \(/proc/modules\)$'
	assert_line --regexp '^  module allocations [0-9]+ KiB net '
	assert_line --regexp '^  available +149032  MemAvailable$'
}

@test "output: an older kernel's meminfo without some fields gives unknown rows, still a sum" {
	local p
	p=$(budget_proc)
	sed -i '/Percpu/d' "$p/meminfo"
	echo 'root=/dev/sda1 crashkernel=1G-4G:192M,4G-:256M' >"$p/cmdline"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.rows[] | select(.row == "percpu") | .kib' null
	assert_json '[.budget.rows[].kib // 0] | add' 220224
	assert_json '.budget.crashkernel' '1G-4G:192M,4G-:256M'
	assert_json '.budget.capture_kernel' false
	# without --proc, a replay has no budget
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --format json
	assert_json 'has("budget")' false
}

@test "output: the reserved crash size from /sys/kernel/kexec/crash_size, else kexec_crash_size" {
	local p r=$BATS_TEST_TMPDIR/root
	p=$(budget_proc)
	echo 'root=/dev/sda1 crashkernel=256M' >"$p/cmdline"
	mkdir -p "$r/sys/kernel/kexec"
	echo $((256 << 20)) >"$r/sys/kernel/kexec_crash_size"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r" --format json
	assert_json '.budget.kexec_crash_size' $((256 << 20))
	# a newer kernel has both; after a shrink through either they agree, the new one is read
	echo $((192 << 20)) >"$r/sys/kernel/kexec/crash_size"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r"
	assert_line 'budget of the whole kernel at the report: 220224 KiB (MemTotal); crashkernel=256M on the command line; 196608 KiB reserved for a capture kernel (kexec crash_size)'
	# nothing reserved: no word of it
	echo 0 >"$r/sys/kernel/kexec/crash_size"
	echo 0 >"$r/sys/kernel/kexec_crash_size"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r" --format json
	assert_json '.budget.kexec_crash_size' 0
}

@test "output: crashkernel=...,cma (6.17) beside the main part, and initramfs_options= (6.18)" {
	local p r=$BATS_TEST_TMPDIR/root
	p=$(budget_proc)
	echo 'root=/dev/sda1 crashkernel=256M crashkernel=1G,cma initramfs_options=size=90% quiet' >"$p/cmdline"
	mkdir -p "$r/sys/kernel/kexec"
	echo $((256 << 20)) >"$r/sys/kernel/kexec/crash_size"
	# the kernel's format: "%08llx-%08llx\n" a range, the end included
	printf '%s\n' 140000000-17fffffff 180000000-187ffffff >"$r/sys/kernel/kexec/crash_cma_ranges"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r" --format json
	assert_json '.budget.crashkernel' '256M 1G,cma'
	assert_json '.budget.initramfs_options' 'size=90%'
	assert_json '.budget.kexec_crash_size' $((256 << 20))
	assert_json '.budget.kexec_crash_cma' $((1152 << 20))
	assert_json '.budget.rootfs_size_kib' null
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r"
	assert_line 'budget of the whole kernel at the report: 220224 KiB (MemTotal); crashkernel=256M 1G,cma on the command line; 262144 KiB reserved for a capture kernel (kexec crash_size); 1179648 KiB of CMA for it besides (crashkernel=...,cma)'
	# the older place of the file; none, or an empty one, is no CMA
	mv "$r/sys/kernel/kexec/crash_cma_ranges" "$r/sys/kernel/kexec_crash_cma_ranges"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r" --format json
	assert_json '.budget.kexec_crash_cma' $((1152 << 20))
	: >"$r/sys/kernel/kexec_crash_cma_ranges"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r" --format json
	assert_json '.budget.kexec_crash_cma' 0
	assert_json '.budget.crashkernel' '256M 1G,cma'
}

@test "output: arm64's capture kernel: elfcorehdr in the device tree, else /proc/vmcore" {
	local p
	p=$(budget_proc)
	# arm64's kexec hands the core header over in /chosen, not on the command line
	echo 'BOOT_IMAGE=/vmlinuz nr_cpus=1 reset_devices rd.memdebug=4' >"$p/cmdline"
	mkdir -p "$p/device-tree/chosen"
	printf '\0\0\0\0\x5b\x5f\0\0' >"$p/device-tree/chosen/linux,elfcorehdr"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.capture_kernel' true
	assert_json '.budget.dump' kdump
	assert_json '.budget.capture_from' /proc/device-tree/chosen/linux,elfcorehdr
	# booted by ACPI, without a device tree: /proc/vmcore, which only a capture kernel has
	rm -r "$p/device-tree"
	: >"$p/vmcore"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line 'budget of the whole kernel at the report: 220224 KiB (MemTotal); this is a kdump capture kernel (/proc/vmcore)'
	# neither: not a capture kernel
	rm "$p/vmcore"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.capture_kernel' false
}

@test "output: ppc64's capture kernel: its RAM less what the device tree reserves below it" {
	local p r=$BATS_TEST_TMPDIR/root
	p=$(budget_proc)
	echo 'root=/dev/sda1 elfcorehdr=565824K nr_cpus=1' >"$p/cmdline"
	# kexec-tools leaves the crashed kernel's 512 MiB below the region in iomem...
	echo '00000000-2fffffff : System RAM' >"$p/iomem"
	# ... and reserves it in the flattened device tree from 64 KiB up, beside its own
	# segments in the region: a big-endian header (magic, ..., off_mem_rsvmap 40 at
	# byte 16), then (address, size) pairs up to (0, 0)
	mkdir -p "$r/sys/firmware"
	{
		printf '\xd0\x0d\xfe\xed\0\0\0\x80\0\0\0\x78\0\0\0\x78\0\0\0\x28'
		printf '\0\0\0\x11\0\0\0\x10\0\0\0\0\0\0\0\0\0\0\0\0'
		printf '\0\0\0\0\0\x01\0\0\0\0\0\0\x1f\xff\0\0'
		printf '\0\0\0\0\x22\x89\0\0\0\0\0\0\0\x01\0\0'
		printf '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'
	} >"$r/sys/firmware/fdt"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r" --format json
	assert_json '.budget.capture_kernel' true
	assert_json '.budget.estimate.fdt_reserved_kib' 524224
	assert_json '.budget.estimate.ram_kib' 262208
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --root "$r"
	assert_output --partial 'estimate: the dump step: RAM 262208 (iomem, less the crashed kernel'"'"'s 524224 below it that the device tree reserves) - '
	# no device tree, or not one: iomem as it is
	printf 'not a device tree' >"$r/sys/firmware/fdt"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" \
		--root "$r" --format json
	assert_json '.budget.estimate.ram_kib' 786432
	assert_json '.budget.estimate.fdt_reserved_kib' null
}

@test "output: a capture kernel's estimate: its RAM less the lowest available, plus what the dump needs" {
	local p
	p=$(budget_proc)
	# 256 MiB of RAM; a 768 MiB vmcore: 196,608 pages, two bitmaps of 24 KiB each
	printf '%s\n' '00000000-00000fff : Reserved' '00001000-0009ffff : System RAM' \
		'  00001000-00001fff : Kernel code' '70000000-7ff5ffff : System RAM' \
		'fee00000-fee00fff : Local APIC' >"$p/iomem"
	truncate -s 768M "$p/vmcore"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	# (0x9f000 + 0xff60000) bytes = 262,140 KiB; the dump step 262140 - 149032 + 48 =
	# 113156 -> 112 MiB rounded up to 16; the unpacking the same without the bitmaps, with
	# the compressed initramfs (no kernel log offline: 0) and without what the modules
	# took after it: their images in /proc/modules, 2188 KiB, and the 228 pages that the
	# loads held at the report: 262140 - 149032 + 0 - 3100 = 110008
	assert_json '.budget.estimate.ram_kib' 262140
	assert_json '.budget.estimate.low_available_kib' 149032
	assert_json '.budget.estimate.low_from' report
	assert_json '.budget.estimate.dump_bitmaps_kib' 48
	assert_json '.budget.estimate.initrd_kib' null
	assert_equal "$(awk '{ k += int(($2 + 1023) / 1024) } END { print k }' "$p/modules")" 2188
	assert_equal "$(jq '[.modules[] | select(.status == "loaded") | .net_pages] | add' <<<"$output")" 228
	assert_json '.budget.estimate.modules_kib' 3100
	assert_json '.budget.estimate.dump_kib' 113156
	assert_json '.budget.estimate.unpack_kib' 110008
	assert_json '.budget.estimate.formula_kib' 113156
	assert_json '.budget.estimate.needed_kib' 113156
	assert_json '.budget.estimate.crashkernel_mib' 112
	assert_json '.budget.estimate.short_kib' 0
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line "estimate: crashkernel=112M: the larger of the dump step's 113156 KiB and the unpacking's 110008, rounded up to 16 MiB"
	assert_line 'estimate: the dump step: RAM 262140 (iomem) - lowest available 149032 (at the report) + dump bitmaps 48 (makedumpfile(8): 2 bits per page of the 768 MiB vmcore, 4096 KiB at most) = 113156 KiB'
	assert_line 'estimate: the unpacking: RAM 262140 - lowest available 149032 + compressed initramfs ? (kernel log) - modules 3100 (their images and what their loads that ended by the report held: they came after the unpacking) = 110008 KiB; without the initramfs, which the kernel log no longer holds: too low'
	assert_line 'estimate: this capture kernel had 262140 KiB of RAM, 148984 more than it needed'
	# a 4 TiB machine: two bitmaps of 128 MiB each, but makedumpfile's cyclic mode keeps
	# 4 MiB of them at a time: 262140 - 149032 + 4096 = 117204 KiB -> 128 MiB
	truncate -s 4T "$p/vmcore"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line --partial 'estimate: crashkernel=128M: the larger of the dump step'"'"'s 117204 KiB'
	assert_line 'estimate: the dump step: RAM 262140 (iomem) - lowest available 149032 (at the report) + dump bitmaps 4096 (makedumpfile(8): 2 bits per page of the 4194304 MiB vmcore, 4096 KiB at most) = 117204 KiB'
	# and a capture kernel whose low point leaves less than that is short
	sed -i 's/^MemAvailable:.*/MemAvailable: 2048 kB/' "$p/meminfo"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	# 262140 - 2048 + 4096 = 264188 KiB -> 17 x 16 MiB
	assert_line 'estimate: SHORT: this capture kernel has 262140 KiB of RAM and needed 264188: short by 2048 KiB; raise crashkernel= to 272M'
	# free pages in the per-CPU lists, which MemAvailable leaves out: 2 + 3 pages of 4 KiB,
	# kept beside the estimate, which stands for the unpacking too: not taken off
	printf '%s\n' 'Node 0, zone    DMA32' '  pagesets' '    cpu: 0' '              count: 2' \
		'              high:  6' 'Node 0, zone   Normal' '  pagesets' '    cpu: 0' \
		'              count: 3' >"$p/zoneinfo"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.estimate.low_pcp_kib' 20
	assert_json '.budget.estimate.needed_kib' 264188
	assert_json '.budget.estimate.dump_threads_kib' 0
	# a capture kernel of 4 CPUs: kdump-utils gives makedumpfile 4 threads, 1 MiB each
	printf 'processor\t: %s\n\n' 0 1 2 3 >"$p/cpuinfo"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.estimate.cpus' 4
	assert_json '.budget.estimate.dump_threads_kib' 4096
	assert_json '.budget.estimate.needed_kib' 268284
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line --partial '+ dump threads 4096 (makedumpfile --num-threads: kdump-utils starts one a CPU of the 4 here, about 1 MiB each) = 268284 KiB'
}

@test "output: a vmcore of a size no machine has: its bitmaps at their most, the size flagged" {
	local p v=/dev/shm/memdebug-ko-vmcore.$$
	p=$(budget_proc)
	printf '%s\n' '00001000-0009ffff : System RAM' '70000000-7ff5ffff : System RAM' >"$p/iomem"
	# kexec-tools 2.0.25's headers on arm64 6.1 made a /proc/vmcore of 16 EiB; 5 PiB is
	# what a sparse file of tmpfs holds
	truncate -s 5P "$v" 2>/dev/null || skip "no tmpfs in /dev/shm for a sparse 5 PiB file"
	ln -s "$v" "$p/vmcore"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.estimate.vmcore_bytes' null
	assert_json '.budget.estimate.vmcore_bogus_bytes' 5629499534213120
	assert_json '.budget.estimate.dump_bitmaps_kib' 4096
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	rm -f "$v"
	assert_line --partial '+ dump bitmaps 4096 (makedumpfile(8): 2 bits per page of a vmcore of 5629499534213120 bytes, which no machine has: its headers are wrong, 4096 KiB at most)'
	refute_output --partial 'the crashed system had'
}

@test "output: after the OOM killer struck, the estimate takes no memory as available and says SHORT" {
	local p t=$BATS_TEST_TMPDIR/oom.trace
	p=$(budget_proc)
	printf '%s\n' '00001000-0009ffff : System RAM' '70000000-7ff5ffff : System RAM' >"$p/iomem"
	truncate -s 768M "$p/vmcore"
	# the lowest sample left 149032 KiB, but a kill freed memory between two samples
	cp "$FIXTURES/boot-shell.trace" "$t"
	echo '       modprobe-412     [000] .....    18.200000: mark_victim: pid=377' >>"$t"
	run -0 --separate-stderr "$MDKO" report --input "$t" --proc "$p" --format json
	assert_json '.oom_kills' 1
	assert_json '.budget.estimate.low_available_kib' 149032
	# 262140 - 0 + 48; 262140 - 0 + 0 - 3100
	assert_json '.budget.estimate.dump_kib' 262188
	assert_json '.budget.estimate.unpack_kib' 259040
	assert_json '.budget.estimate.short_kib' 48
	assert_json '.budget.estimate.crashkernel_mib' 272
	run -0 --separate-stderr "$MDKO" report --input "$t" --proc "$p"
	assert_line --partial 'estimate: the dump step: RAM 262140 (iomem) - lowest available 0 (the OOM killer chose 1 victim: the memory ran out; the lowest sample, 149032 KiB, missed it) + dump bitmaps 48 '
	assert_line --partial 'estimate: the unpacking: RAM 262140 - lowest available 0 + compressed initramfs ?'
	assert_line 'estimate: SHORT: this capture kernel has 262140 KiB of RAM and needed at least 262188: short by at least 48 KiB; raise crashkernel= to more than 272M'
}

@test "output: a saved trace names its page size: 64 KiB pages count as such, --page-size wins" {
	local t=$BATS_TEST_TMPDIR/64k.trace
	{ echo '# memdebug-ko: page_size=65536'; cat "$FIXTURES/boot-shell.trace"; } >"$t"
	run -0 --separate-stderr "$MDKO" report --input "$t" --format json
	assert_json '.page_size' 65536
	assert_json '.modules[] | select(.name == "virtio_blk") | "\(.pages) \(.kib)"' '120 7680'
	assert_equal "$stderr" ''
	run -0 --separate-stderr "$MDKO" report --input "$t" --format json --page-size 4096
	assert_json '.page_size' 4096
	assert_json '.modules[] | select(.name == "virtio_blk") | .kib' 480
	[[ $stderr == *"$t was saved with pages of 65536 bytes: counting them as 4096 (--page-size)"* ]] ||
		fail "$stderr"
	# a line out of range is a comment, as any other
	{ echo '# memdebug-ko: page_size=3000'; cat "$FIXTURES/boot-shell.trace"; } >"$t"
	run -0 --separate-stderr "$MDKO" report --input "$t" --format json
	assert_json '.page_size' 4096
	assert_json '.malformed_lines' 0
}

@test "output: above 4 GiB the estimate says crashkernel=...,high" {
	local p
	p=$(budget_proc)
	# a capture kernel below 4 GiB, of a crashed system of 8 GiB
	printf '%s\n' '00001000-0009ffff : System RAM' '70000000-7ff5ffff : System RAM' >"$p/iomem"
	truncate -s 8G "$p/vmcore"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line 'estimate: the crashed system had 8192 MiB of RAM: crashkernel=112M needs that much free below 4 GiB; where the boot finds none, crashkernel=112M,high takes it above, and the kernel adds a low part below 4 GiB for DMA (x86: 256 MiB at least, arm64: 128 MiB; crashkernel=...,low sizes it), which the capture kernel gets too'
	# a capture kernel of crashkernel=128M,high crashkernel=64M,low: 64 MiB and the first
	# 636 KiB below 4 GiB, 128 MiB above; with 20000 KiB available it needed 197244 -
	# 20000 + 512 (bitmaps of 8 GiB) = 177756 KiB, of which its low part has 66172:
	# 111584 KiB above, 112 MiB
	printf '%s\n' '00001000-0009ffff : System RAM' '7c000000-7fffffff : System RAM' \
		'138000000-13fffffff : System RAM' >"$p/iomem"
	sed -i 's/^MemAvailable:.*/MemAvailable: 20000 kB/' "$p/meminfo"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget.estimate.ram_high_kib' 131072
	assert_json '.budget.estimate.ram_kib' 197244
	assert_json '.budget.estimate.needed_kib' 177756
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line 'estimate: this capture kernel ran in crashkernel=...,high: 131072 KiB above 4 GiB and 66172 below (the ,low part); with that low part, crashkernel=112M,high'
	refute_output --partial 'the crashed system had'
	# a low part that alone holds what it needed
	sed -i 's/^MemAvailable:.*/MemAvailable: 149032 kB/' "$p/meminfo"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p"
	assert_line 'estimate: this capture kernel ran in crashkernel=...,high: 131072 KiB above 4 GiB and 66172 below (the ,low part), which alone held the 48724 KiB it needed'
}

@test "output: no estimate outside a capture kernel" {
	local p
	p=$(budget_proc)
	echo 'root=/dev/sda1 crashkernel=256M' >"$p/cmdline"
	printf '%s\n' '00001000-0009ffff : System RAM' >"$p/iomem"
	run -0 --separate-stderr "$MDKO" report --input "$FIXTURES/boot-shell.trace" --proc "$p" --format json
	assert_json '.budget | has("estimate")' false
}
