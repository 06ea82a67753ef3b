#!/bin/bash
# Integration: Docker runs containers with runsc as a runtime of its own (dockerd --add-runtime,
# then containerd's runc v2 shim with runsc as its BinaryName), on a dockerd of the script's own
# (its own data root, exec root and socket) and an image imported from a busybox rootfs: docker
# run's output and exit status, docker run -it (a terminal), docker exec, docker stop within
# its timeout, docker rm; nothing of a container is left after it.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/clients.sh
source "$(dirname "$0")/../clients.sh"

# Nothing to do when the filter selects none of these checks.
clients_any_selected docker/client docker/daemon docker/import docker/output \
	docker/exit_status docker/tty docker/run_detached docker/exec docker/stop docker/rm || exit 0
clients_can_run docker dockerd docker.io || exit 0
# Debian's docker.io client matches its dockerd; another docker on PATH may be newer.
DOCKER_BIN=/usr/bin/docker
[[ -x $DOCKER_BIN ]] || DOCKER_BIN=$(command -v docker)
if [[ -z $DOCKER_BIN ]]; then
	t_selected docker/ && t_skip docker/client "no docker client (Debian package docker.io)"
	exit 0
fi

DK=$T_TMP/dk
SOCK=$DK/docker.sock
IMAGE=cvisor-busybox:latest
RUNTIME=cvisor
RUN_FLAGS=(--runtime "$RUNTIME" --network none)
# The client's own configuration directory, not the user's ~/.docker.
export DOCKER_CONFIG=$DK/client

dk() {
	t_timeout "$DOCKER_BIN" -H "unix://$SOCK" "$@"
}

# runsc's --root directories under dockerd's exec root (runtime-NAME/moby).
runsc_roots() {
	local d
	for d in "$DK"/exec/runtime-*; do
		[[ -d $d ]] && echo "$d"
	done
	echo "$DK/exec/no-runtime-root-yet"
}

# shellcheck disable=SC2317 # called by lib.sh's exit trap
t_on_exit() {
	local ids
	if [[ -S $SOCK ]]; then
		ids=$(dk ps -aq 2>/dev/null)
		# shellcheck disable=SC2086 # one word per ID
		[[ -n $ids ]] && dk rm -f $ids >/dev/null 2>&1
	fi
	# dockerd stops the containerd it started (the shims outlive it, by design).
	clients_stop_daemon "$DK/docker.pid"
	# shellcheck disable=SC2046 # one word per root
	clients_last_resort $(runsc_roots)
	clients_unmount_tmp
}

# dockerd: no iptables, no bridge (containers run with --network none), the vfs storage driver
# (no mounts of its own to clean up), an empty daemon.json instead of /etc/docker's; runsc
# added as the runtime "cvisor". The containerd dockerd starts lives under its exec root.
mkdir -p "$DK/client"
echo '{}' >"$DK/daemon.json"
(
	cd "$CLIENT_CWD" || exit 1
	dockerd --config-file "$DK/daemon.json" --data-root "$DK/data" --exec-root "$DK/exec" \
		--pidfile "$DK/docker.pid" -H "unix://$SOCK" --iptables=false --ip6tables=false \
		--bridge=none --storage-driver vfs --add-runtime "$RUNTIME=$RUNSC_ABS" \
		>"$DK/dockerd.log" 2>&1 &
)
for ((i = 0; i < 300; i++)); do
	dk version >/dev/null 2>&1 && break
	sleep 0.1
done
if ! dk version >/dev/null 2>&1; then
	t_fail docker/daemon "dockerd did not start:"$'\n'"$(tail -20 "$DK/dockerd.log")"
	exit 0
fi

clients_rootfs_tar "$T_TMP/rootfs.tar"
if ! dk import "$T_TMP/rootfs.tar" "$IMAGE" >"$T_TMP/import.log" 2>&1; then
	t_fail docker/import "docker import failed:"$'\n'"$(t_head "$T_TMP/import.log")"
	exit 0
fi

