# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # the MDKO_* results are used by the scripts that source this
#
# Shared by qemu/demo, test/bench/run and the boot tests (test/boot/lib.sh): the cache,
# the build, a Debian kernel, a lean dracut initramfs with our module, a busybox root file
# system and the QEMU boot, which boots again a kernel that QEMU killed.
# Source it from bash running with `set -euo pipefail`; the functions check their own
# steps and return non-zero on failure, so they work in `if` and `||` too. Results come
# back in MDKO_* variables. Everything lives in $MEMDEBUG_KO_CACHE (default:
# <repo>/.cache) and is reused by the next run; nothing is installed into the host's
# dracut.
#
# Environment:
#   MEMDEBUG_KO_CACHE    cache directory
#   MEMDEBUG_KO_TIMEOUT  seconds a guest may run before it is killed (default 300)
#   MDKO_KERNEL_SERIES   Debian kernel series to boot: 6.1 (default, linux-image-6.1.0-N-
#                        amd64-unsigned) or another of Debian 12's, such as 6.12
#                        (linux-image-6.12.N+deb12-amd64-unsigned); a series the host's
#                        apt does not know comes from the newer suites (qemu/archive.sh:
#                        7.3 is linux-image-7.3.N+deb13-amd64 of trixie-backports, 7.2
#                        sid's); a +debN suffix picks a Debian release's build (6.12+deb13:
#                        trixie's linux-image-6.12.N+deb13-amd64-unsigned); a -rt suffix
#                        picks the PREEMPT_RT flavour (6.12-rt: linux-image-6.12.N+deb12-
#                        rt-amd64-unsigned)
#   MDKO_QEMU_CPU        QEMU's -cpu (default qemu64,+rdrand; qemu64 has no RDRAND)
#   MDKO_QEMU_NICS       QEMU network devices to give the guest, one model a word (such
#                        as "virtio-net-pci e1000e"; default none), each on a user
#                        network of its own restricted to the guest (restrict=on: its
#                        DHCP answers, nothing leaves the host)
#   MDKO_DRACUT          the dracut of the images: host (default: the host's, 059 on
#                        Debian 12), ng (dracut-ng 106 and systemd 257 of a cached
#                        Debian 13 tree, qemu/trixie.sh) or sid (dracut 112 and systemd
#                        262 of a cached Debian unstable tree)
#   V=1                  keep the work directory with the logs

MDKO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MDKO_CACHE=${MEMDEBUG_KO_CACHE:-$MDKO_REPO/.cache}
MDKO_TIMEOUT=${MEMDEBUG_KO_TIMEOUT:-300}
MDKO_KERNEL_SERIES=${MDKO_KERNEL_SERIES:-6.1}
MDKO_DRACUT=${MDKO_DRACUT:-host}

# Markers the guest's /sbin/init prints on the serial console.
MDKO_ROOT_MARKER=MEMDEBUG-KO-ROOT-REACHED
MDKO_JSON_BEGIN=MEMDEBUG-KO-JSON-BEGIN
MDKO_JSON_END=MEMDEBUG-KO-JSON-END
MDKO_UPTIME_MARKER=MEMDEBUG-KO-UPTIME
MDKO_PGALLOC_MARKER=MEMDEBUG-KO-PGALLOC

# Kernel command line of every boot; callers append their own options.
MDKO_CMDLINE="console=ttyS0 panic=1 oops=panic root=/dev/vda rw rd.shell=0"
MDKO_CMDLINE+=" rd.emergency=poweroff rd.timeout=60 rd.memdebug=4"

# dracut modules of the lean initramfs, and the ones that make it a systemd initrd.
MDKO_DRACUT_MODULES="bash base fs-lib rootfs-block udev-rules kernel-modules memdebug-ko"
MDKO_DRACUT_SYSTEMD="systemd systemd-initrd systemd-modules-load dracut-systemd"

# ---------------------------------------------------------------------------------------
# messages

mdko_log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

mdko_die() {
	mdko_log "error: $*"
	exit 1
}

# Run a long command quietly; show its output only when it fails.
mdko_quiet() {
	local _log=$1 _rc=0
	shift

	"$@" > "$_log" 2>&1 || _rc=$?
	if ((_rc != 0)); then
		mdko_log "failed (exit status $_rc): $*"
		tail -n 40 "$_log" >&2
	fi
	return "$_rc"
}

