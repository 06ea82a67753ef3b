# Shared by tests/run and tests/integration/*.sh (sourced, bash): result lines, the name filter,
# and running a program natively and in the sandbox under a timeout.
#
# Environment (tests/run sets it; a script run on its own gets these defaults):
#   BUILDDIR      build directory (build)
#   RUNSC         the runsc under test ($BUILDDIR/runsc)
#   RUNSC_FLAGS   flags put before "do", split on spaces (e.g. --platform=ptrace --strace)
#   TEST_TIMEOUT  seconds one program may run (20)
#   TEST_FILTER   space-separated patterns; a test runs when its name contains one (globs allowed)
#   T_RESULTS     file that collects one PASS/FAIL/SKIP word per test, for the final count

T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$T_ROOT" || exit 2
: "${BUILDDIR:=build}"
: "${RUNSC:=$BUILDDIR/runsc}"
: "${RUNSC_FLAGS:=}"
: "${TEST_TIMEOUT:=20}"
: "${TEST_FILTER:=}"
export BUILDDIR RUNSC RUNSC_FLAGS TEST_TIMEOUT TEST_FILTER
# Byte-identical comparisons need the same collation and messages on both sides.
export LC_ALL=C

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cvisor-test.XXXXXX") || exit 2
# Run on its own (not from tests/run), a script counts its own results and prints the
# closing line at exit.
T_STANDALONE=no
if [[ -z ${T_RESULTS:-} ]]; then
	T_STANDALONE=yes
	export T_RESULTS=$T_TMP/results
	: >"$T_RESULTS"
fi
# A script that needs cleaning up at exit defines t_on_exit.
t_exit() {
	local st=$?
	declare -F t_on_exit >/dev/null && t_on_exit
	if [[ $T_STANDALONE == yes ]]; then
		t_summary
		st=$?
	fi
	rm -rf "$T_TMP"
	exit "$st"
}
trap t_exit EXIT

# Is test NAME selected by TEST_FILTER?
t_selected() {
	local pat
	[[ -z $TEST_FILTER ]] && return 0
	for pat in $TEST_FILTER; do
		# shellcheck disable=SC2053 # the pattern is a glob on purpose
		[[ $1 == *$pat* ]] && return 0
	done
	return 1
}

# Is any test this script names (PREFIX/name as written in it) selected? A script with setup
# to do calls it first and exits when none is, so that a filtered run costs it nothing.
t_any_selected() {
	local prefix=$1 name
	[[ -z $TEST_FILTER ]] && return 0
	for name in $(grep -o "$prefix/[a-z_0-9]*" "${BASH_SOURCE[1]}" | sort -u); do
		t_selected "$name" && return 0
	done
	return 1
}

t_pass() {
	echo "PASS $1"
	echo PASS >>"$T_RESULTS"
}

# t_fail NAME [DETAILS]: DETAILS (may be several lines) are printed indented under the name.
t_fail() {
	echo "FAIL $1"
	[[ -n ${2:-} ]] && printf '%s\n' "${2%$'\n'}" | sed 's/^/    /'
	echo FAIL >>"$T_RESULTS"
}

t_skip() {
	echo "SKIP $1 (${2:-})"
	echo SKIP >>"$T_RESULTS"
}

# Prints "N passed, N failed[, N skipped]" for the results so far; false if any failed.
t_summary() {
	local p f s
	p=$(grep -c '^PASS$' "$T_RESULTS")
	f=$(grep -c '^FAIL$' "$T_RESULTS")
	s=$(grep -c '^SKIP$' "$T_RESULTS")
	if ((s > 0)); then
		echo "$p passed, $f failed, $s skipped"
	else
		echo "$p passed, $f failed"
	fi
	((f == 0))
}

# Runs a command with TEST_TIMEOUT (or $T_LIMIT) seconds to finish; status 124 if it did not.
# timeout puts the command in its own process group and kills the whole group.
t_timeout() {
	timeout -k 5 "${T_LIMIT:-$TEST_TIMEOUT}" "$@"
}

# Runs CMD... in the sandbox: $RUNSC $RUNSC_FLAGS do CMD...
t_runsc() {
	local flags
	read -ra flags <<<"$RUNSC_FLAGS"
	t_timeout "$RUNSC" "${flags[@]}" "do" "$@"
}

