# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # CK_TRUTH and CK_TRIALS are for the tests
#
# The crashkernel= truth of the kdump boot tests (test/boot/kdump-test's truth kind,
# test/boot/kdump-tools-test with MEMDEBUG_KO_KT_TRUTH=1): the smallest reservation with
# which the capture kernel dumps, found by boots, and what memdebug-ko and the other
# tools kdump users have estimate for the same machine and capture initrd. Sourced by
# those tests after test/boot/lib.sh.

# The truth's resolution and the search's floor, in MiB.
CK_STEP=8
CK_FLOOR=32
# what memdebug-ko's estimate may be above the truth, in MiB (issue 19's goal)
CK_MARGIN=16
# the last ck_search's truth in MiB, and "SIZE:dumped" or "SIZE:failed" of each of its
# boots, in the order booted
CK_TRUTH=
CK_TRIALS=

# Boot TRIAL ($3, a command given the size in MiB: true when the capture kernel dumped)
# at crashkernel= sizes on a CK_STEP MiB grid until the smallest that dumps is known to
# CK_STEP MiB, starting at START ($1, the estimate) and going down from there, or up to
# HIGH ($2, a size known to dump) in steps that double, then halving the gap; print it.
# A truth at or below CK_FLOOR prints as CK_FLOOR; set CK_TRIALS.
ck_search() {
	local _start=$1 _high=$2 _trial=$3 _pass='' _fail='' _step=$CK_STEP _m

	CK_TRIALS=
	if ck_trial "$_trial" "$_start"; then
		_pass=$_start
		while ((_pass > CK_FLOOR)); do
			_m=$((_pass - _step))
			((_m >= CK_FLOOR)) || _m=$CK_FLOOR
			if ck_trial "$_trial" "$_m"; then
				_pass=$_m _step=$((_step * 2))
			else
				_fail=$_m
				break
			fi
		done
		[[ $_fail ]] || _fail=$((_pass - CK_STEP))
	else
		_fail=$_start
		while :; do
			_m=$((_fail + _step))
			if ((_m >= _high)); then
				_pass=$_high
				break
			elif ck_trial "$_trial" "$_m"; then
				_pass=$_m
				break
			fi
			_fail=$_m _step=$((_step * 2))
		done
	fi
	while ((_pass - _fail > CK_STEP)); do
		# shellcheck disable=SC2017 # the midpoint, down to the grid
		_m=$((_fail + (_pass - _fail) / (2 * CK_STEP) * CK_STEP))
		((_m > _fail)) || _m=$((_fail + CK_STEP))
		if ck_trial "$_trial" "$_m"; then
			_pass=$_m
		else
			_fail=$_m
		fi
	done
	CK_TRUTH=$_pass
}

# memdebug-ko's crashkernel= estimate in report JSON $1, in MiB: the report's, or the
# follower's of the dump step after it ("after_report") when that is more; nothing when
# the report has none.
ck_estimate_mib() {
	jq -r '[.budget.estimate.crashkernel_mib, .after_report.crashkernel_mib // empty] |
		if .[0] == null then empty else max end' "$1" 2> /dev/null || :
}

# Check that the follower of the capture kernel's dump step (memdebug-ko follow) wrote
# its part into the JSON beside the dump ($1/memdebug-ko.json) and its lines into the
# capture kernel's log ($1/kexec-dmesg.log).
check_follow() {
	local _dir=$1 _value _line

	_value=$(jq -c '.after_report | [.samples, .low_available_kib, .crashkernel_mib, .raised, .last_at_s]' \
		"$_dir/memdebug-ko.json" 2> /dev/null || :)
	_line=$(grep -o 'memdebug-ko: after the report: MemAvailable fell to .*' \
		"$_dir/kexec-dmesg.log" 2> /dev/null | tail -n 1)
	if [[ $_value =~ ^\[[1-9][0-9]*,[0-9]+,[0-9]+,(true|false),[0-9.]+\]$ && $_line ]]; then
		ok "the follower sampled the dump step: [samples, low KiB, crashkernel MiB, raised, last sample s] $_value; ${_line#memdebug-ko: }"
	else
		fail "the follower puts the dump step's low point into the JSON and the log" \
			"after_report ${_value:-none}; ${_line:-no line in kexec-dmesg.log}" \
			"an after_report member and \"after the report: MemAvailable fell to\""
	fi
}

# One boot of ck_search: TRIAL at SIZE MiB, recorded in CK_TRIALS.
ck_trial() {
	if "$1" "$2"; then
		CK_TRIALS+="${CK_TRIALS:+ }$2:dumped"
	else
		CK_TRIALS+="${CK_TRIALS:+ }$2:failed"
		return 1
	fi
}

