# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# How the boot tests report, sourced by test/boot/lib.sh: a check passes ("ok   [BOOT]
# ...") or fails ("FAIL [BOOT] ..." with what was found and what was expected, counted in
# FAILURES and repeated at the end by failed_checks), notes and skips; the checks of the
# lines of a console log or report (expect_line, refute_line, expect_order); and the
# small text helpers they use.

FAILURES=0
# the failed checks' lines, for the summary at the end of a test (CI shows its tail)
FAILED_CHECKS=()
BOOT=

skip() {
	echo "SKIP: $*"
	exit 77
}

ok() {
	echo "ok   [$BOOT] $*"
}

note() {
	echo "     [$BOOT] $*"
}

# Record a failed check with what was found and what was expected.
fail() {
	echo "FAIL [$BOOT] $1"
	echo "     actual:   ${2:-<nothing>}"
	echo "     expected: $3"
	FAILURES=$((FAILURES + 1))
	FAILED_CHECKS+=("FAIL [$BOOT] $1: ${2:-<nothing>}")
}

# Print the checks that failed, one line each, cut to 300 characters.
failed_checks() {
	local _line

	for _line in "${FAILED_CHECKS[@]}"; do
		_line=${_line//$'\n'/ }
		echo "     ${_line:0:300}"
	done
}

# Check that console log or report $1 has a line matching extended regular expression
# $2: the console shows $3.
expect_line() {
	if grep -Eq -- "$2" "$1"; then
		ok "the console shows $3"
	else
		fail "the console shows $3" "its last lines: $(tail -n 5 "$1")" \
			"a console line matching: $2"
	fi
}

# Check that console log or report $1 has no line matching extended regular expression $2.
refute_line() {
	local _found

	_found=$(grep -E -- "$2" "$1" || :)
	if [[ -z $_found ]]; then
		ok "the console does not show $3"
	else
		fail "the console does not show $3" "$_found" "no console line matching: $2"
	fi
}

# When checks failed since the failure count was BEFORE ($1), show the memdebug-ko lines
# of the console kept in DIR/report.txt ($2), WHERE ($3, default "the console") shown.
show_report_if_failed() {
	if ((FAILURES > $1)) && [[ -f $2/report.txt ]]; then
		note "the memdebug-ko lines of ${3:-the console}:"
		sed 's/^/     | /' "$2/report.txt"
	fi
}

# Print the number of the first line of file $1 that contains fixed string $2, or
# nothing.
line_of() {
	grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1
}

# Print the lines of $1 on one line.
words() {
	tr '\n' ' ' <<< "$1"
}

# Check that the first line of console log or report $1 with fixed string $2 comes before
# the first with fixed string $3: WHAT ($4) happened in that order; the failed check is
# named $5 if given.
expect_order() {
	local _a _b

	_a=$(line_of "$1" "$2" || :)
	_b=$(line_of "$1" "$3" || :)
	if [[ $_a && $_b ]] && ((_a < _b)); then
		ok "$4 (console lines $_a, $_b)"
	else
		fail "${5:-$4}" "\"$2\" at line ${_a:-none}, \"$3\" at line ${_b:-none}" \
			"\"$2\" first"
	fi
}
