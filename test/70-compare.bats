#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# compare: two JSON reports side by side, against golden files checked by hand. The
# fixtures are the reports of two real capture kernels of test/boot/kdump-test, the shell
# capture initrd on Debian 6.1 and on 6.12: "since the kernel update".

load helpers

OLD=$FIXTURES/capture-6.1-shell.json
NEW=$FIXTURES/capture-6.12-shell.json

@test "compare: the text matches its golden file" {
	cd "$FIXTURES"
	run -0 --separate-stderr "$MDKO" compare capture-6.1-shell.json capture-6.12-shell.json
	diff -u "$GOLDEN/compare.txt" <(printf '%s\n' "$output")
}

@test "compare: the JSON matches its golden file and agrees with the text" {
	cd "$FIXTURES"
	run -0 --separate-stderr "$MDKO" compare --format json capture-6.1-shell.json capture-6.12-shell.json
	diff -u "$GOLDEN/compare.json" <(printf '%s\n' "$output")
	# growth: what the loads kept and the image, now less then, largest first
	assert_json '[.modules[] | select(.growth_kib != null) | .growth_kib] | . == (sort | reverse)' true
	assert_json '[.modules[] | select(.in_old and .in_new and .growth_kib != null) |
		.growth_kib == (.now_kib + (.image_now_kib // 0) - .then_kib - (.image_then_kib // 0))] | all' true
	assert_json '.budget[] | select(.row == "free") | .change_kib' \
		"$(( $(jq '.budget.rows[] | select(.row == "free") | .kib' "$NEW") - $(jq '.budget.rows[] | select(.row == "free") | .kib' "$OLD") ))"
}

@test "compare: late pages where a report measured them, apart from the growth" {
	# the new kernel's report has the late pages of an interface's open
	jq '.late_measured = true | (.modules[] | .late_pages) = 0 |
		(.modules[] | select(.name == "virtio_blk") | .late_pages) = 300' "$NEW" >"$BATS_TEST_TMPDIR/new.json"
	run -0 --separate-stderr "$MDKO" compare --format json "$OLD" "$BATS_TEST_TMPDIR/new.json"
	assert_json '.modules[] | select(.name == "virtio_blk") | [.late_then_kib, .late_now_kib, .growth_kib]' '[null,1200,-8]' -c
	run -0 --separate-stderr "$MDKO" compare "$OLD" "$BATS_TEST_TMPDIR/new.json"
	assert_line --regexp '^module +then +now +imgthen +imgnow +growth +latethen +latenow$'
	assert_line --regexp '^virtio_blk +280 +268 +28 +32 +-8 +n/a +1200$'
	assert_line --regexp '^total +3392 +3352 +1476 +1496 +-20 +0 +1200$'
	# neither measured them: no such columns
	run -0 --separate-stderr "$MDKO" compare "$OLD" "$NEW"
	refute_output --partial latenow
}

@test "compare: a report against itself shows no growth" {
	run -0 --separate-stderr "$MDKO" compare --format json "$OLD" "$OLD"
	assert_json '[.modules[] | .growth_kib // 0] | map(. == 0) | all' true
	assert_json '[.budget[] | .change_kib // 0] | map(. == 0) | all' true
}

@test "compare: an image that only one report has leaves the growth unknown, not negative" {
	# a replay reads no /proc/modules: its rows have no image
	jq -c '.modules |= map(del(.image_bytes))' "$OLD" >"$BATS_TEST_TMPDIR/noimg.json"
	run -0 --separate-stderr "$MDKO" compare --format json "$OLD" "$BATS_TEST_TMPDIR/noimg.json"
	assert_json '[.modules[] | select(.image_then_kib != null) | .growth_kib] | map(. == null) | all' true
	assert_json '[.modules[] | select(.image_then_kib != null)] | length > 5' true
	# a module that had no image in either (its init failed) keeps its growth
	assert_json '.modules[] | select(.name == "mdko_gt_fail") | .growth_kib' 0
	# neither has images: the loads' memory alone, no growth
	run -0 --separate-stderr "$MDKO" compare --format json "$BATS_TEST_TMPDIR/noimg.json" \
		"$BATS_TEST_TMPDIR/noimg.json"
	assert_json '[.modules[] | .growth_kib // 0] | map(. == 0) | all' true
}

@test "compare: two reports without a module give a total of 0, not a crash" {
	: >"$BATS_TEST_TMPDIR/empty.trace"
	run -0 --separate-stderr "$MDKO" report --input "$BATS_TEST_TMPDIR/empty.trace" --format json
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/empty.json"
	run -0 --separate-stderr "$MDKO" compare --format json "$BATS_TEST_TMPDIR/empty.json" \
		"$BATS_TEST_TMPDIR/empty.json"
	assert_json '.modules | length' 0
}

@test "compare: a module new in the second report grows by all it took; a replay has no budget" {
	jq -c '.modules += [{"name":"big_nic","pid":300,"comm":"modprobe","pages":2048,"net_pages":2048,
		"total_pages":2560,"total_net_pages":2560,"image_bytes":524288,"status":"loaded"}]' "$OLD" \
		>"$BATS_TEST_TMPDIR/new.json"
	run -0 --separate-stderr "$MDKO" compare "$OLD" "$BATS_TEST_TMPDIR/new.json"
	assert_line --regexp '^big_nic +- +10240 +- +512 +\+10752$'
	# first: the largest growth
	assert_line --index 4 --regexp '^big_nic '
	"$MDKO" report --input "$FIXTURES/boot-shell.trace" --format json >"$BATS_TEST_TMPDIR/replay.json"
	run -0 --separate-stderr "$MDKO" compare "$BATS_TEST_TMPDIR/replay.json" "$OLD"
	assert_line 'budget: only in the new report'
}

