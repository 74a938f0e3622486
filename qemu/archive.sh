# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # the MDKO_* results are used by the scripts that source this
#
# Debian's archive beyond the host's own sources: the newer suites (trixie,
# trixie-backports, sid) that hold the kernels people run now, 6.12 of Debian 13 and the
# 7.x series, read by an apt with a source list and list directory of the cache's own,
# so that the host's apt stays as it is. qemu/lib.sh sources it; mdko_kernel falls back
# to it for a series the host's apt does not know. Since Linux 7.x Debian splits the
# kernel (linux-image-V depends on linux-binary-V, with /usr/lib/modules/V/vmlinuz,
# linux-modules-V, with .ko.xz, and linux-base-V, with the config); and its headers need
# the gcc of their suite, so test modules build in a chroot of that suite
# (mdko_kbuild_tree).
#
# Environment:
#   MDKO_DEBIAN_MIRROR     Debian mirror (default: the host's)
#   MDKO_ARCHIVE_SUITES    suites read (default: "trixie trixie-backports sid")

MDKO_ARCHIVE_SUITES=${MDKO_ARCHIVE_SUITES:-trixie trixie-backports sid}

# Print the Debian mirror of the host's deb822 sources: the first URIs of a stanza that
# is not the security archive.
mdko_debian_mirror() {
	local _f=/etc/apt/sources.list.d/debian.sources

	if [[ ${MDKO_DEBIAN_MIRROR-} ]]; then
		printf '%s\n' "$MDKO_DEBIAN_MIRROR"
		return 0
	fi
	[[ -r $_f ]] || {
		mdko_log "no $_f to read the mirror from (set MDKO_DEBIAN_MIRROR)"
		return 1
	}
	awk '/^URIs:/ && $2 !~ /-security/ { print $2; exit }' "$_f" | grep .
}

# Print the sources of Debian suite SUITE for mmdebstrap, one a line: its main, and but
# for sid its updates and security suites, which hold the newest kernels of a release
# (bookworm's 6.1.0-N comes from bookworm-security). The security mirror is the host's.
mdko_debian_sources() {
	local _suite=$1 _mirror _security

	_mirror=$(mdko_debian_mirror) || return 1
	printf 'deb %s %s main\n' "$_mirror" "$_suite"
	[[ $_suite != sid && $_suite != unstable ]] || return 0
	printf 'deb %s %s-updates main\n' "$_mirror" "$_suite"
	_security=$(awk '/^URIs:/ && $2 ~ /-security/ { print $2; exit }' \
		/etc/apt/sources.list.d/debian.sources 2> /dev/null)
	printf 'deb %s %s-security main\n' "${_security:-${_mirror%/debian}/debian-security}" \
		"$_suite"
}

# Set MDKO_ARCHIVE_APT to the options that make apt-get and apt-cache read the suites of
# MDKO_ARCHIVE_SUITES from $MDKO_CACHE/apt, whose lists are refreshed once per run. The
# signatures are checked, not the Release files' dates: a mirror that is a snapshot
# serves a sid whose Release file has expired.
# Call it with the cache lock held.
mdko_archive_apt() {
	local _dir="$MDKO_CACHE/apt" _mirror _suite _list=

	MDKO_ARCHIVE_APT=(-o "Dir::Etc::sourcelist=$_dir/sources.list"
		-o Dir::Etc::sourceparts=/nonexistent -o "Dir::State::Lists=$_dir/lists"
		-o "Dir::Cache=$_dir/cache" -o APT::Sandbox::User=root
		-o Acquire::Check-Valid-Until=false)
	[[ ${MDKO_ARCHIVE_UPDATED-} ]] && return 0
	_mirror=$(mdko_debian_mirror) || return 1
	for _suite in $MDKO_ARCHIVE_SUITES; do
		_list+="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $_mirror $_suite main"$'\n'
	done
	mkdir -p "$_dir/lists/partial" "$_dir/cache/archives/partial" || return 1
	printf '%s' "$_list" > "$_dir/sources.list" || return 1
	mdko_log "reading $MDKO_ARCHIVE_SUITES from $_mirror into $_dir"
	mdko_quiet "$_dir/update.log" apt-get "${MDKO_ARCHIVE_APT[@]}" update || return 1
	MDKO_ARCHIVE_UPDATED=1
}

# Print the newest kernel package of the archive whose name matches extended regular
# expression ERE; after mdko_archive_apt.
mdko_archive_kernel_package() {
	apt-cache "${MDKO_ARCHIVE_APT[@]}" pkgnames linux-image- 2> /dev/null | grep -E "$1" |
		sort -V | tail -n 1
}

