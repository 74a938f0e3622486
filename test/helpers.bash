# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the bats tests: the binary under test, JSON helpers and fake tracefs trees.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

export LC_ALL=C
MDKO=${MEMDEBUG_KO:?set MEMDEBUG_KO to the memdebug-ko binary under test}
# A cross build's tests run $MDKO, a wrapper, which runs the binary of another machine
# ($MDKO_ELF) under a qemu-user emulator ($MDKO_EMU, test/meson.build); natively both
# are the binary and the emulator is "".
MDKO_ELF=${MEMDEBUG_KO_TARGET:-$MDKO}
MDKO_EMU=${MEMDEBUG_KO_EMULATOR:-}
# The command line of a memdebug-ko process, as pgrep -f sees it.
MDKO_CMD=${MDKO_EMU:+$MDKO_EMU }$MDKO_ELF
FIXTURES=${BATS_TEST_DIRNAME}/fixtures
GOLDEN=${BATS_TEST_DIRNAME}/golden

# Runs 'report --format json' on the trace read from stdin; the JSON lands in $output.
report_stdin_json() {
	run --separate-stderr "$MDKO" report --input - --format json "$@"
}

# Prints JSON field $1 (a jq filter) of $output; more jq options may follow.
jqv() {
	jq -r "$1" "${@:2}" <<<"$output"
}

# Asserts that jq filter $1 on $output gives $2, printing both when it does not; more jq
# options may follow.
assert_json() {
	local actual
	actual=$(jqv "$1" "${@:3}") || fail "jq failed on: $output"
	if [[ "$actual" != "$2" ]]; then
		batslib_print_kv_single_or_multi 8 \
			'filter' "$1" 'expected' "$2" 'actual' "$actual" |
			batslib_decorate 'JSON value differs' | fail
	fi
}

# A fake tracing directory at $1 with an instance as the kernel creates it on mkdir.
make_tracefs() {
	local t=$1 i=$1/instances/memdebug-ko ev cpu
	mkdir -p "$i/options" "$i/per_cpu"
	echo 128 >"$t/saved_cmdlines_size"
	echo 1 >"$i/tracing_on"
	echo 1410 >"$i/buffer_size_kb"
	echo '[local] global counter uptime perf mono mono_raw boot' >"$i/trace_clock"
	echo 1 >"$i/options/overwrite"
	echo 0 >"$i/options/sym-offset"
	echo 1 >"$i/options/hash-ptr"
	# the kprobe events on the bulk allocator as prepare defines them: the fake tree has
	# them from the start, so tfs_bulk_add finds them and writes nothing
	: >"$t/kprobe_events"
	for ev in module/module_load module/module_put module/module_free \
		kmem/mm_page_alloc kmem/mm_page_free oom/mark_victim \
		memdebug_ko/bulk_enter memdebug_ko/bulk_exit workqueue/workqueue_queue_work \
		workqueue/workqueue_execute_start workqueue/workqueue_execute_end task/task_rename \
		task/task_newtask sched/sched_waking; do
		# tracefs has every event at the top level as well as in each instance
		mkdir -p "$i/events/$ev" "$t/events/$ev"
		echo 0 >"$t/events/$ev/enable"
		echo '# Available triggers:' >"$t/events/$ev/trigger"
		echo 0 >"$t/events/${ev%/*}/enable"
		echo 0 >"$i/events/${ev%/*}/enable"
		echo 0 >"$i/events/$ev/enable"
		echo none >"$i/events/$ev/filter"
		echo '# Available triggers:' >"$i/events/$ev/trigger"
	done
	# the part of mm_page_alloc's format that names __GFP_ACCOUNT, as Debian's 6.1 has it
	printf '%s\n' 'print fmt: "page=%p pfn=0x%lx order=%d migratetype=%d gfp_flags=%s", REC->order, (REC->gfp_flags) ? __print_flags(REC->gfp_flags, "|", {( unsigned long)(( gfp_t)0x400000u), "__GFP_ACCOUNT"}, {( unsigned long)(( gfp_t)0x100000u), "__GFP_ZERO"}) : "none"' |
		tee "$i/events/kmem/mm_page_alloc/format" >"$t/events/kmem/mm_page_alloc/format"
	for cpu in 0 1; do
		mkdir -p "$i/per_cpu/cpu$cpu"
		printf 'entries: 0\noverrun: 0\ncommit overrun: 0\nbytes: 0\ndropped events: 0\nread events: 0\n' \
			>"$i/per_cpu/cpu$cpu/stats"
	done
	: >"$i/trace"
}

