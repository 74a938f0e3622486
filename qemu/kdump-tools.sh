# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # the MDKO_* results are used by the scripts that source this
#
# kdump on Debian, end to end with the real kdump-tools, sourced by qemu/lib.sh (which
# defines what this uses). A Debian root file system (12, or the suite MDKO_KT_SUITE
# names: trixie, Debian 13, with kdump-tools 1.10) made with mmdebstrap holds the
# cached kernel's package, initramfs-tools, kdump-tools and a test unit that crashes the
# system once kdump-tools has loaded the capture kernel. The tree is cached outside the
# clone (MEMDEBUG_KO_IMAGE_CACHE, default /var/cache/memdebug-ko), so that a clean clone
# does not download it again; each boot makes a fresh disk image of it with memdebug-ko
# installed (meson install) and MEMDEBUG_KO=y in /etc/initramfs-tools/conf.d/.
#
# At boot kdump-tools.service runs `kdump-config load`, which builds the capture initrd
# with mkinitramfs (MODULES=dep, as its kernel hook does on Debian) inside the guest and
# loads it with kexec -p; the test unit crashes the primary with sysrq c; the capture
# kernel boots that initrd (memdebug-ko reports at init-bottom), switches to the root,
# and kdump-tools-dump.service saves the vmcore and the crashed kernel's dmesg under
# /var/crash/STAMP/ and reboots, which ends QEMU (-no-reboot).

MDKO_IMAGE_CACHE=${MEMDEBUG_KO_IMAGE_CACHE:-/var/cache/memdebug-ko}

# The Debian suite of the root: bookworm (12) or trixie (13), whose archive must hold the
# kernel mdko_kernel found (MDKO_KERNEL_SERIES=6.12+deb13 for trixie).
MDKO_KT_SUITE=${MDKO_KT_SUITE:-bookworm}

# Markers the test unit prints on the serial console.
MDKO_KT_READY_MARKER=MEMDEBUG-KO-KDUMP-TOOLS-READY
MDKO_KT_NOT_READY_MARKER=MEMDEBUG-KO-KDUMP-TOOLS-NOT-READY

# The primary kernel's command line: memory for the capture kernel, no memdebug-ko.
MDKO_KT_CMDLINE="console=ttyS0 panic=1 root=/dev/vda rw crashkernel=256M"

# kdump-tools' default KDUMP_CMDLINE_APPEND, and memdebug-ko on.
MDKO_KT_APPEND="reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll"
MDKO_KT_APPEND+=" usbcore.nousb rd.memdebug=4"

# The test unit: once kdump-tools has loaded the capture kernel, crash; else power off.
mdko_kt_crash_unit() {
	cat << EOF
[Unit]
Description=memdebug-ko test: crash once kdump-tools is ready
After=kdump-tools.service
ConditionPathExists=!/proc/vmcore

[Service]
Type=oneshot
StandardOutput=journal+console
ExecStart=/bin/sh -c 'if [ "\$(cat /sys/kernel/kexec_crash_loaded)" = 1 ]; then echo $MDKO_KT_READY_MARKER; sync; echo c > /proc/sysrq-trigger; else echo $MDKO_KT_NOT_READY_MARKER; kdump-config status; poweroff -f; fi'

[Install]
WantedBy=multi-user.target
EOF
}

