#!/bin/bash
# Integration: runsc exec (a second process in a running container: not PID 1, no parent in
# the sandbox, its output and exit status back through runsc exec, --detach with a pid file
# that names a process exiting with the guest process's status) and runsc update (limits read
# back from the container's cgroup). Bad input: one line, non-zero, nothing left behind.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

BUSYBOX=/bin/busybox
if [[ ! -x $BUSYBOX ]]; then
	t_selected exec/ && t_skip exec/busybox "no $BUSYBOX (Debian package busybox-static)"
	exit 0
fi

# The container is made once for all the checks: not at all when the filter selects none.
t_any_selected exec || exit 0

STATE=$T_TMP/state   # --root of every runsc call here
BUNDLE=$T_TMP/bundle # a busybox bundle
ROOTFS=$BUNDLE/rootfs
# Container IDs name cgroups (/cvisor/ID), which are host-wide.
C=exec$$-
ID=${C}main

# shellcheck source=tests/oci-lib.sh
source "$(dirname "$0")/../oci-lib.sh"

# Processes started here carry this tag: others' sandboxes are not ours to count.
export CVISOR_OCI_TEST_TAG=$$-$RANDOM

# What a container of ours might leave on the host: state entries and cgroups. (The sentry's
# empty /tmp/runsc-* root and mounts are oci.sh's to check: other sandboxes on the host make
# and remove theirs at any time.)
host_snapshot() {
	{
		find "$STATE" -mindepth 1 2>/dev/null
		find /sys/fs/cgroup -maxdepth 4 -path "*/cvisor/$C*" 2>/dev/null
	} | sort
}

# leftovers PIDS SNAPSHOT_FILE: nothing new (process or host object) within 2 s.
leftovers() {
	local i left new
	for ((i = 0; i < 40; i++)); do
		left=$(comm -13 <(echo "$1") <(runsc_pids "runsc*"))
		new=$(comm -13 "$2" <(host_snapshot))
		[[ -z $left && -z $new ]] && return 0
		sleep 0.05
	done
	[[ -n $left ]] && echo "processes left: $(echo $left)"
	[[ -n $new ]] && echo "new on the host: $new"
	return 1
}

# bad_input NAME GREP CMD...: fails with exactly one line containing GREP, leaves nothing.
bad_input() {
	local name=$1 want=$2 st pids_before left
	shift 2
	t_selected "$name" || return 0
	pids_before=$(runsc_pids "runsc*")
	host_snapshot >"$T_TMP/snap"
	oci "$@" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	left=$(leftovers "$pids_before" "$T_TMP/snap")
	if [[ $st != 0 && $st != 124 && $(wc -l <"$T_TMP/err") == 1 && -z $left ]] &&
		grep -q -- "$want" "$T_TMP/err"; then
		t_pass "$name"
	else
		t_fail "$name" "exit $(t_status_word $st), want non-zero and one line with \"$want\"; stderr:"$'\n'"$(t_head "$T_TMP/err")"$'\n'"$left"
	fi
}

# expect NAME WANT_STATUS WANT_STDOUT CMD...: runsc CMD gives that status and that output.
expect() {
	local name=$1 want_st=$2 want_out=$3 st
	shift 3
	t_selected "$name" || return 0
	oci "$@" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	if [[ $st == "$want_st" && $(cat "$T_TMP/out") == "$want_out" ]]; then
		t_pass "$name"
	else
		t_fail "$name" "exit $(t_status_word $st) (want $want_st); stdout:"$'\n'"$(t_head "$T_TMP/out")"$'\n'"want:"$'\n'"$want_out"$'\n'"stderr:"$'\n'"$(t_head "$T_TMP/err")"
	fi
}

# The busybox bundle: the container's own process sleeps; env and cwd are config.json's.
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/home/user" "$STATE"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in sh echo cat sleep id pwd kill true; do
	ln -s busybox "$ROOTFS/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nextra:x:2000:\n' >"$ROOTFS/etc/group"
