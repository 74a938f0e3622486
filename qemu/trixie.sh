# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # the MDKO_* results are used by the scripts that source this
#
# dracut-ng and a newer systemd, from Debian 13 (trixie): a chroot made with mmdebstrap
# whose dracut (dracut-ng 106) and systemd (257) build the initrd for the kernel that
# mdko_kernel unpacks; with MDKO_DRACUT=sid, a chroot of Debian unstable (dracut 112,
# systemd 262) instead. Source it after qemu/lib.sh, which defines what this
# uses. Nothing touches the host's apt configuration or its dracut: mmdebstrap is given
# the mirror (the host's, read from /etc/apt/sources.list.d/debian.sources) and keeps its
# apt state inside the chroot, and dracut runs inside the chroot, in a mount namespace of
# its own, on an overlay that leaves the cached tree as it is.
#
# Environment:
#   MDKO_DEBIAN_MIRROR   Debian mirror for the chroot (default: the host's; qemu/archive.sh)

# Packages of the chroot: dracut-ng, systemd and udev for its systemd modules, kmod for
# the kernel's modules, cpio and lz4 for the image, and what lib.sh's lean module list
# (MDKO_DRACUT_MODULES, MDKO_DRACUT_SYSTEMD) installs. From trixie on, poweroff, reboot
# and halt are in systemd-sysv, as on any installed system: without it the initrd has
# none, and dracut's rd.emergency=poweroff cannot power off.
MDKO_TRIXIE_PACKAGES="dracut-core,systemd,systemd-sysv,udev,kmod,cpio,lz4,bash,util-linux,coreutils"
MDKO_TRIXIE_PACKAGES+=",e2fsprogs,procps"
# makedumpfile, for the dump step of qemu/kdump.sh's capture initramfs
MDKO_TRIXIE_PACKAGES+=",makedumpfile"
# ip, with which the boot test's pre-pivot hook brings mdko_gt_open's interface up
MDKO_TRIXIE_PACKAGES+=",iproute2"
# dracut's network modules and NetworkManager with its D-Bus, for the boot test's nm
# boot: NetworkManager brings the interfaces up in a systemd initrd, as Fedora's kdump
# does for a dump over the network
MDKO_TRIXIE_PACKAGES+=",dracut-network,network-manager,dbus"
# sid moved switch_root, which a shell initrd needs, from util-linux to util-linux-extra
MDKO_SID_PACKAGES="$MDKO_TRIXIE_PACKAGES,util-linux-extra"

# Make the cached tree $MDKO_CACHE/SUITE of trixie (sid with MDKO_DRACUT=sid), once
# (remade when this recipe changes); set MDKO_TRIXIE_TREE, MDKO_TRIXIE_DRACUT and
# MDKO_TRIXIE_SYSTEMD (its dracut's and systemd's versions). Call it with the cache lock
# held. Needs root and mmdebstrap; minutes, and about 100 MB of downloads.
mdko_trixie_tree() {
	local _suite=trixie _packages=$MDKO_TRIXIE_PACKAGES _tree _stamp _mirror

	[[ $MDKO_DRACUT != sid ]] || _suite=sid _packages=$MDKO_SID_PACKAGES
	_tree="$MDKO_CACHE/$_suite"

	_stamp=$(printf '%s\n' "$(declare -f mdko_trixie_tree mdko_mmdebstrap)" "$_packages" |
		sha256sum | cut -d' ' -f1)
	MDKO_TRIXIE_TREE=$_tree
	if ! [[ -d $_tree && $(cat "$_tree.stamp" 2> /dev/null) == "$_stamp" ]]; then
		_mirror=$(mdko_debian_mirror) || return 1
		rm -rf "$_tree" "$_tree.stamp" "$_tree.tmp"
		mdko_log "making the Debian $_suite tree with dracut-ng in $_tree (mmdebstrap, $_mirror)"
		# no recommends: dracut-core's pull in lvm2, mdadm ...
		mdko_mmdebstrap "$_tree.log" "$_packages" "$_suite" "$_tree.tmp" \
			"deb $_mirror $_suite main" || return 1
		mv "$_tree.tmp" "$_tree" && printf '%s\n' "$_stamp" > "$_tree.stamp" || return 1
	fi
	# shellcheck disable=SC2016 # dpkg-query's format
	MDKO_TRIXIE_DRACUT=$(chroot "$_tree" dpkg-query -W -f '${Version}' dracut-core 2> /dev/null)
	# shellcheck disable=SC2016 # dpkg-query's format
	MDKO_TRIXIE_SYSTEMD=$(chroot "$_tree" dpkg-query -W -f '${Version}' systemd 2> /dev/null)
}