# ---------------------------------------------------------------------------------------
# host packages

# Install with apt-get those of the given Debian packages that are not installed yet.
mdko_apt_install() {
	local _pkg _missing=()

	for _pkg in "$@"; do
		if ! dpkg-query -W -f '${Status}' "$_pkg" 2> /dev/null | grep -q 'ok installed'; then
			_missing+=("$_pkg")
		fi
	done
	((${#_missing[@]} > 0)) || return 0
	mdko_log "installing ${_missing[*]}"
	mdko_apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${_missing[@]}" > /dev/null
}

# Refresh the apt lists once per run.
mdko_apt_update() {
	[[ ${MDKO_APT_UPDATED-} ]] && return 0
	apt-get update -qq
	MDKO_APT_UPDATED=1
}

# ---------------------------------------------------------------------------------------
# build

# Build VARIANT (default or musl) of memdebug-ko in the cache; set MDKO_BINARY.
mdko_build() {
	local _variant=$1 _dir="$MDKO_CACHE/build-$1"
	local _setup=(meson setup "$_dir" "$MDKO_REPO")

	case $_variant in
	default) ;;
	musl) _setup=(env CC=musl-gcc "${_setup[@]}" -Dlibtracefs=disabled) ;;
	*)
		mdko_log "unknown build variant: $_variant (default or musl)"
		return 1
		;;
	esac
	if [[ ! -f $_dir/build.ninja ]]; then
		rm -rf "$_dir"
		mkdir -p "$MDKO_CACHE" || return 1
		mdko_quiet "$MDKO_CACHE/build-$_variant.log" "${_setup[@]}" || return 1
	fi
	mdko_quiet "$_dir/ninja.log" ninja -C "$_dir" || return 1
	if [[ ! -x $_dir/src/memdebug-ko ]]; then
		mdko_log "the build made no $_dir/src/memdebug-ko"
		return 1
	fi
	MDKO_BINARY="$_dir/src/memdebug-ko"
}

# ---------------------------------------------------------------------------------------
# cache

# Take the cache lock: runs that share a cache (meson runs tests in parallel) prepare the
# kernel, root image and dracut base dir one at a time.
mdko_lock() {
	mkdir -p "$MDKO_CACHE" || return 1
	exec {MDKO_LOCK_FD}> "$MDKO_CACHE/lock" || return 1
	flock "$MDKO_LOCK_FD"
}

mdko_unlock() {
	exec {MDKO_LOCK_FD}>&-
}

# ---------------------------------------------------------------------------------------
# kernel

