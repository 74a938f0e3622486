#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The dump step of rearm-dumpfail.service: says on the console what it sees after the
# report, on a good root, and fails.

# shellcheck source=test/boot/rearm-dracut/rearm-lib.sh
. /usr/lib/memdebug-ko-rearm/lib.sh

_rearm_os=missing
[ ! -e /sysroot/etc/os-release ] || _rearm_os=present
rearm_say "dump step: $(rearm_watchers) memdebug-ko watch running, reported=$(rearm_reported), /sysroot os-release $_rearm_os: failing"
exit 1
