#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut hook pre-pivot 98 of the rearm test module: what runs just before the report
# hook (pre-pivot 99).

# shellcheck source=test/boot/rearm-dracut/rearm-lib.sh
. /usr/lib/memdebug-ko-rearm/lib.sh

rearm_say "pre-pivot: $(rearm_watchers) memdebug-ko watch running, reported=$(rearm_reported), sampled $(rearm_sampled)"