oci spec --bundle "$BUNDLE" || exit 2
sed -i -e 's/"terminal": true/"terminal": false/' \
	-e 's/^\t\t\t"sh"$/\t\t\t"sleep", "1000"/' \
	-e 's|"PATH=|"FROM_CONFIG=yes",\n\t\t\t"PATH=|' \
	-e 's|"cwd": "/"|"cwd": "/tmp"|' "$BUNDLE/config.json"

pids_start=$(runsc_pids "runsc*")
host_snapshot >"$T_TMP/snap_start"

oci create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$T_TMP/create.err" &&
	oci start "$ID" 2>>"$T_TMP/create.err"
if ! oci state "$ID" 2>/dev/null | grep -q '"status": "running"'; then
	t_fail exec/container_runs "create + start failed:"$'\n'"$(t_head "$T_TMP/create.err")"
	exit 0
fi

# ---- exec: output, exit status, the process's place in the tree ----

expect exec/output 0 hello exec "$ID" echo hello
expect exec/exit_status 7 "" exec "$ID" sh -c 'exit 7'
expect exec/killed_by_signal 137 "" exec "$ID" sh -c 'kill -KILL $$'
# Not PID 1 (the container's sleep is), and no parent in the sandbox, as runc exec's process.
expect exec/not_pid1_no_parent 0 "no parent" exec "$ID" sh -c '[ $$ != 1 ] && [ $PPID = 0 ] && echo no parent'
expect exec/init_is_the_container 0 sleep exec "$ID" cat /proc/1/comm
expect exec/stdin_passed 0 "" exec "$ID" cat

if t_selected exec/stdin_passed_data; then
	out=$(echo piped | oci exec "$ID" cat 2>&1)
	if [[ $out == piped ]]; then
		t_pass exec/stdin_passed_data
	else
		t_fail exec/stdin_passed_data "$out"
	fi
fi

# ---- the container's process defaults, and runc's flags over them ----

expect exec/env_from_config 0 yes exec "$ID" sh -c 'echo $FROM_CONFIG'
expect exec/cwd_from_config 0 /tmp exec "$ID" pwd
expect exec/env_flag 0 "one two" exec --env A=one -e FROM_CONFIG=two "$ID" sh -c 'echo $A $FROM_CONFIG'
expect exec/cwd_flag 0 /home/user exec --cwd /home/user "$ID" pwd
# Capabilities and no_new_privs: the container's (config.json's process), as runc's exec takes
# them, not root's full sets; --cap adds one (CAP_CHOWN, bit 0); --no-new-privs sets it.
init_caps=$(oci exec "$ID" sh -c 'grep -E "^Cap(Bnd|Eff|Prm)" /proc/1/status' 2>/dev/null)
expect exec/caps_from_config 0 "$init_caps" exec "$ID" sh -c 'grep -E "^Cap(Bnd|Eff|Prm)" /proc/self/status'
expect exec/cap_flag_adds 0 1 exec --cap CAP_CHOWN "$ID" sh -c 'echo $(( 0x$(sed -n "s/^CapEff:\t//p" /proc/self/status) & 1 ))'
expect exec/no_new_privs_flag 0 "NoNewPrivs:	1" exec --no-new-privs "$ID" sh -c "grep NoNewPrivs /proc/self/status"
expect exec/user_flag 0 "1000 0" exec --user 1000 "$ID" sh -c 'echo $(id -u) $(id -g)'
expect exec/user_group_flag 0 "1000 1000" exec -u 1000:1000 "$ID" sh -c 'echo $(id -u) $(id -g)'
expect exec/additional_gids 0 "0 2000" exec --additional-gids 2000 "$ID" id -G

if t_selected exec/process_file; then
	cat >"$T_TMP/process.json" <<'EOF'
{
	"args": ["sh", "-c", "echo $WHO $(id -u) $(pwd); exit 3"],
	"env": ["PATH=/bin", "WHO=file"],
	"cwd": "/home",
	"user": {"uid": 1000, "gid": 1000}
}
EOF
	oci exec --process "$T_TMP/process.json" "$ID" </dev/null >"$T_TMP/out" 2>&1
	st=$?
	if [[ $st == 3 && $(cat "$T_TMP/out") == "file 1000 /home" ]]; then
		t_pass exec/process_file
	else
		t_fail exec/process_file "exit $st: $(cat "$T_TMP/out")"
	fi