# Unpack a Debian kernel into the cache and set MDKO_KERNEL_PKG (its package), MDKO_KVER,
# MDKO_VMLINUZ and MDKO_KMODDIR.
# Uses the newest package of series MDKO_KERNEL_SERIES that the host's apt knows (for
# 6.1: linux-image-6.1.0-N-amd64-unsigned), else the newest of the newer suites
# (qemu/archive.sh), downloading it when it is not cached yet; falls back to the newest
# cached one of the series. MDKO_ALLOW_UPDATE=1 lets it refresh the host's apt lists when
# apt knows no such package. Returns 1 if there is no kernel.
mdko_kernel() {
	local _kdir="$MDKO_CACHE/kernel" _pkg _debs _root _kver _from=host _d

	mkdir -p "$_kdir/debs" || return 1
	_pkg=$(mdko_kernel_package)
	if [[ -z $_pkg && ${MDKO_ALLOW_UPDATE-} == 1 ]]; then
		mdko_apt_update
		_pkg=$(mdko_kernel_package)
	fi
	if [[ -z $_pkg ]] && mdko_archive_apt; then
		_pkg=$(mdko_archive_kernel_package "$(mdko_kernel_pattern archive)") && [[ $_pkg ]] &&
			_from=archive
	fi
	if [[ $_pkg && ! -d $_kdir/$_pkg ]]; then
		_debs="$_kdir/debs/$_pkg"
		mkdir -p "$_debs" || return 1
		if [[ -z $(mdko_kernel_debs "$_debs") ]]; then
			if [[ $_from == archive ]]; then
				mdko_archive_kernel_download "$_debs" "$_pkg" ||
					mdko_log "downloading $_pkg from the archive failed"
			else
				# stale apt lists name a .deb that the mirror no longer has
				mdko_kernel_download "$_debs" "$_pkg" ||
					{ [[ ${MDKO_ALLOW_UPDATE-} == 1 ]] && mdko_apt_update &&
						mdko_kernel_download "$_debs" "$_pkg"; } ||
					mdko_log "apt-get download $_pkg failed"
			fi
		fi
		if [[ $(mdko_kernel_debs "$_debs") ]]; then
			mdko_log "unpacking $(mdko_kernel_debs "$_debs" | xargs -n1 basename | paste -sd' ')"
			rm -rf "$_kdir/$_pkg.tmp"
			while read -r _d; do
				dpkg -x "$_d" "$_kdir/$_pkg.tmp" || return 1
			done < <(mdko_kernel_debs "$_debs")
			mdko_kernel_merge_usr "$_kdir/$_pkg.tmp" || return 1
			_kver=$(mdko_kernel_version "$_kdir/$_pkg.tmp") || {
				mdko_log "no kernel in $_debs"
				return 1
			}
			# the package ships no modules.dep: depmod makes it at install time
			depmod -b "$_kdir/$_pkg.tmp" "$_kver" || return 1
			mv "$_kdir/$_pkg.tmp" "$_kdir/$_pkg" || return 1
			rm -rf "$_debs"
		fi
	fi
	if [[ -z $_pkg || ! -d $_kdir/$_pkg ]]; then
		_pkg=$(find "$_kdir" -mindepth 1 -maxdepth 1 -type d -name 'linux-image-*' ! -name '*.tmp' \
			-printf '%f\n' | grep -E "$(mdko_kernel_pattern archive)" | sort -V | tail -n 1)
		[[ $_pkg ]] || return 1
		mdko_log "using the cached $_pkg"
	fi
	_root="$_kdir/$_pkg"
	MDKO_KERNEL_PKG=$_pkg
	MDKO_KVER=$(mdko_kernel_version "$_root") || return 1
	MDKO_VMLINUZ="$_root/boot/vmlinuz-$MDKO_KVER"
	MDKO_KMODDIR="$_root/lib/modules/$MDKO_KVER"
	[[ -f $MDKO_VMLINUZ && -f $MDKO_KMODDIR/modules.dep ]]
}