# Download kernel package PKG of the archive into DIR, with the parts it is split into
# since 7.x: those of its dependencies that are linux-binary-, linux-modules- or
# linux-base- of the same kernel; after mdko_archive_apt.
mdko_archive_kernel_download() {
	local _pkg=$2 _parts

	_parts=$(apt-cache "${MDKO_ARCHIVE_APT[@]}" depends "$_pkg" 2> /dev/null |
		sed -n "s/^ *Depends: \(linux-\(binary\|modules\|base\)-${_pkg#linux-image-}\)$/\1/p" |
		sort -u)
	mdko_log "downloading $_pkg${_parts:+ and its parts: }${_parts//$'\n'/ } from the archive"
	# shellcheck disable=SC2086 # one package a word
	(cd "$1" && apt-get -qq "${MDKO_ARCHIVE_APT[@]}" download "$_pkg" $_parts)
}

# Give kernel tree ROOT, unpacked from a split 7.x kernel whose files are all under
# /usr/lib/modules/KVER, the paths of the older packages the rest of the scripts use:
# /boot/vmlinuz-KVER, /boot/config-KVER, /boot/System.map-KVER and /lib -> usr/lib.
mdko_kernel_merge_usr() {
	local _root=$1 _d _kver _f

	for _d in "$_root"/usr/lib/modules/*/; do
		_kver=$(basename "$_d")
		[[ -f $_d/vmlinuz ]] || continue
		mkdir -p "$_root/boot" || return 1
		for _f in vmlinuz config System.map; do
			[[ ! -e $_d/$_f ]] || ln -sf "../usr/lib/modules/$_kver/$_f" "$_root/boot/$_f-$_kver" ||
				return 1
		done
	done
	if [[ -d $_root/usr/lib/modules && ! -e $_root/lib ]]; then
		ln -s usr/lib "$_root/lib" || return 1
	fi
}

# Make the cached build chroot of kernel KVER's headers, $MDKO_CACHE/kbuild-KVER, once:
# a minimal Debian of the suite that holds linux-headers-KVER (and the suite it backports,
# for a -backports one), with make, kmod and the gcc the headers depend on; set
# MDKO_KBUILD_TREE. Call it with the cache lock held, after mdko_archive_apt. Needs root
# and mmdebstrap; minutes, and about 100 MB of downloads. Returns 2 when the archive has
# no such headers.
mdko_kbuild_tree() {
	local _kver=$1 _tree="$MDKO_CACHE/kbuild-$1" _pkg="linux-headers-$1" _suite _mirror
	local _lists=() _include _stamp

	# binutils: the headers pull in the compiler, not the assembler it runs
	_include="$_pkg,make,kmod,libc6-dev,binutils"
	_stamp=$(declare -f mdko_kbuild_tree mdko_mmdebstrap | sha256sum | cut -d' ' -f1)
	MDKO_KBUILD_TREE=$_tree
	[[ -d $_tree/usr/src/$_pkg && $(cat "$_tree.stamp" 2> /dev/null) == "$_stamp" ]] &&
		return 0
	# the suite whose Packages file names the headers: "500 http://... trixie-backports/main ..."
	_suite=$(apt-cache "${MDKO_ARCHIVE_APT[@]}" policy "$_pkg" 2> /dev/null |
		awk '$1 ~ /^[0-9]+$/ && $2 ~ /:\/\// { split($3, s, "/"); print s[1]; exit }')
	if [[ -z $_suite ]]; then
		mdko_log "the archive ($MDKO_ARCHIVE_SUITES) has no $_pkg"
		return 2
	fi
	_mirror=$(mdko_debian_mirror) || return 1
	_lists=("deb $_mirror ${_suite%-backports} main")
	[[ $_suite != *-backports ]] || _lists+=("deb $_mirror $_suite main")
	rm -rf "$_tree" "$_tree.tmp" "$_tree.stamp"
	mdko_log "making the build chroot of $_pkg ($_suite) in $_tree (mmdebstrap, $_mirror)"
	mdko_mmdebstrap "$_tree.log" "$_include" "${_suite%-backports}" "$_tree.tmp" \
		"${_lists[@]}" || return 1
	mv "$_tree.tmp" "$_tree" && printf '%s\n' "$_stamp" > "$_tree.stamp"
}

# Make a lean Debian tree with mmdebstrap, its output in LOG: packages PACKAGES (comma-
# separated) of suite SUITE in DIR from the sources that follow; no recommends, no
# documentation, no apt cache left. A mirror that is a snapshot serves a sid whose
# Release file has expired: apt checks the signatures, not the dates.
mdko_mmdebstrap() {
	local _log=$1 _packages=$2

	shift 2
	command -v mmdebstrap > /dev/null || {
		mdko_log "mmdebstrap is not installed"
		return 1
	}
	# shellcheck disable=SC2016 # mmdebstrap's hooks expand $1 themselves
	mdko_quiet "$_log" mmdebstrap --variant=minbase --include="$_packages" \
		--aptopt='APT::Install-Recommends "false"' \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--customize-hook='chroot "$1" apt-get clean' "$@"
}