# Check memdebug-ko's estimate of row ROW ($3 MiB) against the truth ($2 MiB): never
# below it, at most CK_MARGIN MiB above.
ck_check() {
	local _row=$1 _truth=$2 _est=$3

	if ((_est >= _truth && _est - _truth <= CK_MARGIN)); then
		ok "$_row: the truth is crashkernel=${_truth}M, memdebug-ko estimated ${_est}M ($((_est - _truth)) MiB above; boots: $CK_TRIALS)"
	else
		fail "$_row: memdebug-ko's estimate is at least the truth and at most $CK_MARGIN MiB above" \
			"truth ${_truth}M, estimate ${_est}M (boots: $CK_TRIALS)" \
			"an estimate from ${_truth}M to $((_truth + CK_MARGIN))M"
	fi
}

# ---------------------------------------------------------------------------------------
# The other tools' estimates, worked out from their published sources for the machine
# and capture initramfs of a row. What they read on the primary comes from its console:
# "primary memory: System RAM N bytes; MemTotal: N MemFree: N ... cpus N" (qemu/kdump.sh).

# The kernel's size as kdump-utils' get_kernel_size measures it (kdumpctl): the sum of
# the PT_LOAD segments' memory sizes of the uncompressed vmlinux, found in bzImage
# KERNEL at the first magic of a compressor, as scripts/extract-vmlinux does; in bytes,
# nothing when it cannot be decompressed here.
ck_vmlinux_bytes() {
	local _img=$1 _tmp _magic _cmd _off _size=0 _m

	_tmp=$(mktemp) || return 1
	for _magic in '\x1f\x8b\x08:gzip -dc' '\xfd7zXZ\x00:xz -dc' '\x28\xb5\x2f\xfd:zstd -dcq' \
		'\x02\x21\x4c\x18:lz4 -dc'; do
		_cmd=${_magic#*:}
		command -v "${_cmd%% *}" > /dev/null || continue
		while read -r _off; do
			tail -c +$((_off + 1)) "$_img" | $_cmd > "$_tmp" 2> /dev/null
			readelf -h "$_tmp" > /dev/null 2>&1 && break 2
		done < <(LC_ALL=C grep -obUaP "${_magic%%:*}" "$_img" | cut -d: -f1)
	done
	if readelf -h "$_tmp" > /dev/null 2>&1; then
		for _m in $(readelf -l -W "$_tmp" | awk '$1 == "LOAD" { print $6 }'); do
			_size=$((_size + _m))
		done
		echo "$_size"
	fi
	rm -f "$_tmp"
}

# kdump-utils' `kdumpctl estimate` (do_estimate, since 4e1f06e, kdump-utils 1.0.57): the
# kernel (ck_vmlinux_bytes) + the loaded modules the capture initramfs holds ($3 bytes)
# + 3 x the capture initramfs file + 16 MiB at run time (no LUKS here), floored to MiB.
# Its default table (2G-64G:256M) gives nothing below 2 GiB: the estimate stands alone.
# Args: KERNEL INITRD MODULE_BYTES. Prints MiB, or "?".
ck_kdumpctl() {
	local _k _i

	_k=$(ck_vmlinux_bytes "$1")
	_i=$(stat -c %s "$2" 2> /dev/null) || :
	if [[ $_k && $_i ]]; then
		echo $(((_k + $3 + 3 * _i + (16 << 20)) >> 20))
	else
		echo "?"
	fi
}

# Debian kdump-tools' `kdump-config show` (crashkernel_estimate, kdump-tools 1.10) on
# x86_64: 6 x the kernel image + the capture initrd + its unpacked tree (du -sm each) +
# the memory early boot used (MemTotal - MemFree - Buffers - Cached - SReclaimable -
# Hugetlb), less a surplus by CPUs and GiB of RAM, and at least the sizes + 32 MiB.
# Args: KERNEL INITRD UNPACKED_DIR PRIMARY_LINE (the primary's "primary memory:" line).
# Prints MiB, or "?".
ck_kdump_tools() {
	local _v _i _d _e _r _c _c1 _c2 _c3 _r1 _r2 _s _est _min

	_v=$(du -sm "$1" 2> /dev/null | cut -f1)
	_i=$(du -sm "$2" 2> /dev/null | cut -f1)
	_d=$(du -sm "$3" 2> /dev/null | cut -f1)
	if [[ -z $_v || -z $_i || -z $_d ]]; then
		echo "?"
		return
	fi
	read -r _e _r _c < <(awk '{
			for (i = 1; i < NF; i++) v[$i] = $(i + 1)
			e = v["MemTotal:"] - v["MemFree:"] - v["Buffers:"] - v["Cached:"]
			e -= v["SReclaimable:"] + v["Hugetlb:"]
			printf "%d %d %d\n", e / 1024, v["MemTotal:"] / 1048576 + 1, v["cpus"] - 1
		}' <<< "$4")
	[[ $_e && $4 == *cpus* ]] || {
		echo "?"
		return
	}
	_c1=$((_c < 32 ? _c : 32)) _c2=$((_c > 64 ? 32 : (_c > 32 ? _c - 32 : 0)))
	_c3=$((_c > 64 ? _c - 64 : 0)) _r1=$((_r < 32 ? _r : 32)) _r2=$((_r > 32 ? _r - 32 : 0))
	_s=$(((_c1 * 5000 + _c2 * 3500 + _c3 * 2500 + _r1 * 6000 + _r2 * 600) / 1024))
	_est=$((6 * _v + _i + _d + _e - _s))
	_min=$((6 * _v + _i + _d + 32))
	echo $((_est < _min ? _min : _est))
}

# openSUSE kdump's `kdumptool calibrate` (kdumptool/calibrate.cc, kdump 2.1) on x86_64,
# with the constants SUSE measured for Tumbleweed's kernel and its reference initrd
# (calibrate.conf of kdump 2.1.10: the Debian kernel and initrd do not enter) and its
# defaults: KDUMP_CPUS=32, a local compressed dump, no LUKS, no framebuffer, no ACPI
# slab. Below 4 GiB all is low memory: it prints High, the crashkernel= it sets.
# Args: SYSTEM_RAM_BYTES (the primary's /proc/iomem). Prints MiB, or "?".
ck_calibrate() {
	local _kb _r _u _b _p _t _boot
	local KERNEL_BASE=115810 KERNEL_INIT=23440 INIT_CACHED=41804 PERCPU=2143
	local USER_BASE=30540 PAGESIZE=4096 SIZEOFPAGE=64 CPUS=32

	if [[ ! $1 =~ ^[0-9]+$ ]] || (($1 == 0 || $1 >= (4 << 30))); then
		echo "?"
		return
	fi
	_kb=$((($1 + 1023) / 1024))
	_r=$((KERNEL_BASE + INIT_CACHED + CPUS * (PERCPU + 100 + 3 * PAGESIZE / 1024 + 128 + 5)))
	_b=$(((_kb / PAGESIZE + 3) >> 2))
	((_b <= 32768)) || _b=32768
	_u=$((USER_BASE + _b + 96 * ((_kb + (1 << 27) - 1) >> 27)))
	_r=$(((_r + _u) * 102400 / 80640))
	_r=$((_r * 1048576 / (1048576 - 1856)))
	_p=$_r _t=$((_r * PAGESIZE / (PAGESIZE - SIZEOFPAGE)))
	_r=$((_p + (_t - _p) / SIZEOFPAGE * SIZEOFPAGE))
	_boot=$((KERNEL_BASE + KERNEL_INIT + INIT_CACHED))
	((_r >= _boot)) || _r=$_boot
	_r=$((_r * 130 / 100 + 65536))
	echo $(((_r + 1023) >> 10))
}

# "N (+D)" for estimate N MiB against truth T, "?" for none.
ck_err() {
	[[ $1 =~ ^[0-9]+$ ]] || {
		echo "?"
		return
	}
	printf '%s (%+d)\n' "$1" $(($1 - $2))
}

# Print the table row of ROW: the kernel, the truth, memdebug-ko's estimate and the other
# tools' for capture initramfs INITRD (unpacked in UNPACKED_DIR) and kernel image KERNEL,
# with module bytes MODULES and the primary's "primary memory:" line PRIMARY; KT: Debian
# kdump-tools' own figure when it ran, else worked out here.
# Args: ROW TRUTH ESTIMATE KERNEL INITRD UNPACKED_DIR MODULES PRIMARY [KT]
ck_compare() {
	local _row=$1 _truth=$2 _ram _kt=${9-}

	_ram=$(sed -n 's/.*System RAM \([0-9]*\) bytes.*/\1/p' <<< "$8")
	[[ $_kt ]] || _kt=$(ck_kdump_tools "$4" "$5" "$6" "$8")
	echo "| $MDKO_KVER | $_row | $_truth | $(ck_err "$3" "$_truth") | $(ck_err "$(ck_kdumpctl "$4" "$5" "$7")" "$_truth") | $(ck_err "$_kt" "$_truth") | $(ck_err "$(ck_calibrate "$_ram")" "$_truth") |"
}
