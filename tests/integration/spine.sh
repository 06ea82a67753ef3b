#!/bin/bash
# Integration: the spine of the sandbox — runsc do runs real programs with the right output and
# status, in its own PID namespace, as confined host processes that leave nothing behind.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

BUSYBOX=/bin/busybox
SLEEP=(sleep)
[[ -x $BUSYBOX ]] && SLEEP=("$BUSYBOX" sleep)
BG_PIDS=()

# shellcheck disable=SC2317 # called by lib.sh's exit trap
t_on_exit() {
	local pid
	# Each background run is a timeout process leading its own process group.
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL -- "-$pid" 2>/dev/null
	done
}

# Prints "pid ppid name seccomp tracerpid" for every host process.
proc_table() {
	local f pid key val name ppid seccomp tracer
	for f in /proc/[0-9]*/status; do
		pid=${f#/proc/}
		pid=${pid%/status}
		name='' ppid='' seccomp=0 tracer=0
		while IFS=$'\t' read -r key val; do
			case $key in
			Name:) name=$val ;;
			PPid:) ppid=$val ;;
			TracerPid:) tracer=$val ;;
			Seccomp:) seccomp=$val ;;
			esac
		done 2>/dev/null <"$f" || continue
		[[ -n $ppid ]] && echo "$pid $ppid $name $seccomp $tracer"
	done
}

# Prints the proc_table lines of every descendant of pid $1.
descendants() {
	proc_table | awk -v root="$1" '
		{ line[$1] = $0; parent[$1] = $2 }
		END {
			for (p in parent) {
				for (q = parent[p]; q != "" && q != 0; q = parent[q])
					if (q == root) { print line[p]; break }
			}
		}'
}

# PIDs of host processes whose name starts with runsc-, sorted.
runsc_pids() {
	proc_table | awk '$3 ~ /^runsc-/ { print $1 }' | sort
}

# What a sandbox run might leave behind on the host, one sorted line each: entries of the temp
# directories and shared memory, and mounts.
host_snapshot() {
	{
		find /tmp /var/tmp /dev/shm -mindepth 1 -maxdepth 1
		sed 's/^/mount: /' /proc/mounts
	} 2>/dev/null | sort
}

# Starts CMD... in the sandbox in the background; sets BG_PID (the timeout leading the run).
start_bg() {
	t_runsc "$@" </dev/null >"$T_TMP/bg.out" 2>"$T_TMP/bg.err" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# Waits (up to $1 seconds) until the descendants of BG_PID include the sentry, gofer and a stub.
wait_for_sandbox() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		descendants "$BG_PID" >"$T_TMP/procs"
		grep -q ' runsc-sentry ' "$T_TMP/procs" && grep -q ' runsc-gofer ' "$T_TMP/procs" &&
			grep -q ' runsc-stub ' "$T_TMP/procs" && return 0
		sleep 0.05
	done
	return 1
}

# Waits (up to $1 seconds) for BG_PID to exit; kills its group if it does not.
wait_bg() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
}

# Fails NAME if runsc-* processes not in $2 (a runsc_pids list) remain after a 1 s grace, or
# host_snapshot has lines that $3 (a snapshot file) has not. Other programs on the machine (a
# compiler) make short-lived temp files: only what is still there a second later counts.
check_nothing_left() {
	local name=$1 pids_before=$2 snap_before=$3 i left new msg=
	for ((i = 0; i < 20; i++)); do
		left=$(comm -13 <(echo "$pids_before") <(runsc_pids))
		[[ -z $left ]] && break
		sleep 0.05
	done
	if [[ -n $left ]]; then
		msg+="processes left behind:"$'\n'
		msg+=$(proc_table | grep -E "^(${left//$'\n'/|}) ")$'\n'
	fi
	new=$(comm -13 "$snap_before" <(host_snapshot))
	if [[ -n $new ]]; then
		sleep 1
		new=$(comm -12 <(echo "$new") <(comm -13 "$snap_before" <(host_snapshot)))
	fi
	[[ -n $new ]] && msg+="new on the host:"$'\n'"$new"
	if [[ -z $msg ]]; then
		t_pass "$name"
	else
		t_fail "$name" "$msg"
	fi
}