# Print the extended regular expression of the package names of series
# MDKO_KERNEL_SERIES: linux-image-6.1.0-N-amd64-unsigned for 6.1, for a newer series
# X.Y linux-image-X.Y.N+debV-amd64-unsigned, and for X.Y-rt the -rt-amd64 flavour. With
# "archive", the signed name without -unsigned too: the only one of the split 7.x
# kernels.
mdko_kernel_pattern() {
	local _series=${MDKO_KERNEL_SERIES%-rt} _flavour=amd64 _unsigned=-unsigned _deb='[0-9]+'

	[[ $MDKO_KERNEL_SERIES != *-rt ]] || _flavour=rt-amd64
	[[ ${1-} != archive ]] || _unsigned='(-unsigned)?'
	if [[ $_series == *+deb* ]]; then
		_deb=${_series#*+deb}
		_series=${_series%+deb*}
	fi
	printf '^linux-image-%s(\\.0-[0-9]+|\\.[0-9]+\\+deb%s)-%s%s$\n' \
		"${_series//./\\.}" "$_deb" "$_flavour" "$_unsigned"
}

# Print the newest package of series MDKO_KERNEL_SERIES that the host's apt knows.
mdko_kernel_package() {
	if [[ ! $MDKO_KERNEL_SERIES =~ ^[0-9]+\.[0-9]+(\+deb[0-9]+)?(-rt)?$ ]]; then
		mdko_log "MDKO_KERNEL_SERIES=$MDKO_KERNEL_SERIES is not a kernel series such as 6.1, 6.12-rt or 6.12+deb13"
		return 1
	fi
	apt-cache pkgnames "linux-image-${MDKO_KERNEL_SERIES%%[-+]*}." 2> /dev/null |
		grep -E "$(mdko_kernel_pattern)" | sort -V | tail -n 1
}

# Download the .deb of package PKG into DIR with the host's apt.
mdko_kernel_download() {
	mdko_log "downloading $2"
	# as root, apt's _apt user could not write into DIR: download as root
	(cd "$1" && apt-get -qq -o APT::Sandbox::User=root download "$2")
}

# Print the .deb files in DIR, one a line.
mdko_kernel_debs() {
	find "$1" -maxdepth 1 -name '*.deb' | sort
}

# Print the version of the kernel unpacked in ROOT.
mdko_kernel_version() {
	local _vmlinuz

	_vmlinuz=$(find "$1/boot" -maxdepth 1 -name 'vmlinuz-*' 2> /dev/null | head -n 1)
	[[ $_vmlinuz ]] || return 1
	printf '%s\n' "${_vmlinuz##*/vmlinuz-}"
}

# ---------------------------------------------------------------------------------------
# initramfs

# Make a private dracut base directory in the cache, the host's dracut with our module
# added as 55memdebug-ko, so that nothing is installed into /usr/lib/dracut; set
# MDKO_DRACUT_BASE; with it the dump step of a kdump capture initramfs (qemu/kdump.sh),
# 99memdebug-ko-kdump. Call it with the cache lock held.
mdko_dracut_base() {
	local _base="$MDKO_CACHE/dracut" _host=/usr/lib/dracut _f _name _stamp

	if [[ ! -f $_host/dracut-init.sh ]]; then
		mdko_log "dracut is not installed ($_host)"
		return 1
	fi
	MDKO_DRACUT_BASE=$_base
	# remake it only when the host's dracut or the set of our modules changed: another run
	# may be using it ("kdump" since 99memdebug-ko-kdump is linked too)
	_stamp=$(printf '%s\n' "$MDKO_REPO" "$_host"/* "$_host"/modules.d/* kdump | sha256sum)
	[[ -f $_base.stamp && $(cat "$_base.stamp") == "$_stamp" ]] && return 0

	rm -rf "$_base" "$_base.stamp"
	mkdir -p "$_base/modules.d" "$_base/conf.d" || return 1
	for _f in "$_host"/*; do
		_name=${_f##*/}
		[[ $_name == modules.d ]] || ln -s "$_f" "$_base/$_name" || return 1
	done
	for _f in "$_host"/modules.d/*; do
		_name=${_f##*/}
		# a memdebug-ko module installed on the host would shadow the one we test
		[[ $_name == [0-9][0-9]memdebug-ko ]] || ln -s "$_f" "$_base/modules.d/$_name" ||
			return 1
	done
	ln -s "$MDKO_REPO/dracut-module" "$_base/modules.d/55memdebug-ko" || return 1
	# the dump step of qemu/kdump.sh's capture initramfs, only where it is asked for
	ln -s "$MDKO_REPO/qemu/kdump-dracut" "$_base/modules.d/99memdebug-ko-kdump" || return 1
	printf '%s\n' "$_stamp" > "$_base.stamp"
}

