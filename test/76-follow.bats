#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# follow: after a capture kernel's report, the dump step's memory: samples of a fake
# /proc whose MemAvailable the test lowers, the lines they give and the JSON's
# "after_report", and estimate taking it when it needs more.

load helpers

setup() {
	P=$BATS_TEST_TMPDIR/proc
	J=$BATS_TEST_TMPDIR/run/memdebug-ko.json
	mkdir -p "$P" "${J%/*}"
	# a capture kernel's report: RAM 262128 KiB, the low point 138440 KiB available,
	# compressed initramfs 16420 KiB; it needed 140143 KiB: crashkernel=144M
	cp "$FIXTURES/capture-6.12-shell.json" "$J"
	meminfo 138440
	zoneinfo 0
}

# Write MemAvailable $1 (KiB) into the fake meminfo, in place: the follower holds it open.
meminfo() {
	printf 'MemTotal: 214000 kB\nMemFree: %s kB\nMemAvailable: %s kB\n' "$1" "$1" >"$P/meminfo"
}

# Write $1 free pages in the per-CPU lists into the fake zoneinfo, in place.
zoneinfo() {
	printf 'Node 0, zone    DMA32\n  pagesets\n    cpu: 0\n              count: %s\n' "$1" \
		>"$P/zoneinfo"
}

# Run the follower for $1 samples 20 ms apart in the background; FOLLOW is its pid.
start() {
	"$MDKO" follow --json "$J" --proc "$P" --interval-ms 20 --samples "$1" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	FOLLOW=$!
}

@test "follow: a low after the report raises the estimate, in a line and in the JSON" {
	start 60
	sleep 0.3
	# the dump step: 60 MiB less available, 256 pages of it in the per-CPU lists
	zoneinfo 256
	meminfo 77000
	wait "$FOLLOW"
	run cat "$BATS_TEST_TMPDIR/out"
	# 262128 - 77000 - 1024 = 184104 KiB used -> 12 x 16 MiB; the compressed initramfs
	# of the report's estimate was freed long before the dump: not added again
	assert_line --regexp '^after the report: MemAvailable fell to 77000 KiB at [0-9.]+ s \(samples: [0-9]+; the report.s low point: 138440\): crashkernel=192M \(RAM 262128 - 77000 - free in the per-CPU lists 1024 = 184104 KiB used; the report.s estimate 140143 KiB, less: the dump step needs more\)$'
	assert_line --regexp '^after the report: MemAvailable was at the lowest 77000 KiB .*samples: 60;.*crashkernel=192M'
	run jq -c '.after_report | [.samples, .low_available_kib, .low_pcp_kib, .needed_kib, .crashkernel_mib, .raised]' "$J"
	assert_output '[60,77000,1024,184104,192,true]'
	# the last sample's time, after the low's
	run jq '.after_report.last_at_s > .after_report.low_at_s' "$J"
	assert_output true
	# the rest of the report is as it was
	run jq -c '[.budget.estimate.crashkernel_mib, (.modules | length)]' "$J"
	assert_output "$(jq -c '[.budget.estimate.crashkernel_mib, (.modules | length)]' "$FIXTURES/capture-6.12-shell.json")"
	refute [ -e "$J.tmp" ]
}

@test "follow: a dump step that needs less leaves the report's estimate, said as it is" {
	meminfo 150000
	start 5
	wait "$FOLLOW"
	run jq -c '.after_report | [.low_available_kib, .needed_kib, .crashkernel_mib, .raised]' "$J"
	assert_output '[150000,140143,144,false]'
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --partial "(RAM 262128 - 150000 - free in the per-CPU lists 0 = 112128 KiB used; the report's estimate 140143 KiB, the larger, stands)"
	refute_output --partial "the dump step needs more"
}

@test "follow: SIGTERM ends it with the last line; a second follower replaces the JSON's part" {
	start 1000
	sleep 0.2
	meminfo 100000
	sleep 0.2
	kill -TERM "$FOLLOW"
	wait "$FOLLOW"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --partial 'after the report: MemAvailable was at the lowest 100000 KiB'
	run jq '.after_report.low_available_kib' "$J"
	assert_output 100000
	meminfo 120000
	start 3
	wait "$FOLLOW"
	run jq -c '[.after_report.low_available_kib, ([paths | select(.[-1] == "after_report")] | length)]' "$J"
	assert_output '[120000,1]'
}

@test "follow: estimate takes the dump step's low point when it needs more" {
	local c=$BATS_TEST_TMPDIR/crash r=$BATS_TEST_TMPDIR/root
	mkdir -p "$c/127.0.0.1-2026-12-07-10:00" "$r/etc" "$r/proc"
	echo 'ID=debian' >"$r/etc/os-release"
	printf 'MemTotal: 2000000 kB\n' >"$r/proc/meminfo"
	start 40
	sleep 0.2
	meminfo 77000
	wait "$FOLLOW"
	cp "$J" "$c/127.0.0.1-2026-12-07-10:00/memdebug-ko.json"
	run -0 --separate-stderr "$MDKO" estimate --crash-dir "$c" --root "$r"
	assert_line --index 0 "$c/127.0.0.1-2026-12-07-10:00/memdebug-ko.json: crashkernel=192M: its capture kernel had 262128 KiB of RAM and needed 185128 KiB (the dump step's low point after the report, with the per-CPU lists, 77000 KiB available, compressed initramfs 0 KiB, dump bitmaps 0 KiB)"
	assert_line "crashkernel=192M (from $c/127.0.0.1-2026-12-07-10:00/memdebug-ko.json)"
}

@test "follow: no capture kernel's report, a foreign file and bad values are clear" {
	jq 'del(.budget.estimate)' "$FIXTURES/capture-6.12-shell.json" >"$J"
	run -0 "$MDKO" follow --json "$J" --proc "$P" --samples 1
	assert_output --partial 'has no crashkernel= estimate (no capture kernel): nothing to follow'
	echo '{"x": 1}' >"$J"
	run -1 "$MDKO" follow --json "$J" --proc "$P" --samples 1
	assert_output --partial 'is not a memdebug-ko report'
	run -1 "$MDKO" follow --json "$BATS_TEST_TMPDIR/none.json" --proc "$P" --samples 1
	assert_output --partial 'cannot read'
	run -2 "$MDKO" follow --interval-ms 0
	assert_output --partial -- '--interval-ms takes 1 to 60000'
	run -2 "$MDKO" follow --samples x
	assert_output --partial -- '--samples takes a whole number'
	run -2 "$MDKO" follow extra
	assert_output --partial 'follow'
}
