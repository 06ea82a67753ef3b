#!/bin/bash
# Integration: tests the test harness itself, with stand-ins for runsc that run the guest program
# natively: a faithful one must pass, a wrong output, status or a hang must fail.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

GUEST=guest/misc

# Writes a stand-in runsc named $1 that drops the flags before "do" and runs the rest as $2 says.
fake_runsc() {
	# shellcheck disable=SC2016 # "$1" is the stand-in's own argument
	# Without a "do" (an OCI command from a script that should not have run) it fails at once.
	printf '#!/bin/sh\nwhile [ $# -gt 0 ] && [ "$1" != do ]; do shift; done\n[ $# -gt 0 ] || exit 2\nshift\n%s\n' "$2" >"$T_TMP/$1"
	chmod +x "$T_TMP/$1"
}
fake_runsc native 'exec "$@"'
fake_runsc wrong_output '"$@" | sed "s/Linux/Hurd/"'
fake_runsc comments '"$@"; echo "# differs natively"'
fake_runsc wrong_status '"$@"; exit 3'
fake_runsc hang 'exec sleep 1000'

# check NAME FAKE WANT_STATUS WANT_LAST_LINE [GREP]: runs tests/run on $GUEST with runsc FAKE.
check() {
	local name=$1 fake=$2 want_status=$3 want_last=$4 want_grep=${5:-} st last msg=
	t_selected "$name" || return 0
	RUNSC=$T_TMP/$fake TEST_TIMEOUT=${T_FAKE_TIMEOUT:-$TEST_TIMEOUT} \
		tests/run --no-build --builddir="$BUILDDIR" "$GUEST" >"$T_TMP/out" 2>&1
	st=$?
	last=$(tail -n 1 "$T_TMP/out")
	[[ $st == "$want_status" ]] || msg+="exit status $st, want $want_status"$'\n'
	[[ $last == "$want_last" ]] || msg+="last line \"$last\", want \"$want_last\""$'\n'
	if [[ -n $want_grep ]] && ! grep -q "$want_grep" "$T_TMP/out"; then
		msg+="no \"$want_grep\" in the output"$'\n'
	fi
	if [[ -z $msg ]]; then
		t_pass "$name"
	else
		t_fail "$name" "$msg$(t_head "$T_TMP/out")"
	fi
}

check harness/faithful_runsc_passes native 0 "2 passed, 0 failed" "^PASS $GUEST-static$"
check harness/comment_lines_ignored comments 0 "2 passed, 0 failed"
check harness/wrong_output_fails wrong_output 1 "0 passed, 2 failed" "^    +uname_sysname: Hurd$"
check harness/wrong_status_fails wrong_status 1 "0 passed, 2 failed" "exit status: native 0, sandbox 3"
T_FAKE_TIMEOUT=1 check harness/hang_times_out hang 1 "0 passed, 2 failed" "timed out after 1s"
exit 0