# Print the directory of the initrd's dracut hooks for the dracut of MDKO_DRACUT (the
# host's, or that of the tree mdko_prepare made): /lib/dracut/hooks up to dracut-ng 106,
# /var/lib/dracut/hooks in dracut 112.
mdko_dracut_hookdir() {
	local _root=

	[[ $MDKO_DRACUT == host ]] || _root=${MDKO_TRIXIE_TREE-}
	sed -n 's/^hookdir=//p' "$_root"/usr/lib/dracut/modules.d/*base/dracut-lib.sh 2> /dev/null |
		head -n 1 | grep . || echo /lib/dracut/hooks
}

# Set MDKO_DRACUT_ARGS to dracut's options for the lean FLAVOUR (shell or systemd) image
# of the kernel found by mdko_kernel, whose modules are in KMODDIR as dracut sees them,
# with the config directory CONFDIR. Shared by mdko_initramfs and qemu/trixie.sh.
mdko_dracut_args() {
	# dracut's "lz4" means lz4 -l -9, seconds slower than the default level; the kernel
	# unpacks only the legacy format (-l). A compressed image fits into 512M of RAM.
	MDKO_DRACUT_ARGS=(--force --no-hostonly --no-hostonly-cmdline --no-early-microcode
		--compress "lz4 -l" --conf /dev/null --confdir "$3"
		--kver "$MDKO_KVER" --kmoddir "$2")
	case $1 in
	shell) MDKO_DRACUT_ARGS+=(-m "$MDKO_DRACUT_MODULES" -o "$MDKO_DRACUT_SYSTEMD") ;;
	systemd) MDKO_DRACUT_ARGS+=(-m "$MDKO_DRACUT_SYSTEMD $MDKO_DRACUT_MODULES") ;;
	*)
		mdko_log "unknown initrd flavour: $1 (shell or systemd)"
		return 1
		;;
	esac
}

# Build initramfs OUT for FLAVOUR (shell or systemd) with memdebug-ko binary BINARY, for
# the kernel found by mdko_kernel, with mdko_dracut_base's dracut, or with MDKO_DRACUT=ng
# the trixie tree's dracut-ng (mdko_trixie_initramfs); further arguments go to dracut.
# The log goes to OUT.log.
mdko_initramfs() {
	local _out=$1 _flavour=$2 _binary=$3 _base=$MDKO_DRACUT_BASE

	[[ $MDKO_DRACUT == host ]] || {
		mdko_trixie_initramfs "$@"
		return
	}
	shift 3

	mdko_dracut_args "$_flavour" "$MDKO_KMODDIR" "$_base/conf.d" || return 1
	mdko_quiet "$_out.log" env dracutbasedir="$_base" MEMDEBUG_KO_BINARY="$_binary" \
		dracut "${MDKO_DRACUT_ARGS[@]}" "$@" "$_out" "$MDKO_KVER"
}

# Build initramfs OUT with initramfs-tools' mkinitramfs, MODULES=MODE (most or dep), for
# the kernel found by mdko_kernel, with the hook and boot scripts of initramfs-tools/ and
# memdebug-ko binary BINARY; further arguments are modules to load at boot (the config
# directory's modules file). Nothing is installed on the host: the config directory is
# OUT.conf (MEMDEBUG_KO=y in its conf.d/), and mkinitramfs, which knows only
# /lib/modules and /boot, runs in a mount namespace of its own where the cached kernel's
# modules and config are mounted there. The log goes to OUT.log. MDKO_ITOOLS_SCRIPTS, if
# set, is a directory of further boot scripts (local-bottom/NAME...) to add.
mdko_mkinitramfs() {
	local _out=$1 _mode=$2 _binary=$3 _conf=$1.conf
	shift 3

	rm -rf "$_conf"
	mkdir -p "$_conf/conf.d" || return 1
	printf '%s\n' "MODULES=$_mode" BUSYBOX=auto KEYMAP=n COMPRESS=lz4 FSTYPE=auto \
		RUNSIZE=10% > "$_conf/initramfs.conf"
	echo MEMDEBUG_KO=y > "$_conf/conf.d/memdebug-ko"
	printf '%s\n' "$@" > "$_conf/modules"
	cp -r "$MDKO_REPO/initramfs-tools/hooks" "$MDKO_REPO/initramfs-tools/scripts" "$_conf/" ||
		return 1
	# a test's own boot scripts beside them (test/boot/itools-test)
	if [[ ${MDKO_ITOOLS_SCRIPTS-} ]]; then
		cp -r "$MDKO_ITOOLS_SCRIPTS/." "$_conf/scripts/" || return 1
	fi
	# shellcheck disable=SC2016 # the namespace's own shell expands them
	mdko_quiet "$_out.log" unshare --mount --propagation private sh -ec '
		mount -t tmpfs tmpfs /lib/modules
		mkdir "/lib/modules/$1"
		mount --bind "$2/lib/modules/$1" "/lib/modules/$1"
		mount -t tmpfs tmpfs /boot
		cp "$2/boot/config-$1" /boot/
		MEMDEBUG_KO_BINARY=$3 mkinitramfs -v -d "$4" -o "$5" "$1"' \
		sh "$MDKO_KVER" "${MDKO_KMODDIR%/lib/modules/*}" "$_binary" "$_conf" "$_out"
}

# ---------------------------------------------------------------------------------------
# root file system

# The guest's /sbin/init: show the saved JSON report, keep it, the saved trace if any,
# the loaded modules and the tracefs instances ("name buffer_size_kb", the top-level
# buffer last as "(top-level)") in /memdebug-ko/ on the root file system, then power off.
# A report that gives its buffer back with --detach runs on beside this init: the lists
# wait for it (the boot benchmark's uptime mark does not).
mdko_guest_init() {
	cat << EOF
#!/bin/busybox sh
# memdebug-ko test root: generated by qemu/lib.sh
export PATH=/bin
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/kernel ] || mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
# seconds from kernel start to the real root's init: the boot benchmark reads it
read -r uptime _ < /proc/uptime
echo "$MDKO_UPTIME_MARKER \$uptime"
# pages allocated since boot (/proc/vmstat's pgalloc_*): the boot benchmark reads it too
n=0
while read -r k v; do
	case \$k in pgalloc_*) n=\$((n + v)) ;; esac
done < /proc/vmstat
echo "$MDKO_PGALLOC_MARKER \$n"
mkdir -p /memdebug-ko
# a report started with --detach may still be giving its buffer back: wait up to 30 s
n=0
while [ \$n -lt 300 ]; do
	busy=
	for c in /proc/[0-9]*/comm; do
		[ "\$(cat "\$c" 2> /dev/null)" = memdebug-ko ] && busy=1 && break
	done
	[ -z "\$busy" ] && break
	[ \$n -eq 0 ] && echo "waiting for the detached memdebug-ko to end"
	n=\$((n + 1))
	sleep 0.1
done
cat /proc/modules > /memdebug-ko/modules
for i in /sys/kernel/tracing/instances/*; do
	[ -d "\$i" ] && echo "\${i##*/} \$(cat "\$i/buffer_size_kb")"
