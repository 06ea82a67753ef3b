#!/bin/bash
# Integration: runsc as an OCI runtime on a busybox bundle — runc's commands, state and exit
# statuses; bad input answered with one line and a non-zero exit; nothing of a container left
# on the host after it is gone.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

BUSYBOX=/bin/busybox
if [[ ! -x $BUSYBOX ]]; then
	t_selected oci/ && t_skip oci/busybox "no $BUSYBOX (Debian package busybox-static)"
	exit 0
fi

STATE=$T_TMP/state     # --root of every runsc call here
BUNDLE=$T_TMP/bundle   # a busybox bundle; config.json is rewritten by each test
ROOTFS=$BUNDLE/rootfs
# Container IDs name cgroups (/cvisor/ID), which are host-wide: another run of this script
# at the same time must not meet ours.
C=oci$$-

# shellcheck source=tests/oci-lib.sh
source "$(dirname "$0")/../oci-lib.sh"

# Every runsc run here carries this in its environment, and so do the processes it starts:
# others' sandboxes on the same host (a concurrent tests/run) are not ours to count.
export CVISOR_OCI_TEST_TAG=$$-$RANDOM

# What a container might leave on the host: state entries, temp directories, cgroups, mounts.
host_snapshot() {
	{
		find "$STATE" -mindepth 1 2>/dev/null
		# The sentry's empty root is the only thing a sandbox makes in /tmp.
		find /tmp /var/tmp /dev/shm -mindepth 1 -maxdepth 1 -name 'runsc-*' 2>/dev/null
		# The sandboxes' cgroups (ours are named after our containers).
		find /sys/fs/cgroup -maxdepth 4 -path "*/cvisor/$C*" 2>/dev/null
		sed 's/^/mount: /' /proc/mounts
	} | sort
}

# leftovers PIDS_BEFORE SNAPSHOT_FILE: within a 2 s grace, no new live runsc-* process
# and nothing new in host_snapshot. Prints the problem; false if there is one.
leftovers() {
	local pids_before=$1 snap_before=$2 i left new msg=
	for ((i = 0; i < 40; i++)); do
		left=$(comm -13 <(echo "$pids_before") <(runsc_pids))
		new=$(comm -13 "$snap_before" <(host_snapshot))
		[[ -z $left && -z $new ]] && return 0
		sleep 0.05
	done
	[[ -n $left ]] && msg+="processes left: $(echo $left)"$'\n'
	[[ -n $new ]] && msg+="new on the host: $new"
	echo "$msg"
	return 1
}