fi

# ---- detached: ps lists it, the pid file's process waits and takes its status ----

if t_selected exec/detach_pid_file; then
	msg=
	oci exec -d --pid-file "$T_TMP/exec.pid" "$ID" sleep 1000 </dev/null >"$T_TMP/out" 2>&1 ||
		msg+="exec -d failed: $(cat "$T_TMP/out")"$'\n'
	hostpid=$(cat "$T_TMP/exec.pid" 2>/dev/null)
	[[ -n $hostpid && -d /proc/$hostpid ]] || msg+="the pid file's process ($hostpid) does not exist"$'\n'
	ps=$(oci ps "$ID" 2>&1)
	guestpid=$(echo "$ps" | awk '$NF == "sleep" && $2 != 1 { print $2 }')
	ppid=$(echo "$ps" | awk '$NF == "sleep" && $2 != 1 { print $3 }')
	[[ $(echo "$ps" | grep -c ' sleep$') == 2 ]] || msg+="ps does not list both sleeps:"$'\n'"$ps"$'\n'
	[[ $ppid == 0 ]] || msg+="the exec'd process's parent is $ppid, not 0"$'\n'
	# A subreaper would collect the pid file's process; here it is waited for by polling.
	if [[ -n $guestpid ]]; then
		oci exec "$ID" kill -TERM "$guestpid" || msg+="kill in the container failed"$'\n'
	fi
	for ((i = 0; i < 100; i++)); do
		[[ -d /proc/$hostpid ]] && ! grep -q '^State:.*Z' "/proc/$hostpid/status" 2>/dev/null || break
		sleep 0.05
	done
	[[ -d /proc/$hostpid ]] && ! grep -q '^State:.*Z' "/proc/$hostpid/status" 2>/dev/null &&
		msg+="the pid file's process did not exit after the kill"$'\n'
	[[ $(oci ps "$ID" 2>&1 | grep -c ' sleep$') == 1 ]] || msg+="the exec'd sleep is still listed"$'\n'
	if [[ -z $msg ]]; then
		t_pass exec/detach_pid_file
	else
		t_fail exec/detach_pid_file "$msg"
	fi
fi

# SIGKILL to the pid file's process (containerd's shim kills an exec that way) kills the guest
# process too, as it would kill runc's process itself.
if t_selected exec/detach_sigkill_kills_process; then
	msg=
	oci exec -d --pid-file "$T_TMP/kill.pid" "$ID" sleep 999 </dev/null >"$T_TMP/out" 2>&1 ||
		msg+="exec -d failed: $(cat "$T_TMP/out")"$'\n'
	hostpid=$(cat "$T_TMP/kill.pid" 2>/dev/null)
	[[ $(oci ps "$ID" 2>&1 | grep -c ' sleep 999$\| sleep$') -ge 2 ]] ||
		msg+="the exec'd sleep is not listed: $(oci ps "$ID" 2>&1)"$'\n'
	[[ -n $hostpid ]] && kill -KILL "$hostpid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		[[ $(oci ps "$ID" 2>&1 | grep -c ' sleep$') == 1 ]] && break
		sleep 0.05
	done
	[[ $(oci ps "$ID" 2>&1 | grep -c ' sleep$') == 1 ]] ||
		msg+="the exec'd sleep outlived its pid file's process:"$'\n'"$(oci ps "$ID" 2>&1)"$'\n'
	if [[ -z $msg ]]; then
		t_pass exec/detach_sigkill_kills_process
	else
		t_fail exec/detach_sigkill_kills_process "$msg"
	fi
fi