done > /memdebug-ko/instances
echo "(top-level) \$(cat /sys/kernel/tracing/buffer_size_kb)" >> /memdebug-ko/instances
dmesg > /memdebug-ko/dmesg
[ -f /run/initramfs/memdebug-ko.trace ] && cp /run/initramfs/memdebug-ko.trace /memdebug-ko/
if [ -f /run/initramfs/memdebug-ko.json ]; then
	cp /run/initramfs/memdebug-ko.json /memdebug-ko/memdebug-ko.json
	echo $MDKO_JSON_BEGIN
	cat /run/initramfs/memdebug-ko.json
	echo
	echo $MDKO_JSON_END
else
	echo "MEMDEBUG-KO-NO-JSON: /run/initramfs/memdebug-ko.json is missing"
fi
echo $MDKO_ROOT_MARKER
sync
poweroff -f
EOF
}

# Make the busybox root file system image in the cache, once; set MDKO_ROOTFS. Call it
# with the cache lock held.
mdko_rootfs() {
	local _img="$MDKO_CACHE/root.img" _stamp _dir _busybox=/bin/busybox _applet

	# remake the image when this code or busybox changes
	_stamp=$({
		declare -f mdko_rootfs mdko_guest_init
		sha256sum "$_busybox"
	} | sha256sum | cut -d' ' -f1)
	MDKO_ROOTFS=$_img
	[[ -f $_img && $(cat "$_img.stamp" 2> /dev/null) == "$_stamp" ]] && return 0

	if ! file -L "$_busybox" | grep -q 'statically linked'; then
		mdko_log "$_busybox is not static: install busybox-static"
		return 1
	fi
	rm -f "$_img.stamp"
	_dir=$(mktemp -d) || return 1
	if mkdir -p "$_dir"/{bin,sbin,dev,etc,proc,sys,run,tmp,memdebug-ko} &&
		cp "$_busybox" "$_dir/bin/busybox" &&
		mdko_guest_init > "$_dir/sbin/init" && chmod 755 "$_dir/sbin/init" &&
		# systemd switches only into a root that has an os-release
		printf '%s\n' 'NAME="memdebug-ko test root"' 'ID=memdebug-ko' \
			> "$_dir/etc/os-release"; then
		for _applet in $("$_busybox" --list); do
			[[ $_applet == busybox ]] || ln -s busybox "$_dir/bin/$_applet"
		done
		# a new image replaces the old one at once: other runs may be copying it
		rm -f "$_img.tmp"
		mke2fs -q -F -t ext4 -L mdkoroot -d "$_dir" "$_img.tmp" 64M > /dev/null &&
			mv "$_img.tmp" "$_img" && printf '%s\n' "$_stamp" > "$_img.stamp"
	fi
	rm -rf "$_dir"
	if [[ ! -f $_img.stamp ]]; then
		mdko_log "could not make the root file system image $_img"
		return 1
	fi
}