# Waits up to $2 seconds for container $1's status to be $3.
wait_status() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[[ $(oci state "$1" 2>/dev/null | grep '"status"') == *\"$3\"* ]] && return 0
		sleep 0.05
	done
	return 1
}

# bad_input NAME GREP CMD...: runs CMD (runsc arguments); passes when it fails with exactly one
# line on stderr that contains GREP, and leaves nothing behind.
bad_input() {
	local name=$1 want=$2 st pids_before left
	shift 2
	t_selected "$name" || return 0
	pids_before=$(runsc_pids)
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

# The busybox bundle: the static busybox, its applet links, and the files id and ls need.
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/home/user" "$STATE"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[[ -e $ROOTFS/bin/$applet ]] || ln -s busybox "$ROOTFS/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nextra:x:2000:\n' >"$ROOTFS/etc/group"
echo bundle-only >"$ROOTFS/etc/marker"

pids_start=$(runsc_pids)

# ---- spec ----

if t_selected oci/spec_writes_runc_default; then
	d=$T_TMP/spec
	mkdir -p "$d"
	if ! oci spec --bundle "$d" 2>"$T_TMP/err"; then
		t_fail oci/spec_writes_runc_default "runsc spec failed: $(cat "$T_TMP/err")"
	elif command -v runc >/dev/null && mkdir -p "$d/runc" && (cd "$d/runc" && runc spec) &&
		! diff -u "$d/runc/config.json" "$d/config.json" >"$T_TMP/diff"; then
		t_fail oci/spec_writes_runc_default "differs from runc spec:"$'\n'"$(t_head "$T_TMP/diff")"
	elif ! grep -q '"ociVersion"' "$d/config.json" || [[ $(head -c1 "$d/config.json") != "{" ]]; then
		t_fail oci/spec_writes_runc_default "not a config.json:"$'\n'"$(t_head "$d/config.json")"
	else
		t_pass oci/spec_writes_runc_default
	fi
fi

if t_selected oci/spec_refuses_overwrite; then
	oci spec --bundle "$T_TMP/spec" >/dev/null 2>"$T_TMP/err"
	st=$?
	if [[ $st != 0 && $(wc -l <"$T_TMP/err") == 1 ]]; then
		t_pass oci/spec_refuses_overwrite
	else
		t_fail oci/spec_refuses_overwrite "exit $st, stderr: $(cat "$T_TMP/err")"
	fi
fi

# The default spec runs as it is (a readonly root, runc's mounts), which also shows that what
# runsc spec writes is a valid config.json to runsc's own parser.
if t_selected oci/spec_default_runs; then
	write_config true
	oci run --bundle "$BUNDLE" ${C}spec-default </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	if [[ $st == 0 && ! -s $T_TMP/out ]]; then
		t_pass oci/spec_default_runs
	else
		t_fail oci/spec_default_runs "exit $(t_status_word $st):"$'\n'"$(t_head "$T_TMP/err")"
	fi
fi

# ---- run in the foreground ----

# oci_run_expect NAME STATUS STDOUT: runs the bundle as it is; passes on that status and output.
oci_run_expect() {
	local name=$1 want_status=$2 want_out=$3 st
	t_selected "$name" || return 0
	oci run --bundle "$BUNDLE" "$C${name//\//-}" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	if [[ $st == "$want_status" && $(cat "$T_TMP/out") == "$want_out" ]]; then
		t_pass "$name"
	else
		t_fail "$name" "exit $(t_status_word $st) (want $want_status), stdout:"$'\n'"$(t_head "$T_TMP/out")"$'\n'"want:"$'\n'"$want_out"$'\n'"stderr:"$'\n'"$(t_head "$T_TMP/err")"
	fi
}

write_config sh -c 'echo hello; exit 3'
oci_run_expect oci/run_output_and_status 3 hello

write_config sh -c 'kill -9 $$'
oci_run_expect oci/run_killed_by_signal 137 ""

# The root is the bundle's rootfs, not the host's.
write_config sh -c 'cat /etc/marker; test -e /etc/os-release && echo host-visible; ls /'
# (sys: the spec mounts a sysfs there, made in the sandbox's view only.)
oci_run_expect oci/run_root_is_bundle 0 "bundle-only"$'\n'"bin"$'\n'"dev"$'\n'"etc"$'\n'"home"$'\n'"proc"$'\n'"sys"$'\n'"tmp"

write_config sh -c 'echo $(id -u) $(id -g) $(id -G) $(pwd) $FOO $(hostname) $(umask)'
edit_config -e 's/"uid": 0/"uid": 1000/' -e 's/"gid": 0/"gid": 1000, "additionalGids": [2000], "umask": 18/' \
	-e 's|"cwd": "/"|"cwd": "/home/user"|' -e 's|"TERM=xterm"|"TERM=xterm", "FOO=bar"|' \
	-e 's/"hostname": "runc"/"hostname": "box"/'
oci_run_expect oci/run_process_fields 0 "1000 1000 1000 2000 /home/user bar box 0022"

write_config sh -c 'ulimit -n; ulimit -Hn'
edit_config -e 's/"hard": 1024,/"hard": 512,/' -e 's/"soft": 1024/"soft": 256/'
oci_run_expect oci/run_rlimits 0 "256"$'\n'"512"

# A readonly root refuses writes; /tmp on it too, /dev/shm is its own mount and writable.
write_config sh -c 'touch /etc/new 2>/dev/null || echo refused; echo x >/dev/shm/f && cat /dev/shm/f'
oci_run_expect oci/readonly_root_refuses_writes 0 "refused"$'\n'"x"

write_config sh -c 'echo new >/etc/new && cat /etc/new'
edit_config -e 's/"readonly": true/"readonly": false/'
oci_run_expect oci/writable_root_writes_stay_inside 0 new
if t_selected oci/writable_root_writes_stay_inside; then
	[[ -e $ROOTFS/etc/new ]] && t_fail oci/writes_not_on_host "$ROOTFS/etc/new appeared on the host" ||
		t_pass oci/writes_not_on_host
fi

# Signals to runsc run go to the guest's init, as runc run forwards them.
if t_selected oci/run_forwards_signals; then
	write_config sh -c 'trap "echo got TERM; exit 5" TERM; echo ready; while :; do sleep 0.05; done'
	oci run --bundle "$BUNDLE" "${C}fwd" </dev/null >"$T_TMP/fwd.out" 2>"$T_TMP/fwd.err" &
	bg=$!
	for ((i = 0; i < 100; i++)); do
		grep -qs ready "$T_TMP/fwd.out" && break
		sleep 0.05
	done
	# The timeout's child is runsc.
	kill -TERM "$(pgrep -P "$bg" | head -1)"
	wait "$bg"
	st=$?
	if [[ $st == 5 && $(cat "$T_TMP/fwd.out") == $'ready\ngot TERM' ]]; then
		t_pass oci/run_forwards_signals
	else
		t_fail oci/run_forwards_signals "exit $st, output: $(cat "$T_TMP/fwd.out") $(cat "$T_TMP/fwd.err")"
	fi
fi

write_config /bin/no-such-program
bad_input oci/run_missing_program "no-such-program" run --bundle "$BUNDLE" ${C}missing
if t_selected oci/run_missing_program_127; then
	oci run --bundle "$BUNDLE" ${C}missing </dev/null >/dev/null 2>&1
	st=$?
	[[ $st == 127 ]] && t_pass oci/run_missing_program_127 || t_fail oci/run_missing_program_127 "exit $st"
fi

# ---- create, start, state, list, kill, delete ----

# Prints the "pid" of container $1's state.
state_pid() {
	oci state "$1" | sed -n 's/^  "pid": \([0-9]*\),$/\1/p'
}

if t_selected oci/lifecycle; then
	msg=
	pids_before=$(runsc_pids)
	host_snapshot >"$T_TMP/snap"
	write_config sh -c 'echo started; exec sleep 100'
	oci create --bundle "$BUNDLE" --pid-file "$T_TMP/pid" ${C}life </dev/null >"$T_TMP/life.out" 2>"$T_TMP/life.err" ||
		msg+="create failed: $(cat "$T_TMP/life.err")"$'\n'
	pid=$(state_pid ${C}life)
	grep -q '"status": "created"' <(oci state ${C}life) || msg+="not created: $(oci state ${C}life 2>&1)"$'\n'
	[[ -n $pid && $pid == "$(cat "$T_TMP/pid" 2>/dev/null)" ]] ||
		msg+="state pid '$pid', pid file '$(cat "$T_TMP/pid" 2>/dev/null)'"$'\n'
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || msg+="pid $pid is not a live process"$'\n'
	sleep 0.3
	[[ -s $T_TMP/life.out ]] && msg+="the guest ran before start: $(cat "$T_TMP/life.out")"$'\n'
	oci list | grep -qE "^${C}life +$pid +created " || msg+="list: $(oci list 2>&1)"$'\n'
	[[ $(oci list -q) == ${C}life ]] || msg+="list -q: $(oci list -q 2>&1)"$'\n'
	oci list --format json | grep -qF "\"id\":\"${C}life\",\"pid\":$pid,\"status\":\"created\"" ||
		msg+="list json: $(oci list --format json 2>&1)"$'\n'
	oci start ${C}life 2>>"$T_TMP/life.err" || msg+="start failed: $(cat "$T_TMP/life.err")"$'\n'
	wait_status ${C}life 2 running || msg+="not running after start: $(oci state ${C}life 2>&1)"$'\n'
	for ((i = 0; i < 40; i++)); do
		[[ -s $T_TMP/life.out ]] && break
		sleep 0.05
	done
	[[ $(cat "$T_TMP/life.out") == started ]] || msg+="guest output: $(cat "$T_TMP/life.out")"$'\n'
	oci start ${C}life 2>/dev/null && msg+="a second start succeeded"$'\n'
	oci delete ${C}life 2>/dev/null && msg+="delete of a running container succeeded"$'\n'
	oci kill ${C}life KILL 2>>"$T_TMP/life.err" || msg+="kill failed: $(cat "$T_TMP/life.err")"$'\n'
	wait_status ${C}life 5 stopped || msg+="not stopped after kill: $(oci state ${C}life 2>&1)"$'\n'
	grep -q '"pid": 0,' <(oci state ${C}life) || msg+="a stopped container shows a pid"$'\n'
	oci kill ${C}life KILL 2>/dev/null && msg+="kill of a stopped container succeeded"$'\n'
	oci delete ${C}life 2>>"$T_TMP/life.err" || msg+="delete failed: $(cat "$T_TMP/life.err")"$'\n'
	oci state ${C}life >/dev/null 2>"$T_TMP/gone.err" && msg+="state after delete succeeded"$'\n'
	grep -q 'does not exist' "$T_TMP/gone.err" || msg+="state after delete: $(cat "$T_TMP/gone.err")"$'\n'
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] &&
		msg+="the sandbox process $pid is still there"$'\n'
	msg+=$(leftovers "$pids_before" "$T_TMP/snap")
	if [[ -z $msg ]]; then
		t_pass oci/lifecycle
	else
		t_fail oci/lifecycle "$msg"
	fi
	oci delete --force ${C}life >/dev/null 2>&1
fi

# Signals by name and number, and the default (SIGTERM); kill of a created container.
if t_selected oci/kill_signals; then
	msg=
	write_config sh -c 'trap "echo got USR1" USR1; trap "echo got TERM; exit 5" TERM; echo ready; while :; do sleep 0.1; done'
	oci run -d --bundle "$BUNDLE" ${C}sig </dev/null >"$T_TMP/sig.out" 2>&1 || msg+="run -d failed: $(cat "$T_TMP/sig.out")"$'\n'
	for ((i = 0; i < 40; i++)); do
		grep -q ready "$T_TMP/sig.out" && break
		sleep 0.05
	done
	oci kill ${C}sig USR1 || msg+="kill USR1 failed"$'\n'
	sleep 0.3
	oci kill ${C}sig || msg+="kill (TERM) failed"$'\n'
	wait_status ${C}sig 5 stopped || msg+="not stopped after TERM: $(oci state ${C}sig 2>&1)"$'\n'
	[[ $(cat "$T_TMP/sig.out") == $'ready\ngot USR1\ngot TERM' ]] || msg+="guest output: $(cat "$T_TMP/sig.out")"$'\n'
	oci delete ${C}sig || msg+="delete failed"$'\n'
	write_config sleep 100
	oci create --bundle "$BUNDLE" ${C}sig2 </dev/null >/dev/null 2>&1 || msg+="create failed"$'\n'
	oci kill ${C}sig2 9 || msg+="kill 9 of a created container failed"$'\n'
	wait_status ${C}sig2 5 stopped || msg+="created container not stopped by kill 9: $(oci state ${C}sig2 2>&1)"$'\n'
	oci delete ${C}sig2 || msg+="delete failed"$'\n'
	if [[ -z $msg ]]; then
		t_pass oci/kill_signals
	else
		t_fail oci/kill_signals "$msg"
	fi
fi

if t_selected oci/kill_all; then
	msg=
	write_config sh -c 'sleep 100 & sleep 100 & echo ready; wait'
	oci run -d --bundle "$BUNDLE" ${C}all </dev/null >"$T_TMP/all.out" 2>&1 || msg+="run -d failed"$'\n'
	for ((i = 0; i < 40; i++)); do
		grep -q ready "$T_TMP/all.out" && break
		sleep 0.05
	done
	oci kill --all ${C}all KILL || msg+="kill --all failed"$'\n'
	wait_status ${C}all 5 stopped || msg+="not stopped: $(oci state ${C}all 2>&1)"$'\n'
	oci delete ${C}all || msg+="delete failed"$'\n'
	if [[ -z $msg ]]; then
		t_pass oci/kill_all
	else
		t_fail oci/kill_all "$msg"
	fi
fi

if t_selected oci/delete_force_running; then
	pids_before=$(runsc_pids)
	host_snapshot >"$T_TMP/snap"
	write_config sleep 100
	oci run -d --bundle "$BUNDLE" ${C}forced </dev/null >/dev/null 2>&1
	oci delete --force ${C}forced 2>"$T_TMP/err"
	st=$?
	msg=$(leftovers "$pids_before" "$T_TMP/snap")
	if [[ $st == 0 && -z $msg ]] && ! oci state ${C}forced >/dev/null 2>&1; then
		t_pass oci/delete_force_running
	else
		t_fail oci/delete_force_running "exit $st: $(cat "$T_TMP/err") $msg"
	fi
fi

# ---- ps, pause and resume, events, resources, features ----

if t_selected oci/ps; then
	write_config sh -c 'sleep 100 & sleep 100 & echo ready; wait'
	oci run -d --bundle "$BUNDLE" "${C}ps" </dev/null >"$T_TMP/ps.out" 2>&1
	for ((i = 0; i < 40; i++)); do
		grep -q ready "$T_TMP/ps.out" && break
		sleep 0.05
	done
	# Three processes: init and its two children (busybox may run sleep without an exec, so
	# their names are not checked). The JSON is runc's, for containerd's shim: the host PIDs
	# of the sandbox's processes, the pid file's among them, every one a runsc-* process.
	for ((i = 0; i < 40; i++)); do
		table=$(oci ps "${C}ps" | awk 'NR > 1 { print $2, $3 }')
		[[ $(wc -l <<<"$table") == 3 ]] && break
		sleep 0.05
	done
	json=$(oci ps --format json "${C}ps")
	sandbox_pid=$(oci state "${C}ps" | sed -n 's/^  "pid": \([0-9]*\),$/\1/p')
	json_ok=no
	if [[ $json =~ ^\[[0-9]+(,[0-9]+)*\]$ && ,${json:1:-1}, == *,$sandbox_pid,* ]]; then
		json_ok=yes
		for pid in ${json//[\[\],]/ }; do
			[[ $(cat "/proc/$pid/comm" 2>/dev/null) == runsc-* ]] || json_ok=no
		done
	fi
	if [[ $table =~ ^1\ 0$'\n'[0-9]+\ 1$'\n'[0-9]+\ 1$ && $json_ok == yes ]] &&
		oci ps "${C}ps" | head -1 | grep -q '^UID *PID *PPID'; then
		t_pass oci/ps
	else
		t_fail oci/ps "ps (PID PPID):"$'\n'"$table"$'\n'"ps --format json: $json (sandbox pid $sandbox_pid)"
	fi
	oci delete --force "${C}ps" >/dev/null 2>&1
fi

# Lines a counting guest has written to $1 so far.
lines_of() {
	wc -l <"$1"
}

if t_selected oci/pause_resume; then
	msg=
	write_config sh -c 'while :; do echo tick; sleep 0.02; done'
	oci run -d --bundle "$BUNDLE" "${C}pause" </dev/null >"$T_TMP/pause.out" 2>&1 || msg+="run -d failed"$'\n'
	sleep 0.3
	oci pause "${C}pause" 2>>"$T_TMP/pause.err" || msg+="pause failed: $(cat "$T_TMP/pause.err")"$'\n'
	grep -q '"status": "paused"' <(oci state "${C}pause") || msg+="not paused: $(oci state "${C}pause" 2>&1)"$'\n'
	n1=$(lines_of "$T_TMP/pause.out")
	sleep 0.5
	n2=$(lines_of "$T_TMP/pause.out")
	((n2 > n1 + 1)) && msg+="the guest ran while paused ($n1, then $n2 lines)"$'\n'
	oci pause "${C}pause" 2>/dev/null && msg+="a second pause succeeded"$'\n'
	oci kill "${C}pause" TERM 2>/dev/null && msg+="kill TERM of a paused container succeeded"$'\n'
	oci resume "${C}pause" 2>>"$T_TMP/pause.err" || msg+="resume failed: $(cat "$T_TMP/pause.err")"$'\n'
	grep -q '"status": "running"' <(oci state "${C}pause") || msg+="not running after resume"$'\n'
	sleep 0.5
	n3=$(lines_of "$T_TMP/pause.out")
	((n3 > n2 + 3)) || msg+="the guest did not go on after resume ($n2, then $n3 lines)"$'\n'
	oci resume "${C}pause" 2>/dev/null && msg+="resume of a running container succeeded"$'\n'
	oci pause "${C}pause" 2>/dev/null
	oci kill "${C}pause" KILL || msg+="kill KILL of a paused container failed"$'\n'
	wait_status "${C}pause" 5 stopped || msg+="not stopped after kill: $(oci state "${C}pause" 2>&1)"$'\n'
	oci delete "${C}pause" || msg+="delete failed"$'\n'
	if [[ -z $msg ]]; then
		t_pass oci/pause_resume
	else
		t_fail oci/pause_resume "$msg"
	fi
fi

if t_selected oci/events_stats; then
	write_config sleep 100
	oci run -d --bundle "$BUNDLE" "${C}ev" </dev/null >/dev/null 2>&1
	out=$(oci events --stats "${C}ev" 2>&1)
	if [[ $(echo "$out" | wc -l) == 1 && $out == '{"type":"stats","id":"'"${C}ev"'","data":{"cpu":{"usage":{"total":'* &&
		$out =~ \"pids\":\{\"current\":[1-9] ]]; then
		t_pass oci/events_stats
	else
		t_fail oci/events_stats "$out"
	fi
	oci delete --force "${C}ev" >/dev/null 2>&1
fi

# The cgroup directory of container $1 for controller $2 (v1) or the unified one (v2).
cgroup_dir() {
	if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
		echo "/sys/fs/cgroup/cvisor/$1"
	else
		echo "/sys/fs/cgroup/$2/cvisor/$1"
	fi
}

if t_selected oci/resources_applied; then
	msg=
	write_config sleep 100
	edit_config -e 's/"resources": {/"resources": {"memory": {"limit": 268435456}, "pids": {"limit": 200},/'
	oci run -d --bundle "$BUNDLE" "${C}res" </dev/null >"$T_TMP/res.out" 2>&1 || msg+="run -d failed: $(cat "$T_TMP/res.out")"$'\n'
	mem=$(cgroup_dir "${C}res" memory)
	pids=$(cgroup_dir "${C}res" pids)
	limit=$(cat "$mem/memory.limit_in_bytes" 2>/dev/null || cat "$mem/memory.max" 2>/dev/null)
	[[ $limit == 268435456 ]] || msg+="memory limit in $mem: '$limit'"$'\n'
	[[ $(cat "$pids/pids.max" 2>/dev/null) == 200 ]] || msg+="pids.max in $pids: $(cat "$pids/pids.max" 2>&1)"$'\n'
	sentry=$(oci state "${C}res" | sed -n 's/^  "pid": \([0-9]*\),$/\1/p')
	grep -q "$sentry" "$pids/cgroup.procs" 2>/dev/null || msg+="the sandbox process is not in $pids"$'\n'
	oci delete --force "${C}res" || msg+="delete failed"$'\n'
	[[ -e $mem || -e $pids ]] && msg+="the cgroup is left after delete"$'\n'
	if [[ -z $msg ]]; then
		t_pass oci/resources_applied
	else
		t_fail oci/resources_applied "$msg"
	fi
fi

if t_selected oci/features; then
	out=$(oci features 2>&1)
	if [[ $out == '{'*'"ociVersionMax": "'*'"namespaces": ['* ]]; then
		t_pass oci/features
	else
		t_fail oci/features "$(echo "$out" | head -20)"
	fi
fi

# Hooks run on the host with the state on stdin, at runc's points; a failing one fails create.
if t_selected oci/hooks; then
	hook=$T_TMP/hook.sh
	printf '#!/bin/sh\nstatus=$(sed -n "s/.*\\"status\\":\\"\\\\([a-z]*\\\\)\\".*/\\\\1/p")\necho "$1 $status" >>%s\n' "$T_TMP/hooks.log" >"$hook"
	chmod +x "$hook"
	: >"$T_TMP/hooks.log"
	write_config sh -c "echo guest; sleep 0.5"
	h() { printf '{"path": "%s", "args": ["hook", "%s"]}' "$hook" "$1"; }
	edit_config -e "s|\"hostname\": \"runc\",|\"hostname\": \"runc\", \"hooks\": {\"prestart\": [$(h prestart)], \"createRuntime\": [$(h createRuntime)], \"createContainer\": [$(h createContainer)], \"startContainer\": [$(h startContainer)], \"poststart\": [$(h poststart)], \"poststop\": [$(h poststop)]},|"
	oci run --bundle "$BUNDLE" "${C}hooks" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	want=$'prestart created\ncreateRuntime created\ncreateContainer created\nstartContainer created\npoststart running\npoststop stopped'
	if [[ $st == 0 && $(cat "$T_TMP/hooks.log") == "$want" && $(cat "$T_TMP/out") == guest ]]; then
		t_pass oci/hooks
	else
		t_fail oci/hooks "exit $st; hooks ran:"$'\n'"$(cat "$T_TMP/hooks.log")"$'\n'"stderr: $(cat "$T_TMP/err")"
	fi
	write_config true
	edit_config -e 's|"hostname": "runc",|"hostname": "runc", "hooks": {"createRuntime": [{"path": "/bin/false"}]},|'
	bad_input oci/hook_failure_fails_create "createRuntime\[0\] (/bin/false) exited with status 1" create --bundle "$BUNDLE" "${C}hookfail"
fi

# ---- bad input: one line naming what is wrong, a non-zero exit, nothing left ----

write_config true
cp "$BUNDLE/config.json" "$T_TMP/good.json"
restore_config() { cp "$T_TMP/good.json" "$BUNDLE/config.json"; }

head -c 200 "$T_TMP/good.json" >"$BUNDLE/config.json"
bad_input oci/bad_malformed_json "malformed JSON" create --bundle "$BUNDLE" ${C}bad1
restore_config
edit_config -e 's/"path": "rootfs"/"path": "no-such-rootfs"/'
bad_input oci/bad_missing_rootfs "no-such-rootfs" create --bundle "$BUNDLE" ${C}bad2
restore_config
edit_config -e 's/"cwd": "\/"/"cwd": 7/'
bad_input oci/bad_field_type "process.cwd must be a string" create --bundle "$BUNDLE" ${C}bad3
restore_config
edit_config -e 's/"uid": 0,/"uid": "root",/'
bad_input oci/bad_uid_type "process.user.uid must be an integer" run --bundle "$BUNDLE" ${C}bad4
restore_config
edit_config -e '/"cwd": "\/",/d'
bad_input oci/bad_missing_field "process.cwd is required" create --bundle "$BUNDLE" ${C}bad5
restore_config
edit_config -e 's/"RLIMIT_NOFILE"/"RLIMIT_NOPE"/'
bad_input oci/bad_rlimit "RLIMIT_NOPE" create --bundle "$BUNDLE" ${C}bad6
restore_config
bad_input oci/bad_missing_bundle "/no/such/bundle" create --bundle /no/such/bundle ${C}bad7
bad_input oci/bad_container_id "invalid container ID" create --bundle "$BUNDLE" ../escape
bad_input oci/state_missing_id "container nosuch does not exist" state nosuch
bad_input oci/delete_missing_id "container nosuch does not exist" delete nosuch
bad_input oci/kill_missing_id "container nosuch does not exist" kill nosuch KILL
bad_input oci/bad_command_flag "unknown flag" create --no-such-flag x

if t_selected oci/bad_signal; then
	write_config sleep 100
	oci create --bundle "$BUNDLE" ${C}badsig </dev/null >/dev/null 2>&1
	bad_input oci/bad_signal "unknown signal" kill ${C}badsig NOSUCHSIG
	if grep -q '"status": "created"' <(oci state ${C}badsig 2>&1); then
		t_pass oci/bad_signal_keeps_container
	else
		t_fail oci/bad_signal_keeps_container "$(oci state badsig 2>&1)"
	fi
	oci delete ${C}badsig >/dev/null 2>&1
fi

if t_selected oci/create_existing_id; then
	write_config sleep 100
	oci create --bundle "$BUNDLE" ${C}dup </dev/null >/dev/null 2>&1
	bad_input oci/create_existing_id "already exists" create --bundle "$BUNDLE" ${C}dup
	oci delete --force ${C}dup >/dev/null 2>&1
fi

# runsc create killed at any moment: never a sandbox without a record; delete clears the rest.
if t_selected oci/create_killed_midway; then
	pids_before=$(runsc_pids)
	host_snapshot >"$T_TMP/snap"
	write_config sleep 100
	for ((i = 0; i < 12; i++)); do
		oci create --bundle "$BUNDLE" "${C}k$i" </dev/null >/dev/null 2>&1 &
		sleep "0.0$((i % 6))"
		kill -KILL "$(pgrep -P $! | head -1)" 2>/dev/null
		wait
	done
	msg=
	for ((i = 0; i < 12; i++)); do
		oci delete --force "${C}k$i" >/dev/null 2>&1
		oci state "${C}k$i" >/dev/null 2>&1 && msg+="${C}k$i still exists after delete --force"$'\n'
	done
	msg+=$(leftovers "$pids_before" "$T_TMP/snap")
	if [[ -z $msg ]]; then
		t_pass oci/create_killed_midway
	else
		t_fail oci/create_killed_midway "$msg"
	fi
fi

# ---- in the end: nothing of any container on the host ----

if t_selected oci/nothing_left; then
	msg=
	[[ -n $(find "$STATE" -mindepth 1 2>/dev/null) ]] && msg+="in --root: $(find "$STATE" -mindepth 1)"$'\n'
	left=$(comm -13 <(echo "$pids_start") <(runsc_pids))
	for ((i = 0; i < 40 && -n $left; i++)); do
		sleep 0.05
		left=$(comm -13 <(echo "$pids_start") <(runsc_pids))
	done
	[[ -n $left ]] && msg+="processes: $(echo $left)"
	if [[ -z $msg ]]; then
		t_pass oci/nothing_left
	else
		t_fail oci/nothing_left "$msg"
	fi
fi
exit 0