# The default loaders, comma-separated, from meson.build (test/meson.build passes them).
DEFAULT_LOADERS=${MEMDEBUG_KO_DEFAULT_LOADERS:?set MEMDEBUG_KO_DEFAULT_LOADERS to the default loaders of meson.build}

# Gives the fake tree at $1 an idle top-level buffer as the kernel leaves it at boot (the
# nop tracer, no event enabled, nothing recorded, never expanded) and no instance.
make_idle_top() {
	local t=$1 sys cpu
	rm -rf "$t/instances/memdebug-ko"
	echo nop >"$t/current_tracer"
	: >"$t/set_event"
	echo '7 (expanded: 1408)' >"$t/buffer_size_kb"
	echo '[local] global counter uptime perf mono mono_raw boot' >"$t/trace_clock"
	mkdir -p "$t/options"
	echo 1 >"$t/options/overwrite"
	echo 0 >"$t/options/sym-offset"
	echo 1 >"$t/options/hash-ptr"
	echo 1 >"$t/tracing_on"
	for sys in module kmem oom workqueue task sched memdebug_ko; do
		echo 0 >"$t/events/$sys/enable"
		echo none >"$t/events/$sys/filter"
	done
	for cpu in 0 1; do
		mkdir -p "$t/per_cpu/cpu$cpu"
		printf 'entries: 0\noverrun: 0\ncommit overrun: 0\nbytes: 0\ndropped events: 0\nread events: 0\n' \
			>"$t/per_cpu/cpu$cpu/stats"
	done
	: >"$t/trace"
}

# The ring buffer per CPU that prepare sets by default, from meson.build.
DEFAULT_BUFFER_KB=${MEMDEBUG_KO_DEFAULT_BUFFER_KB:?set MEMDEBUG_KO_DEFAULT_BUFFER_KB to the default buffer of meson.build}

# "comm == NAME || " for each default loader and each extra name in $@.
comm_list() {
	local n f='' defaults
	IFS=, read -ra defaults <<<"$DEFAULT_LOADERS"
	for n in "${defaults[@]}" "$@"; do
		f+="comm == \"$n\" || "
	done
	echo "$f"
}

# The filter prepare writes with the default loaders and any extra names in $@.
default_filter() {
	echo "$(comm_list "$@")common_pid == 1 || comm ~ \"kworker/*\""
}

# The filter of mm_page_alloc: that, and every task's kernel allocations (unmovable,
# without the fake format's __GFP_ACCOUNT).
alloc_filter() {
	echo "$(default_filter "$@") || (migratetype == 0 && !(gfp_flags & 0x400000))"
}

# The loaders by name (the default loaders, extra names in $@).
tasks_filter() {
	local f
	f=$(comm_list "$@")
	echo "${f% || }"
}

# The stacktrace triggers of rd.memdebug=4 (the late pages): the kernel's own allocations
# of every task but those, and the bulk allocator's returns in them.
late_trigger() {
	echo "stacktrace if (migratetype == 0 && !(gfp_flags & 0x400000)) && !($(tasks_filter "$@"))"
}
late_bulk_trigger() {
	echo "stacktrace if !($(tasks_filter "$@"))"
}

# What prepare leaves in options/hash-ptr (1 in the fake trees) on the machine running the
# tests: 0, work addresses printed as they are, from Linux 6.12 on; on older kernels the
# option off garbles the text trace, and prepare leaves it alone.
hash_ptr_after_prepare() {
	local r
	r=$(uname -r)
	if [[ $(printf '%s\n' 6.12 "${r%%[!0-9.]*}" | sort -V | head -n 1) == 6.12 ]]; then
		echo 0
	else
		echo 1
	fi
}