# Build initramfs OUT for FLAVOUR (shell or systemd) with memdebug-ko binary BINARY, for
# the kernel found by mdko_kernel, with the trixie tree's dracut (mdko_trixie_tree), the
# same way as mdko_initramfs: the lean module list, our dracut-module/ as
# modules.d/55memdebug-ko. MDKO_TRIXIE_MODULES adds further modules, "NNname=DIR ...", as
# modules.d/NNname. Further arguments go to dracut; the files of the host that --include
# names are copied in. The log goes to OUT.log.
#
# In a mount namespace of its own, an overlay on the tree takes the modules, the binary
# and the kernel's modules (bound at /lib/modules/KVER), with /proc, /sys and /dev
# mounted; dracut runs chrooted there and writes the image into the overlay, from where
# it is copied out.
mdko_trixie_initramfs() {
	local _out=$1 _flavour=$2 _binary=$3 _work _args _mods _m _i _rc=0
	shift 3

	mdko_dracut_args "$_flavour" "/lib/modules/$MDKO_KVER" /tmp/mdko/conf.d || return 1
	_args=("${MDKO_DRACUT_ARGS[@]}" "$@")
	_mods="55memdebug-ko=$MDKO_REPO/dracut-module"
	_mods+=" 99memdebug-ko-kdump=$MDKO_REPO/qemu/kdump-dracut ${MDKO_TRIXIE_MODULES-}"
	for _m in $_mods; do
		[[ $_m == [0-9][0-9]?*=/* && -d ${_m#*=} ]] || {
			mdko_log "not a dracut module NNname=DIR: $_m"
			return 1
		}
	done
	_work=$(mktemp -d "$MDKO_CACHE/trixie-initramfs.XXXXXX") || return 1
	mkdir -p "$_work"/{upper,work,root} "$_work/upper/tmp/mdko/include" || return 1
	# a file of the host that --include puts into the image: a copy in the overlay
	for ((_i = 0; _i < ${#_args[@]}; _i++)); do
		[[ ${_args[_i]} == --include && -e ${_args[_i + 1]-} ]] || continue
		cp -rL "${_args[_i + 1]}" "$_work/upper/tmp/mdko/include/$_i" || _rc=1
		_args[_i + 1]=/tmp/mdko/include/$_i
	done
	# shellcheck disable=SC2016 # the namespace's own shell expands them
	mdko_quiet "$_out.log" unshare --mount --propagation private bash -ec '
		tree=$1 work=$2 kver=$3 kmoddir=$4 binary=$5 mods=$6
		shift 6
		root=$work/root
		mount -t overlay overlay -o "lowerdir=$tree,upperdir=$work/upper,workdir=$work/work" "$root"
		mount -t proc proc "$root/proc"
		mount -t sysfs sysfs "$root/sys"
		mount --rbind /dev "$root/dev"
		mkdir -p "$root/usr/lib/modules/$kver" "$root/tmp/mdko/conf.d"
		mount --bind "$kmoddir" "$root/usr/lib/modules/$kver"
		cp "$binary" "$root/tmp/mdko/memdebug-ko"
		for m in $mods; do
			rm -rf "$root/usr/lib/dracut/modules.d/${m%%=*}"
			cp -rL "${m#*=}" "$root/usr/lib/dracut/modules.d/${m%%=*}"
		done
		chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
			MEMDEBUG_KO_BINARY=/tmp/mdko/memdebug-ko dracut "$@" /tmp/mdko/initramfs.img "$kver"
		cp "$root/tmp/mdko/initramfs.img" "$work/initramfs.img"' \
		bash "$MDKO_TRIXIE_TREE" "$_work" "$MDKO_KVER" "$MDKO_KMODDIR" "$_binary" "$_mods" \
		"${_args[@]}" || _rc=1
	if ((_rc == 0)); then
		mv "$_work/initramfs.img" "$_out" || _rc=1
	fi
	rm -rf "$_work"
	return "$_rc"
}