if [[ -x $BUSYBOX ]]; then
	t_expect spine/echo_hello 0 hello -- "$BUSYBOX" echo hello
	# shellcheck disable=SC2016 # expanded by the guest's shell
	t_expect spine/shell_arithmetic 0 42 -- "$BUSYBOX" sh -c 'echo $((6*7))'
elif t_selected spine/busybox; then
	t_skip spine/busybox "no $BUSYBOX (Debian package busybox-static)"
fi
t_expect spine/exit_status 3 "" -- sh -c 'exit 3'
t_expect spine/killed_by_signal 137 "" -- sh -c 'kill -9 $$'
t_expect spine/pid_is_1 0 1 -- sh -c 'echo $$'

t_compare spine/same_ls_usr -- ls -la /usr
t_compare spine/same_os_release -- cat /etc/os-release
t_compare spine/same_env -- env -i A=1
t_compare spine/same_od_pipeline -- sh -c 'head -c 100 /bin/ls | od'
printf 'a\nb\n' >"$T_TMP/stdin"
t_compare spine/same_stdin --stdin="$T_TMP/stdin" -- wc -l

# Output reaches the caller when stdout and stderr are one pipe, as in "cmd 2>&1 | less".
if t_selected spine/stdout_stderr_one_pipe; then
	out=$(t_runsc sh -c 'echo out; echo err >&2' </dev/null 2>&1 | cat)
	if [[ $out == $'out\nerr' ]]; then
		t_pass spine/stdout_stderr_one_pipe
	else
		t_fail spine/stdout_stderr_one_pipe "want the lines out and err; got:"$'\n'"$out"
	fi
fi

# The guest writes through the caller's stdout, sharing its file offset: output redirected to
# a file lands between what the caller wrote before and after.
if t_selected spine/stdout_file_shared_offset; then
	{
		echo before
		t_runsc sh -c 'echo inside' </dev/null
		echo after
	} >"$T_TMP/offset.out" 2>&1
	if [[ $(cat "$T_TMP/offset.out") == $'before\ninside\nafter' ]]; then
		t_pass spine/stdout_file_shared_offset
	else
		t_fail spine/stdout_file_shared_offset "want the lines before, inside, after; got:"$'\n'"$(t_head "$T_TMP/offset.out")"
	fi
fi

# Writes stay in the sandbox's overlay.
f=/tmp/cvisor-spine-$$-$RANDOM
t_expect spine/tmp_write_then_read 0 inside -- sh -c "echo inside >$f && cat $f"
if t_selected spine/tmp_absent_on_host; then
	if [[ -e $f ]]; then
		t_fail spine/tmp_absent_on_host "$f, written in the sandbox, is on the host"
		rm -f "$f"
	else
		t_pass spine/tmp_absent_on_host
	fi
fi

# /proc shows the sandbox's PID namespace: sh is 1, ls is 2.
if t_selected spine/proc_pids; then
	t_runsc sh -c 'ls /proc' </dev/null >"$T_TMP/proc.out" 2>"$T_TMP/proc.err"
	st=$?
	pids=$(grep -E '^[0-9]+$' "$T_TMP/proc.out" | sort -n | tr '\n' ' ')
	if [[ $st == 0 && $pids == "1 "* ]] && ! grep -qE '^([0-9]{3,}|[1-9][0-9])$' "$T_TMP/proc.out"; then
		t_pass spine/proc_pids
	else
		t_fail spine/proc_pids "want PIDs 1..9 only; exit status $st, PIDs: ${pids:0:200}"$'\n'"$(t_head "$T_TMP/proc.err")"
	fi