# Appends 32-bit words $2... to file $1 in this machine's byte order, as BTF has them.
word32() {
	local f=$1 v le
	shift
	# the byte order of the binary under test (qemu-user may run another machine's)
	if [[ -n ${RAWGEN:-} ]]; then
		[[ $("$RAWGEN" --byte-order) == little ]] && le=1 || le=0
	else
		le=$(printf '\1\0' | od -An -tu2 | tr -d ' ')
	fi
	for v; do
		if [[ $le == 1 ]]; then
			printf "$(printf '\\%03o' $((v & 255)) $((v >> 8 & 255)) $((v >> 16 & 255)) $((v >> 24 & 255)))"
		else
			printf "$(printf '\\%03o' $((v >> 24 & 255)) $((v >> 16 & 255)) $((v >> 8 & 255)) $((v & 255)))"
		fi
	done >>"$f"
}

# Writes to $1 a kernel BTF (Documentation/bpf/btf.rst) in which function $2 has its
# argument page_array at position $3 (0: no such argument) of max($3, 5), beside an
# int, a pointer, an enum, a struct and other_fn(a, page_array). $4: "func-first" puts
# the function before its prototype; "twice" adds a second function of the name with
# page_array third.
make_btf() {
	local out=$1 func=$2 pos=$3 how=${4:-} types strs n k id=0 name_of hdr
	local -A off
	types=$(mktemp) strs=$(mktemp)
	printf '\0' >"$strs"
	str() { # the offset of string $1 in the string section, added when new
		if [[ -z ${off[$1]-} ]]; then
			off[$1]=$(stat -c %s "$strs")
			printf '%s\0' "$1" >>"$strs"
		fi
		name_of=${off[$1]}
	}
	proto() { # a prototype of $1 parameters with page_array at $2; its id
		local k
		word32 "$types" 0 $(((13 << 24) | $1)) 1
		for ((k = 1; k <= $1; k++)); do
			if ((k == $2)); then str page_array; word32 "$types" "$name_of" 2
			else str a; word32 "$types" "$name_of" 1; fi
		done
		id=$((id + 1))
	}
	str int; word32 "$types" "$name_of" $((1 << 24)) 4 32; id=$((id + 1))
	word32 "$types" 0 $((2 << 24)) 1; id=$((id + 1))
	str E; word32 "$types" "$name_of" $(((6 << 24) | 2)) 4
	str a; word32 "$types" "$name_of" 0 "$name_of" 1; id=$((id + 1))
	str S; word32 "$types" "$name_of" $(((4 << 24) | 1)) 8
	str a; word32 "$types" "$name_of" 1 0; id=$((id + 1))
	n=$((pos > 5 ? pos : 5))
	str "$func"
	if [[ $how == func-first ]]; then
		word32 "$types" "$name_of" $((12 << 24)) $((id + 2)); id=$((id + 1))
		proto "$n" "$pos"
	else
		proto "$n" "$pos"
		str "$func"; word32 "$types" "$name_of" $((12 << 24)) "$id"; id=$((id + 1))
	fi
	proto 2 2
	str other_fn; word32 "$types" "$name_of" $((12 << 24)) "$id"; id=$((id + 1))
	if [[ $how == twice ]]; then
		proto 5 3
		str "$func"; word32 "$types" "$name_of" $((12 << 24)) "$id"; id=$((id + 1))
	fi
	: >"$out"
	# magic (u16) 0xeB9F, version 1, flags 0: as one 32-bit word of the machine's order
	if [[ $("${RAWGEN:-false}" --byte-order 2>/dev/null) == big ]]; then hdr=$((0xeB9F << 16 | 1 << 8))
	else hdr=$((0xeB9F | 1 << 16)); fi
	word32 "$out" "$hdr" 24 0 "$(stat -c %s "$types")" \
		"$(stat -c %s "$types")" "$(stat -c %s "$strs")"
	cat "$types" "$strs" >>"$out"
	rm -f "$types" "$strs"
}