# Prepare the cached kernel (mdko_kernel), root image (mdko_rootfs) and dracut base dir
# (mdko_dracut_base), with MDKO_DRACUT=ng or sid its tree (mdko_trixie_tree), under the
# cache lock. Returns 2 if there is no kernel.
mdko_prepare() {
	local _rc=0

	mdko_lock || return 1
	if ! mdko_kernel; then
		_rc=2
	elif ! mdko_rootfs || ! mdko_dracut_base; then
		_rc=1
	elif [[ $MDKO_DRACUT != host && $MDKO_DRACUT != ng && $MDKO_DRACUT != sid ]]; then
		mdko_log "MDKO_DRACUT=$MDKO_DRACUT is not host, ng or sid"
		_rc=1
	elif [[ $MDKO_DRACUT != host ]] && ! mdko_trixie_tree; then
		mdko_log "mmdebstrap could not make the $MDKO_DRACUT tree, see $MDKO_TRIXIE_TREE.log"
		_rc=1
	fi
	mdko_unlock
	return "$_rc"
}

# Copy file PATH out of root file system image IMG to OUT; fail if there is no PATH.
mdko_rootfs_get() {
	rm -f "$3"
	debugfs -R "dump $2 $3" "$1" > /dev/null 2>&1 && [[ -f $3 ]]
}

# ---------------------------------------------------------------------------------------
# boot

# Boot the kernel found by mdko_kernel with INITRD and root disk image ROOT under QEMU
# TCG, serial console to LOG; extra arguments are appended to the kernel command line.
# MDKO_MEM sets the guest's RAM (default 512M), MDKO_SMP its CPUs (default 2); with
# MDKO_ROOT_FROM, ROOT is first made a fresh copy of that image. A kernel that QEMU
# killed (mdko_died_of_qemu) boots again, up to MDKO_BOOT_TRIES boots in all (default
# 3), and it says so; each console it died on is kept as LOG with -died-N before .log.
# Fails when QEMU fails or the guest does not power off in time.
mdko_boot() {
	local _initrd=$1 _root=$2 _log=$3 _why _rc _try=1
	shift 3

	while :; do
		mdko_qemu "$_initrd" "$_root" "$_log" "$@" && _rc=0 || _rc=$?
		_why=$(mdko_died_of_qemu "$_log" "$_rc") || return "$_rc"
		if ((_try >= ${MDKO_BOOT_TRIES:-3})); then
			mdko_log "the kernel died of QEMU ($_why) in each of $_try boots"
			return "$_rc"
		fi
		mdko_log "the kernel died of QEMU ($_why) in boot $_try: booting again"
		mv -f "$_log" "${_log%.log}-died-$_try.log"
		_try=$((_try + 1))
	done
}