fi

if t_selected spine/missing_program; then
	t_runsc /nonexistent/program </dev/null >"$T_TMP/missing.out" 2>"$T_TMP/missing.err"
	st=$?
	lines=$(wc -l <"$T_TMP/missing.err")
	if [[ $st == 127 && $lines == 1 && ! -s $T_TMP/missing.out ]]; then
		t_pass spine/missing_program
	else
		t_fail spine/missing_program "want exit 127 and one line on stderr; got exit $st and:"$'\n'"$(t_head "$T_TMP/missing.err")"
	fi
fi

if t_selected spine/bad_flag; then
	t_timeout "$RUNSC" --no-such-flag "do" /bin/true </dev/null >"$T_TMP/flag.out" 2>"$T_TMP/flag.err"
	st=$?
	if [[ $st == 2 ]] && grep -qi usage "$T_TMP/flag.err" "$T_TMP/flag.out"; then
		t_pass spine/bad_flag
	else
		t_fail spine/bad_flag "want usage and exit 2; got exit $st and:"$'\n'"$(t_head "$T_TMP/flag.err")"
	fi
fi

# While a guest runs: the sentry, the gofer and a stub, each confined (seccomp filter or
# traced), and the sentry's root is an empty directory.
if t_selected spine/host_processes; then
	start_bg "${SLEEP[@]}" 2
	if wait_for_sandbox 5; then
		msg=
		while read -r pid _ name seccomp tracer; do
			[[ $name == runsc-* ]] || continue
			[[ $seccomp == 2 || $tracer != 0 ]] ||
				msg+="$name (pid $pid) has neither a seccomp filter nor a tracer"$'\n'
		done <"$T_TMP/procs"
		sentry=$(awk '$3 == "runsc-sentry" { print $1; exit }' "$T_TMP/procs")
		root=$(readlink "/proc/$sentry/root")
		if ! contents=$(ls -A "/proc/$sentry/root/" 2>&1) || [[ -n $contents ]]; then
			msg+="the sentry's root ($root) is not an empty directory: ${contents:0:200}"
		fi
		if [[ -z $msg ]]; then
			t_pass spine/host_processes
		else
			t_fail spine/host_processes "$msg"
		fi
	else
		t_fail spine/host_processes "no runsc-sentry, runsc-gofer and runsc-stub under runsc; processes under it:"$'\n'"$(cat "$T_TMP/procs")"$'\n'"$(t_head "$T_TMP/bg.err")"
	fi
	wait_bg "$TEST_TIMEOUT"
fi

if t_selected spine/nothing_left_after_exit; then
	pids_before=$(runsc_pids)
	host_snapshot >"$T_TMP/snap.before"
	t_runsc /bin/true </dev/null >/dev/null 2>"$T_TMP/true.err"
	st=$?
	if ((st == 0)); then
		check_nothing_left spine/nothing_left_after_exit "$pids_before" "$T_TMP/snap.before"
	else
		t_fail spine/nothing_left_after_exit "runsc do /bin/true exited $(t_status_word $st):"$'\n'"$(t_head "$T_TMP/true.err")"
	fi
fi

if t_selected spine/nothing_left_after_sigterm; then
	pids_before=$(runsc_pids)
	host_snapshot >"$T_TMP/snap.before"
	start_bg "${SLEEP[@]}" 30
	if wait_for_sandbox 5; then
		# runsc is the timeout's child.
		runsc_pid=$(proc_table | awk -v p="$BG_PID" '$2 == p { print $1; exit }')
		kill -TERM "$runsc_pid"
		wait_bg 10
		check_nothing_left spine/nothing_left_after_sigterm "$pids_before" "$T_TMP/snap.before"
	else
		wait_bg 0
		t_fail spine/nothing_left_after_sigterm "the sandbox did not start:"$'\n'"$(t_head "$T_TMP/bg.err")"
	fi
fi
exit 0
