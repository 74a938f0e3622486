# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the fault matrices of the initramfs hooks (60-faults.bats for dracut,
# 65-initramfs-tools.bats): a small initramfs-like root per test, run as root of a user
# and mount namespace (chroot, no mount of the real tracefs possible), in which
# /sys/kernel/tracing is a fake tree, /proc/cmdline a file and /dev/kmsg a FIFO read into
# $kmsg. Load it after helpers.

INST=/sys/kernel/tracing/instances/memdebug-ko

# Succeeds when this machine can run the roots; else prints why not.
initrd_possible() {
	if ! unshare --user --map-root-user --mount --propagation private true 2>/dev/null; then
		echo "no user and mount namespace here (unshare --user --map-root-user --mount)"
		return 1
	fi
}

# Copies executable $1 to $3 inside root $2, with the shared libraries it needs.
copy_with_libs() {
	local lib

	mkdir -p "$2/${3%/*}" && cp -L "$1" "$2/$3" || return
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[[ -e $2/$lib ]] && continue
		mkdir -p "$2/${lib%/*}" && cp -L "$lib" "$2/$lib" || return
	done
}

# Makes the base of root $1: a shell and the few commands hook code runs (mkdir, ln, cat;
# rm for tests that undo a file)
# and the binary under test (with its emulator, in a cross build).
initrd_base() {
	local r=$1 cmd
	mkdir -p "$r"/{etc,dev,proc,run,tmp,var,sys/kernel,usr/sbin,usr/bin,sbin}
	copy_with_libs "$(readlink -f /bin/sh)" "$r" /bin/sh || return
	for cmd in mkdir ln cat rm; do
		copy_with_libs "$(command -v "$cmd")" "$r" "/bin/$cmd" || return
	done
	if [[ -z $MDKO_EMU ]]; then
		cp "$MDKO" "$r/usr/bin/memdebug-ko"
		return
	fi
	# another machine's binary: run under the emulator (static) by a script of the name
	cp "$MDKO_ELF" "$r/usr/bin/memdebug-ko.elf"
	cp "$MDKO_EMU" "$r/usr/bin/qemu-user"
	printf '#!/bin/sh\nexec /usr/bin/qemu-user /usr/bin/memdebug-ko.elf "$@"\n' \
		>"$r/usr/bin/memdebug-ko"
	chmod +x "$r/usr/bin/memdebug-ko"
}

# A copy of the root made in $BATS_FILE_TMPDIR/root, in $R, as an initramfs's init leaves
# it for the first hook: /run/initramfs exists, the kernel command line says
# rd.memdebug=4, tracefs has a trace with lost events already and no instance yet (tests
# that need one make it, like the kernel does on mkdir, with make_instance).
initrd_setup() {
	R=$BATS_TEST_TMPDIR/root
	T=$R/sys/kernel/tracing
	I=$R$INST
	cp -a "$BATS_FILE_TMPDIR/root" "$R"
	mkdir -p "$R/run/initramfs"
	mkfifo "$R/dev/kmsg"
	echo 'console=ttyS0 root=/dev/vda rd.memdebug=4' >"$R/proc/cmdline"
	printf 'MemTotal: 262144 kB\nMemFree: 100000 kB\n' >"$R/proc/meminfo"
	# the watcher makes itself unkillable by the OOM killer
	mkdir -p "$R/proc/self"
	echo 0 >"$R/proc/self/oom_score_adj"
	cat >"$R/proc/modules" <<-'EOT'
	ext4 1019904 1 - Live 0xffffffffc0200000
	crc16 16384 1 ext4, Live 0xffffffffc0300000
	virtio_net 61440 0 - Live 0xffffffffc0400000
	autofs4 53248 2 - Live 0xffffffffc0600000
	EOT
	make_tracefs "$T"
	cp "$FIXTURES/mixed.trace" "$I/trace"
	mv "$I" "$BATS_TEST_TMPDIR/instance"
	NS_SETUP=:
}