# Whether the boot with serial log LOG and QEMU's exit status RC died of QEMU and not of
# anything it ran; print why. Under TCG with two vCPUs, 6.1, 6.12 and 7.2 now and then die
# of their own code patching: a vCPU runs an int3 that another one has already taken out
# again. Either the int3 is an Oops ("Oops: int3", seen in sched_clock_cpu as
# "sched_clock: Marking stable" flips its static key before /init, and in
# ttwu_do_activate while tracepoints were being switched on), or that vCPU spins in the
# int3 handler while the other one waits in text_poke_bp for it to answer an IPI: an RCU
# stall or soft lockup with a vCPU's RIP in exc_int3, and the guest hangs until the
# timeout (seen once on 6.1, as memdebug-ko switched its events off). That is QEMU's
# cross-modifying code, not the boot's. With the events on from the kernel command line,
# 7.2.13 died so in 1 of 8 boots on an idle host, and twice in a row beside a test/run. A
# kernel that never reached /init (it died, or hung in early boot, before any of this
# project's code runs) is too; it has not touched the disk. After /init only a root that
# MDKO_ROOT_FROM makes afresh can boot again.
mdko_died_of_qemu() {
	local _rc=${2:-0}

	[[ -f $1 ]] || return 1
	if ! grep -q 'Run /init as init process' "$1"; then
		grep -m1 -oE 'Oops: [^[]*|Kernel panic[^\r]*' "$1" ||
			echo "it never reached /init"
	elif [[ -z ${MDKO_ROOT_FROM-} ]]; then
		return 1
	elif grep -q 'Oops: int3' "$1"; then
		grep -m1 -oE 'Oops: int3[^[]*' "$1"
	elif ((_rc == 124 || _rc == 137)) &&
		grep -qE 'self-detected stall|detected stalls on CPUs|soft lockup' "$1" &&
		grep -qE 'RIP: 0010:(exc_int3|poke_int3_handler)\+' "$1"; then
		echo "a hang: a vCPU spins in the int3 handler ($(grep -m1 -oE 'self-detected stall|detected stalls on CPUs|soft lockup' "$1"))"
	else
		return 1
	fi
}

# Run QEMU once for mdko_boot: its arguments, printed before it starts.
mdko_qemu() {
	local _initrd=$1 _root=$2 _log=$3 _cmd _rc=0 _nic _n=0 _nics=()
	shift 3

	for _nic in ${MDKO_QEMU_NICS-}; do
		_nics+=(-netdev "user,id=net$_n,restrict=on" -device "$_nic,netdev=net$_n")
		_n=$((_n + 1))
	done

	if [[ ${MDKO_ROOT_FROM-} ]]; then
		cp --sparse=always "$MDKO_ROOT_FROM" "$_root" || return 1
	fi
	_cmd=(timeout --kill-after=10 "$MDKO_TIMEOUT"
		qemu-system-x86_64 -nodefaults -display none -no-reboot
		-accel tcg -smp "${MDKO_SMP:-2}" -m "${MDKO_MEM:-512M}"
		# RDRAND, as every x86 server has: the random pool is ready at once, so that
		# the trace prints work addresses (%p, hashed) and not "(____ptrval____)"
		-cpu "${MDKO_QEMU_CPU:-qemu64,+rdrand}"
		-serial "file:$_log"
		-drive "file=$_root,if=virtio,format=raw"
		"${_nics[@]}"
		-kernel "$MDKO_VMLINUZ" -initrd "$_initrd"
		-append "$MDKO_CMDLINE${*:+ $*}")
	printf '+'
	printf ' %q' "${_cmd[@]}"
	printf '\n'
	"${_cmd[@]}" || _rc=$?
	if ((_rc == 124 || _rc == 137)); then
		mdko_log "the guest did not power off within ${MDKO_TIMEOUT}s"
	elif ((_rc != 0)); then
		mdko_log "qemu failed (exit status $_rc)"
	fi
	return "$_rc"
}

# Print the "memdebug-ko: " lines of serial console LOG without the kernel timestamps.
mdko_console_report() {
	sed -n -e 's/\r$//' -e 's/^\[ *[0-9]*\.[0-9]*\] \(memdebug-ko: \)/\1/p' "$1"
}

# ---------------------------------------------------------------------------------------
# kdump: a primary kernel that crashes into a capture kernel

# shellcheck source=qemu/kdump.sh
. "$MDKO_REPO/qemu/kdump.sh"

# ---------------------------------------------------------------------------------------
# kdump on Debian: the real kdump-tools in a Debian 12 root

# shellcheck source=qemu/kdump-tools.sh
. "$MDKO_REPO/qemu/kdump-tools.sh"

# ---------------------------------------------------------------------------------------
# the newer suites of Debian's archive: 7.x kernels and the chroot that builds for them

# shellcheck source=qemu/archive.sh
. "$MDKO_REPO/qemu/archive.sh"

# ---------------------------------------------------------------------------------------
# dracut-ng and systemd 257 of Debian 13: a cached trixie tree (MDKO_DRACUT=ng)

# shellcheck source=qemu/trixie.sh
. "$MDKO_REPO/qemu/trixie.sh"