# dk_run NAME STATUS OUTPUT [--tty] [docker run flags] -- CMD...: docker run --rm (with
# RUN_FLAGS) passes when the container exits with STATUS after printing exactly OUTPUT, and
# nothing of it is left on the host afterwards. --tty: docker run -it under script(1), which
# gives docker the terminal it wants.
dk_run() {
	local name=$1 want_st=$2 want_out=$3 flags=() id st left tty=no cmd
	shift 3
	while [[ $1 != -- ]]; do
		if [[ $1 == --tty ]]; then
			tty=yes
		else
			flags+=("$1")
		fi
		shift
	done
	shift
	t_selected "$name" || return 0
	rm -f "$T_TMP/cid"
	if [[ $tty == yes ]]; then
		printf -v cmd '%q ' "$DOCKER_BIN" -H "unix://$SOCK" run -it --rm "${RUN_FLAGS[@]}" \
			--cidfile "$T_TMP/cid" "${flags[@]}" "$IMAGE" "$@"
		# Its input stays open (at EOF script would send the terminal a ^D, which the
		# guest's terminal echoes); the sleep goes once script is done.
		t_timeout script -qec "$cmd" /dev/null < <(exec sleep "$TEST_TIMEOUT") \
			>"$T_TMP/out" 2>"$T_TMP/err"
		st=$?
		kill "$!" 2>/dev/null
	else
		dk run --rm "${RUN_FLAGS[@]}" --cidfile "$T_TMP/cid" "${flags[@]}" "$IMAGE" "$@" \
			</dev/null >"$T_TMP/out" 2>"$T_TMP/err"
		st=$?
	fi
	id=$(cat "$T_TMP/cid" 2>/dev/null)
	clients_note_id "$id"
	# docker run --rm waits for the removal, unless it was killed (the container lives on).
	if [[ -n $id ]] && dk inspect "$id" >/dev/null 2>&1; then
		dk rm -f "$id" >/dev/null 2>&1
		t_fail "$name" "the container was still there after docker run returned $(t_status_word $st)"$'\n'"output: $(t_head "$T_TMP/out")"$'\n'"stderr: $(t_head "$T_TMP/err")"
		return 1
	fi
	# shellcheck disable=SC2046 # one word per root
	if [[ -n $id ]] && ! left=$(clients_leftovers "$id" $(runsc_roots)); then
		t_fail "$name" "container $id: $left"$'\n'"output: $(t_head "$T_TMP/out")"$'\n'"stderr: $(t_head "$T_TMP/err")"
		return 1
	fi
	clients_check "$name" "$want_st" "$want_out" "$T_TMP/out" "$st" "$T_TMP/err"
}

dk_run docker/output 0 "hello from docker" -- echo hello from docker
dk_run docker/exit_status 3 "" -- sh -c 'exit 3'
# -it: the guest's stdin and stdout are a terminal of the sandbox's devpts.
dk_run docker/tty 0 "/dev/pts/0" --tty -- tty

# One container in the background for exec, stop and rm, in that order.
NAME=cvisor-test-$$
ID=
if t_selected docker/exec || t_selected docker/stop || t_selected docker/rm; then
	ID=$(dk run -d --name "$NAME" "${RUN_FLAGS[@]}" "$IMAGE" sleep 1000 2>"$T_TMP/err")
	clients_note_id "$ID"
	if [[ -z $ID ]]; then
		t_fail docker/run_detached "docker run -d failed:"$'\n'"$(t_head "$T_TMP/err")"
	fi
fi

# docker exec: a second process in the running container (not its PID 1), its output and its
# exit status.
if [[ -n $ID ]] && t_selected docker/exec; then
# shellcheck disable=SC2016 # expanded in the guest
	dk exec "$NAME" sh -c 'echo exec in $(cat /proc/1/comm) as pid $$; exit 5' \
		</dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	out=$(cat "$T_TMP/out")
	if [[ $st == 5 && $out =~ ^exec\ in\ sleep\ as\ pid\ [0-9]+$ && $out != *" pid 1" ]]; then
		t_pass docker/exec
	else
		t_fail docker/exec "exit status $(t_status_word $st) (want 5), output \"$out\""$'\n'"stderr: $(t_head "$T_TMP/err")"
	fi
fi

# docker stop -t 5: SIGTERM, then SIGKILL once the 5 s are up; it returns within them and the
# few seconds the kill and the bookkeeping take (sleep as PID 1 ignores SIGTERM under Linux,
# so the 5 s may all be spent), and the container is stopped.
if [[ -n $ID ]] && t_selected docker/stop; then
	start=$(date +%s%N)
	dk stop -t 5 "$NAME" >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	running=$(dk inspect -f '{{.State.Running}}' "$NAME" 2>&1)
	if [[ $st == 0 && $ms -lt 9000 && $running == false ]]; then
		t_pass docker/stop
	else
		t_fail docker/stop "docker stop -t 5: status $(t_status_word $st) after ${ms} ms (want 0 within 9000), running: $running"$'\n'"stderr: $(t_head "$T_TMP/err")"
	fi
fi

# docker rm: the container is gone, and so is everything of it on the host.
if [[ -n $ID ]] && t_selected docker/rm; then
	dk rm -f "$NAME" >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	# shellcheck disable=SC2046 # one word per root
	left=$(clients_leftovers "$ID" $(runsc_roots))
	lst=$?
	if [[ $st == 0 && $lst == 0 ]] && ! dk inspect "$NAME" >/dev/null 2>&1; then
		t_pass docker/rm
	else
		t_fail docker/rm "docker rm: status $st; $left"$'\n'"stderr: $(t_head "$T_TMP/err")"
	fi
fi