# runsc exec -d's child exits with the guest process's status. It is not the caller's child
# (runsc exec forked it and exited), so it is waited for as containerd's shim does: from a
# subreaper (perl, which Debian always has, makes itself one with prctl).
if t_selected exec/detach_status; then
	out=$(t_timeout perl -e '
		my $nr = `uname -m` =~ /aarch64/ ? 167 : 157;   # prctl
		syscall($nr, 36, 1, 0, 0, 0) == 0 or die "PR_SET_CHILD_SUBREAPER: $!\n";
		my $pidfile = shift;
		my $st = system(@ARGV) >> 8;
		open(my $f, "<", $pidfile) or die "no pid file\n";
		my $pid = <$f>;
		waitpid($pid, 0) == $pid or die "cannot wait for $pid\n";
		printf "runsc %d child %d\n", $st, $? >> 8;' "$T_TMP/st.pid" \
		"$RUNSC" --root "$STATE" exec -d --pid-file "$T_TMP/st.pid" "$ID" sh -c 'sleep 0.3; exit 5' 2>&1 </dev/null)
	if [[ $out == "runsc 0 child 5" ]]; then
		t_pass exec/detach_status
	else
		t_fail exec/detach_status "$out"
	fi
fi

# Signals to runsc exec reach the process (runc forwards them).
if t_selected exec/signal_forwarded; then
	# exec: $! is runsc itself, which gets the signal.
	(exec "$RUNSC" --root "$STATE" exec "$ID" sh -c 'trap "echo got TERM; exit 9" TERM; while :; do sleep 0.05; done' </dev/null >"$T_TMP/out" 2>&1) &
	pid=$!
	sleep 1
	kill -TERM $pid
	for ((i = 0; i < 100; i++)); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL $pid 2>/dev/null
	wait $pid
	st=$?
	if [[ $st == 9 && $(cat "$T_TMP/out") == "got TERM" ]]; then
		t_pass exec/signal_forwarded
	else
		t_fail exec/signal_forwarded "exit $st: $(cat "$T_TMP/out")"
	fi
fi

# The exec'd process's children go to init when it exits, as orphans do.
if t_selected exec/orphans_reparent_to_init; then
	child=$(oci exec "$ID" sh -c 'sleep 1000 >/dev/null 2>&1 </dev/null & echo $!' </dev/null 2>&1)
	stat=$(oci exec "$ID" cat "/proc/$child/stat" </dev/null 2>&1)
	ppid=$(echo "$stat" | awk '{ print $4 }')
	oci exec "$ID" kill -KILL "$child" </dev/null >/dev/null 2>&1
	if [[ $stat == "$child (sleep) "* && $ppid == 1 ]]; then
		t_pass exec/orphans_reparent_to_init
	else
		t_fail exec/orphans_reparent_to_init "child $child: /proc/$child/stat: $stat"
	fi
fi

# runsc exec killed: the process runs on (runc's exec'd process outlives runc too).
if t_selected exec/requester_gone; then
	(exec "$RUNSC" --root "$STATE" exec "$ID" sleep 1001 </dev/null >/dev/null 2>&1) &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		oci ps "$ID" 2>/dev/null | grep -q ' sleep$' && [[ $(oci ps "$ID" 2>/dev/null | grep -c ' sleep$') == 2 ]] && break
		sleep 0.05
	done
	kill -KILL $pid
	wait $pid 2>/dev/null
	sleep 0.2
	ps=$(oci ps "$ID" 2>&1)
	guestpid=$(echo "$ps" | awk '$NF == "sleep" && $2 != 1 { print $2 }')
	[[ -n $guestpid ]] && oci exec "$ID" kill -KILL "$guestpid" </dev/null >/dev/null 2>&1
	if [[ -n $guestpid ]]; then
		t_pass exec/requester_gone
	else
		t_fail exec/requester_gone "the exec'd sleep is gone with runsc exec:"$'\n'"$ps"
	fi
fi

# ---- bad input ----

bad_input exec/no_such_program "not found" exec "$ID" no-such-program
expect exec/no_such_program_status 127 "" exec "$ID" /no/such/program
bad_input exec/bad_cwd "cwd" exec --cwd /no/such/dir "$ID" true
bad_input exec/relative_cwd "absolute" exec --cwd tmp "$ID" true
bad_input exec/bad_user "--user" exec --user nobody "$ID" true
bad_input exec/no_command "no command" exec "$ID"
# Arguments beyond what one control message carries (128 KiB) are refused, not cut.
big=()
for ((i = 0; i < 100; i++)); do big+=("$(printf '%02000d' 0)"); done
bad_input exec/arguments_too_long "too long" exec "$ID" echo "${big[@]}"
bad_input exec/missing_container "does not exist" exec "${C}nope" true
printf '{"args": "sh"}' >"$T_TMP/bad-process.json"
bad_input exec/bad_process_file "args" exec --process "$T_TMP/bad-process.json" "$ID"
bad_input exec/console_socket_without_terminal "console-socket" exec --console-socket "$T_TMP/no.sock" "$ID" true

# ---- update ----

# The cgroup directory of container $1 for controller $2 (v1) or the unified one (v2).
cgroup_dir() {
	if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
		echo "/sys/fs/cgroup/cvisor/$1"
	else
		echo "/sys/fs/cgroup/$2/cvisor/$1"
	fi
}
mem=$(cgroup_dir "$ID" memory)
pids=$(cgroup_dir "$ID" pids)
memory_limit() {
	cat "$mem/memory.limit_in_bytes" 2>/dev/null || cat "$mem/memory.max" 2>/dev/null
}

if t_selected exec/update_flags; then
	msg=
	oci update --memory 256m --pids-limit 123 "$ID" 2>"$T_TMP/err" || msg+="update failed: $(cat "$T_TMP/err")"$'\n'
	[[ $(memory_limit) == 268435456 ]] || msg+="memory limit: $(memory_limit)"$'\n'
	[[ $(cat "$pids/pids.max" 2>&1) == 123 ]] || msg+="pids.max: $(cat "$pids/pids.max" 2>&1)"$'\n'
	if [[ -z $msg ]]; then
		t_pass exec/update_flags
	else
		t_fail exec/update_flags "$msg"
	fi
fi

if t_selected exec/update_resources_file; then
	msg=
	echo '{"memory": {"limit": 134217728}, "pids": {"limit": 77}}' >"$T_TMP/res.json"
	oci update -r "$T_TMP/res.json" "$ID" 2>"$T_TMP/err" || msg+="update -r failed: $(cat "$T_TMP/err")"$'\n'
	[[ $(memory_limit) == 134217728 ]] || msg+="memory limit: $(memory_limit)"$'\n'
	[[ $(cat "$pids/pids.max" 2>&1) == 77 ]] || msg+="pids.max: $(cat "$pids/pids.max" 2>&1)"$'\n'
	echo '{"pids": {"limit": 66}}' | oci update -r - "$ID" 2>"$T_TMP/err" || msg+="update -r - failed: $(cat "$T_TMP/err")"$'\n'
	[[ $(cat "$pids/pids.max" 2>&1) == 66 ]] || msg+="pids.max from stdin: $(cat "$pids/pids.max" 2>&1)"$'\n'
	# The limit is the guest's too: with pids.max at 66 the sandbox still runs an exec.
	[[ $(oci exec "$ID" echo ok 2>&1 </dev/null) == ok ]] || msg+="exec after update failed"$'\n'
	if [[ -z $msg ]]; then
		t_pass exec/update_resources_file
	else
		t_fail exec/update_resources_file "$msg"
	fi
fi

bad_input exec/update_bad_value "--memory" update --memory lots "$ID"
bad_input exec/update_bad_file "pids.limit must be an integer" update -r <(echo '{"pids": {"limit": "x"}}') "$ID"
bad_input exec/update_missing_container "does not exist" update --pids-limit 5 "${C}nope"

# ---- a stopped container, and nothing left behind ----

oci kill "$ID" KILL >/dev/null 2>&1
for ((i = 0; i < 100; i++)); do
	oci state "$ID" 2>/dev/null | grep -q '"status": "stopped"' && break
	sleep 0.05
done
bad_input exec/stopped_container "stopped" exec "$ID" true
bad_input exec/update_stopped_container "stopped" update --pids-limit 5 "$ID"
oci delete "$ID" >/dev/null 2>&1

if t_selected exec/nothing_left; then
	if left=$(leftovers "$pids_start" "$T_TMP/snap_start"); then
		t_pass exec/nothing_left
	else
		t_fail exec/nothing_left "$left"
	fi
fi