@test "compare: bad input is a clear error, never a crash" {
	run -1 --separate-stderr "$MDKO" compare "$OLD" "$BATS_TEST_TMPDIR/missing.json"
	assert_equal "$stderr" "memdebug-ko: error: cannot read $BATS_TEST_TMPDIR/missing.json: No such file or directory"
	printf '{"tool":"memdebug-ko","modules":[{"name":"x"' >"$BATS_TEST_TMPDIR/cut.json"
	run -1 --separate-stderr "$MDKO" compare "$OLD" "$BATS_TEST_TMPDIR/cut.json"
	assert_equal "$stderr" "memdebug-ko: error: $BATS_TEST_TMPDIR/cut.json is not JSON: no ',' or '}' after a member at byte 44"
	echo '{"tool":"something else","modules":[]}' >"$BATS_TEST_TMPDIR/other.json"
	run -1 --separate-stderr "$MDKO" compare "$BATS_TEST_TMPDIR/other.json" "$OLD"
	assert_equal "$stderr" "memdebug-ko: error: $BATS_TEST_TMPDIR/other.json is not a JSON report of memdebug-ko"
	printf '%.0s[' $(seq 100) >"$BATS_TEST_TMPDIR/deep.json"
	run -1 --separate-stderr "$MDKO" compare "$BATS_TEST_TMPDIR/deep.json" "$OLD"
	assert_equal "$stderr" "memdebug-ko: error: $BATS_TEST_TMPDIR/deep.json is not JSON: nesting too deep at byte 33"
	printf '{"tool":"memdebug-ko","modules":[],"x":"\\q"}' >"$BATS_TEST_TMPDIR/esc.json"
	run -1 --separate-stderr "$MDKO" compare "$BATS_TEST_TMPDIR/esc.json" "$OLD"
	assert_output ''
	[[ $stderr == *"is not JSON: a bad escape"* ]] || fail "$stderr"
	run -2 --separate-stderr "$MDKO" compare "$OLD"
	[[ $stderr == *"compare takes two JSON reports, OLD and NEW"* ]] || fail "$stderr"
	run -2 --separate-stderr "$MDKO" compare --format xml "$OLD" "$OLD"
	[[ $stderr == *"--format must be text or json, not 'xml'"* ]] || fail "$stderr"
	run -0 "$MDKO" compare --help
	assert_output --partial 'Usage: memdebug-ko compare'
}