# A watcher that no report stopped must not outlive its test; nor the kernel log reader.
initrd_teardown() {
	local pid
	pid=$(cat "$R/run/memdebug-ko/watch.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
	if [[ ${KMSG_READER-} ]]; then
		exec {KMSG_W}>&-
		# every writer is gone once the watcher is: the reader sees the end
		timeout 10 tail --pid="$KMSG_READER" -f /dev/null || kill "$KMSG_READER" 2>/dev/null
		KMSG_READER=
	fi
	return 0
}

# Makes the instance appear, as mkdir in tracefs does: the events and files exist, and
# the trace holds what the kernel will have recorded by the time of the report.
make_instance() {
	[[ -d $I ]] || cp -a "$BATS_TEST_TMPDIR/instance" "$I"
	# what the watcher reads: a file, whose end it needs not wait for
	cp "$I/trace" "$I/trace_pipe"
}

# Runs shell code $1 in the root $R as dracut's init would: as root of a user and mount
# namespace, chrooted, with an initramfs's PATH and nothing else of our environment.
# Shell code $NS_SETUP runs before the chroot (mounts), with the root in $R. Stdout and
# stderr land in $output, the kernel log records in $kmsg.
in_initrd() {
	local code=$1 log=$BATS_TEST_TMPDIR/kmsg mark from i

	# One reader for the whole test, the FIFO held open for writing meanwhile: a watcher
	# keeps its /dev/kmsg files open and may outlive this run, so the reader cannot wait
	# for the end. Each run ends with a marker record, and its records are those before.
	if [[ -z ${KMSG_READER-} ]]; then
		: >"$log"
		cat "$R/dev/kmsg" >>"$log" &
		KMSG_READER=$!
		exec {KMSG_W}>"$R/dev/kmsg"
	fi
	from=$(wc -l <"$log")
	run unshare --user --map-root-user --mount --propagation private -- \
		env -i R="$R" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -ec "$NS_SETUP"'; exec chroot "$R" /bin/sh -c "$0"' "$code"
	mark="in_initrd: end of run $from"
	echo "$mark" >&"$KMSG_W"
	for ((i = 0; i < 100; i++)); do
		grep -qxF "$mark" "$log" && break
		sleep 0.1
	done
	kmsg=$(tail -n +"$((from + 1))" "$log" | sed "/^${mark}\$/,\$d")
}

# Asserts that the kernel log has a memdebug-ko record at level $1 (27 error, 28 warning,
# 29 report, 30 info) that contains $2.
assert_kmsg() {
	if ! grep -F "<$1>memdebug-ko: " <<<"$kmsg" | grep -qF -- "$2"; then
		batslib_print_kv_single_or_multi 8 'expected' "<$1>memdebug-ko: ...$2..." \
			'kmsg' "$kmsg" | batslib_decorate 'no such kernel log record' | fail
	fi
}

# Asserts that no kernel log record contains $1. A test tree's instance holds files, so
# report's rmdir(2) fails where tracefs would succeed: that warning does not count; nor,
# under qemu-user ($MDKO_EMU), the watcher's mlockall(2), which fails there with ENOMEM
# (the emulator reserves the guest's whole address space).
refute_kmsg() {
	local emu='^$'

	[[ -z $MDKO_EMU ]] || emu="warning: cannot lock the watcher's memory: "
	if grep -vF "warning: cannot remove $INST: Directory not empty" <<<"$kmsg" |
		grep -v -- "$emu" | grep -qF -- "$1"; then
		batslib_print_kv_single_or_multi 8 'unexpected' "$1" 'kmsg' "$kmsg" |
			batslib_decorate 'unexpected kernel log record' | fail
	fi
}

# Asserts that every hook or boot script returned 0 to the shell that ran it and the boot went on.
assert_boot_goes_on() {
	assert_success
	refute_line --regexp '^(cmdline hook|prepare unit|pre-pivot hook|init-top|init-bottom|panic): [1-9]'
	assert_line 'switching root'
}

# Asserts that the report reached the kernel log, its events line ending in $1 (complete
# or INCOMPLETE), and that the JSON report was saved; $output is the JSON report.
assert_reported() {
	assert_kmsg 29 "malformed lines skipped: $1"
	assert_kmsg 29 'memdebug-ko: total '
	output=$(cat "$R/run/initramfs/memdebug-ko.json") || fail 'no /run/initramfs/memdebug-ko.json'
	assert_json '.source' live
}