# Make the cached Debian tree of suite MDKO_KT_SUITE for the kernel found by mdko_kernel,
# once (remade when this code changes); set MDKO_KT_TREE. Needs root and mmdebstrap;
# minutes, and about 150 MB of downloads.
mdko_kt_tree() {
	local _tree="$MDKO_IMAGE_CACHE/$MDKO_KT_SUITE-kdump-tools-$MDKO_KVER" _stamp _pkgs
	local _sources=()

	_stamp=$(declare -f mdko_kt_tree mdko_kt_crash_unit mdko_debian_sources |
		sha256sum | cut -d' ' -f1)
	MDKO_KT_TREE=$_tree
	[[ -d $_tree && $(cat "$_tree.stamp" 2> /dev/null) == "$_stamp" ]] && return 0
	rm -rf "$_tree" "$_tree.stamp" "$_tree.tmp"
	mkdir -p "$MDKO_IMAGE_CACHE" || return 1
	_pkgs="systemd-sysv,udev,kmod,initramfs-tools,busybox,e2fsprogs,procps"
	# the package mdko_kernel took: -unsigned up to 6.12, the signed name of a split 7.x
	_pkgs+=",makedumpfile,kexec-tools,$MDKO_KERNEL_PKG"
	mapfile -t _sources < <(mdko_debian_sources "$MDKO_KT_SUITE") && ((${#_sources[@]})) ||
		return 1
	mdko_log "making the Debian $MDKO_KT_SUITE root with kdump-tools in $_tree (mmdebstrap)"
	# A mirror that is a snapshot serves a sid whose Release file has expired: apt checks
	# the signatures, not the dates. kdump-tools comes last: its kernel hook would make
	# the capture initrd, MODULES=dep, in the chroot, where no root device can be found;
	# kdump-config load makes it at boot. The test configuration: the root on /dev/vda,
	# kdump on with memdebug-ko on the capture kernel's command line, the crash unit.
	# shellcheck disable=SC2016 # mmdebstrap's hooks expand $1 themselves
	mdko_quiet "$MDKO_IMAGE_CACHE/mmdebstrap.log" mmdebstrap --variant=minbase \
		--include="$_pkgs" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kdump-tools' \
		--customize-hook='echo "/dev/vda / ext4 rw 0 1" > "$1/etc/fstab"' \
		--customize-hook='echo memdebug-ko-test > "$1/etc/hostname"' \
		--customize-hook="sed -i -e 's/^USE_KDUMP=.*/USE_KDUMP=1/' -e '/KDUMP_CMDLINE_APPEND=/d' \"\$1/etc/default/kdump-tools\" && echo 'KDUMP_CMDLINE_APPEND=\"$MDKO_KT_APPEND\"' >> \"\$1/etc/default/kdump-tools\"" \
		--customize-hook='chroot "$1" apt-get clean' \
		"$MDKO_KT_SUITE" "$_tree.tmp" "${_sources[@]}" || return 1
	mdko_kt_crash_unit > "$_tree.tmp/etc/systemd/system/memdebug-ko-test-crash.service" &&
		ln -s ../memdebug-ko-test-crash.service \
			"$_tree.tmp/etc/systemd/system/multi-user.target.wants/memdebug-ko-test-crash.service" &&
		mv "$_tree.tmp" "$_tree" && printf '%s\n' "$_stamp" > "$_tree.stamp"
}

# The script the crash unit runs first (a drop-in): the primary prints what the
# estimators of kdump tools read, as qemu/kdump.sh's init does, and kdump-tools' own
# estimate (test/boot/crashkernel.sh).
mdko_kt_estimators() {
	cat << 'EOF'
#!/bin/sh
ram=0
for r in $(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM$/\1:\2/p' /proc/iomem); do
	ram=$((ram + 0x${r#*:} - 0x${r%:*} + 1))
done
echo "primary memory: System RAM $ram bytes;" $(awk '/^(MemTotal|MemFree|Buffers|Cached|SReclaimable|Hugetlb):/ { printf "%s %s ", $1, $2 }' /proc/meminfo) "cpus $(nproc)"
kdump-config show 2>&1 | grep -i 'crashkernel'
EOF
}

# Make disk image OUT of the cached tree with memdebug-ko installed from meson build
# directory BUILD (meson install) and MEMDEBUG_KO=y in /etc/initramfs-tools/conf.d/: the
# tree stays as it is, an overlay mount holds the additions. Files in directory EXTRA
# (optional) go on top, and with kernel modules among them depmod runs. Needs root.
mdko_kt_image() {
	local _out=$1 _build=$2 _extra=${3-} _work=$1.d _rc=0 _d

	rm -rf "$_work" "$_out"
	mkdir -p "$_work"/{upper,work,merged} || return 1
	mdko_quiet "$_out.install.log" meson install -C "$_build" --no-rebuild \
		--destdir "$_work/upper" || return 1
	# Debian's /lib, /bin and /sbin are links into /usr: a directory of the same name
	# in the overlay's upper layer would hide them
	for _d in bin sbin lib lib64; do
		[[ -d $_work/upper/$_d && ! -L $_work/upper/$_d ]] || continue
		mkdir -p "$_work/upper/usr/$_d" && cp -a "$_work/upper/$_d/." "$_work/upper/usr/$_d/" &&
			rm -rf "${_work:?}/upper/$_d" || return 1
	done
	mkdir -p "$_work/upper/etc/initramfs-tools/conf.d" &&
		echo MEMDEBUG_KO=y > "$_work/upper/etc/initramfs-tools/conf.d/memdebug-ko" &&
		_d=$_work/upper/etc/systemd/system/memdebug-ko-test-crash.service.d &&
		mkdir -p "$_d" "$_work/upper/usr/local/sbin" &&
		mdko_kt_estimators > "$_work/upper/usr/local/sbin/memdebug-ko-test-estimators" &&
		chmod 755 "$_work/upper/usr/local/sbin/memdebug-ko-test-estimators" &&
		printf '%s\n' '[Service]' \
			'ExecStartPre=-/usr/local/sbin/memdebug-ko-test-estimators' > "$_d/estimators.conf" ||
		return 1
	if [[ $_extra ]]; then
		cp -a "$_extra/." "$_work/upper/" || return 1
	fi
	mount -t overlay overlay \
		-o "lowerdir=$MDKO_KT_TREE,upperdir=$_work/upper,workdir=$_work/work" \
		"$_work/merged" || return 1
	if [[ -d $_extra/usr/lib/modules/$MDKO_KVER ]]; then
		depmod -b "$_work/merged" "$MDKO_KVER" || _rc=1
	fi
	((_rc != 0)) ||
		mdko_quiet "$_out.mke2fs.log" mke2fs -q -F -t ext4 -d "$_work/merged" "$_out" 3G ||
		_rc=1
	umount "$_work/merged"
	rm -rf "$_work"
	return "$_rc"
}

# Boot the kernel and initrd of the cached tree with disk image ROOT, serial console to
# LOG: the primary loads kdump and crashes, the capture kernel dumps and reboots.
mdko_kt_boot() {
	MDKO_VMLINUZ="$MDKO_KT_TREE/boot/vmlinuz-$MDKO_KVER" MDKO_CMDLINE=$MDKO_KT_CMDLINE \
		MDKO_MEM=${MDKO_MEM:-1G} mdko_boot "$MDKO_KT_TREE/boot/initrd.img-$MDKO_KVER" "$@"
}