@test "compare: every cut of a report is refused cleanly, never a crash" {
	local size n rc
	size=$(stat -c %s "$OLD")
	for ((n = 0; n < size - 1; n += 29)); do
		head -c "$n" "$OLD" >"$BATS_TEST_TMPDIR/cut.json"
		rc=0
		"$MDKO" compare "$BATS_TEST_TMPDIR/cut.json" "$OLD" >/dev/null 2>"$BATS_TEST_TMPDIR/err" || rc=$?
		((rc == 1)) || fail "a cut at byte $n: exit $rc, $(cat "$BATS_TEST_TMPDIR/err")"
		grep -q 'is not JSON\|is not a JSON report' "$BATS_TEST_TMPDIR/err" ||
			fail "a cut at byte $n: $(cat "$BATS_TEST_TMPDIR/err")"
	done
}

# plot: the SVG of a report with a timeline (a replay of the QEMU boot's trace, with the
# watcher's samples that a replay lacks added by hand); test/boot/boot-test renders a real
# boot's in a browser.
TIMELINE=$FIXTURES/boot-shell-timeline.json

@test "plot: the SVG matches its golden file" {
	cd "$FIXTURES"
	run -0 --separate-stderr "$MDKO" plot boot-shell-timeline.json
	diff -u "$GOLDEN/plot.svg" <(printf '%s\n' "$output")
}

@test "plot: a bar per load in its loader's lane, the memory line and its low point" {
	run -0 --separate-stderr "$MDKO" plot "$TIMELINE"
	# well-formed XML, one bar (a <g> with a title) per load with a load_s
	xmllint --noout - <<<"$output" 2>/dev/null || [[ $? == 127 ]] || fail "not well-formed XML"
	assert_equal "$(grep -c '^<g><title>' <<<"$output")" "$(jq '[.modules[] | select(.load_s)] | length' "$TIMELINE")"
	assert_equal "$(grep -c 'text-anchor="end">.*\[[0-9]*\]</text>' <<<"$output")" \
		"$(jq '[.modules[] | select(.load_s) | .pid] | unique | length' "$TIMELINE")"
	assert_output --partial '<polyline fill="none" stroke="#2a7"'
	assert_output --partial 'low point: 147.5 MiB available at 13.900 s'
	assert_output --partial '<title>virtio_blk 120 pages, loaded</title>'
}

@test "plot: a report without samples still draws its loads; bad input is a clear error" {
	"$MDKO" report --input "$FIXTURES/boot-shell.trace" --format json >"$BATS_TEST_TMPDIR/replay.json"
	run -0 --separate-stderr "$MDKO" plot "$BATS_TEST_TMPDIR/replay.json"
	assert_output --partial 'no memory samples: the watcher did not run'
	# a real capture kernel's report, with its samples
	run -0 --separate-stderr "$MDKO" plot "$OLD"
	assert_output --partial 'low point: '
	# a report of an older memdebug-ko: no timeline
	jq 'del(.low_point) | .modules |= map(del(.load_s, .end_s))' "$OLD" >"$BATS_TEST_TMPDIR/old.json"
	run -1 --separate-stderr "$MDKO" plot "$BATS_TEST_TMPDIR/old.json"
	[[ $stderr == *"has no timeline: no load with load_s and no memory samples"* ]] || fail "$stderr"
	run -1 --separate-stderr "$MDKO" plot "$BATS_TEST_TMPDIR/none.json"
	[[ $stderr == *"cannot read"* ]] || fail "$stderr"
	run -2 --separate-stderr "$MDKO" plot
	[[ $stderr == *"plot takes one JSON report"* ]] || fail "$stderr"
	printf '{"tool":"memdebug-ko","modules":[{"name":"<a&b>","pid":1,"comm":"x\\"y","load_s":1,"end_s":2,"pages":3}]}' \
		>"$BATS_TEST_TMPDIR/esc.json"
	run -0 --separate-stderr "$MDKO" plot "$BATS_TEST_TMPDIR/esc.json"
	assert_output --partial '<title>&lt;a&amp;b&gt; 3 pages, ?</title>'
	assert_output --partial '>x&quot;y[1]</text>'
}