# Describes an exit status for a message: "1", "124 (timed out after 20s)".
t_status_word() {
	if (($1 == 124)); then
		echo "124 (timed out after ${T_LIMIT:-$TEST_TIMEOUT}s)"
	else
		echo "$1"
	fi
}

# Up to 60 lines of a file, for a failure message.
t_head() {
	local n
	n=$(wc -l <"$1")
	head -n 60 "$1"
	((n > 60)) && echo "... ($((n - 60)) more lines)"
	return 0
}

# t_compare NAME [--stdin=FILE] [--ignore-comments] [--native-must-succeed] -- CMD...
# Runs CMD natively and in the sandbox; passes when stdout and exit status are the same.
# --ignore-comments leaves lines starting with '#' out of the comparison.
t_compare() {
	local name=$1 stdin=/dev/null comments=keep must_succeed=no d ns ss msg=
	shift
	while [[ $1 != -- ]]; do
		case $1 in
		--stdin=*) stdin=${1#--stdin=} ;;
		--ignore-comments) comments=drop ;;
		--native-must-succeed) must_succeed=yes ;;
		*) echo "t_compare: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	shift
	t_selected "$name" || return 0
	d=$(mktemp -d "$T_TMP/cmp.XXXXXX")
	t_timeout "$@" <"$stdin" >"$d/native" 2>"$d/native.err"
	ns=$?
	t_runsc "$@" <"$stdin" >"$d/sandbox" 2>"$d/sandbox.err"
	ss=$?
	if [[ $comments == drop ]]; then
		grep -v '^#' "$d/native" >"$d/native.cmp"
		grep -v '^#' "$d/sandbox" >"$d/sandbox.cmp"
	else
		cp "$d/native" "$d/native.cmp"
		cp "$d/sandbox" "$d/sandbox.cmp"
	fi

	if [[ $ns == 124 || ($must_succeed == yes && $ns != 0) ]]; then
		msg="the native run (the oracle) failed: exit $(t_status_word "$ns")"$'\n'
		msg+=$(t_head "$d/native.err")
		t_fail "$name" "$msg"
		return
	fi
	if [[ $ns == "$ss" ]] && cmp -s "$d/native.cmp" "$d/sandbox.cmp"; then
		t_pass "$name"
		return
	fi
	[[ $ns != "$ss" ]] && msg+="exit status: native $ns, sandbox $(t_status_word "$ss")"$'\n'
	if ! cmp -s "$d/native.cmp" "$d/sandbox.cmp"; then
		diff -u --label native --label sandbox "$d/native.cmp" "$d/sandbox.cmp" >"$d/diff"
		msg+=$(t_head "$d/diff")$'\n'
	fi
	if [[ -s $d/sandbox.err ]]; then
		msg+="sandbox stderr:"$'\n'$(t_head "$d/sandbox.err")
	fi
	t_fail "$name" "$msg"
}

# t_expect NAME STATUS STDOUT [--stdin=FILE] -- CMD...
# Runs CMD in the sandbox; passes when it exits with STATUS and prints exactly STDOUT (a '\n'
# is added unless STDOUT is empty; "*" accepts any output).
t_expect() {
	local name=$1 want_status=$2 want_out=$3 stdin=/dev/null d st msg=
	shift 3
	while [[ $1 != -- ]]; do
		case $1 in
		--stdin=*) stdin=${1#--stdin=} ;;
		*) echo "t_expect: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	shift
	t_selected "$name" || return 0
	d=$(mktemp -d "$T_TMP/exp.XXXXXX")
	t_runsc "$@" <"$stdin" >"$d/out" 2>"$d/err"
	st=$?
	if [[ -n $want_out ]]; then
		printf '%s\n' "$want_out" >"$d/want"
	else
		: >"$d/want"
	fi
	if [[ $st == "$want_status" ]] && { [[ $want_out == "*" ]] || cmp -s "$d/want" "$d/out"; }; then
		t_pass "$name"
		return
	fi
	[[ $st != "$want_status" ]] && msg+="exit status: want $want_status, got $(t_status_word "$st")"$'\n'
	if [[ $want_out != "*" ]] && ! cmp -s "$d/want" "$d/out"; then
		diff -u --label want --label sandbox "$d/want" "$d/out" >"$d/diff"
		msg+=$(t_head "$d/diff")$'\n'
	fi
	[[ -s $d/err ]] && msg+="sandbox stderr:"$'\n'$(t_head "$d/err")
	t_fail "$name" "$msg"
}
