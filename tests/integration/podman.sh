#!/bin/bash
# Integration: Podman runs containers with runsc as its OCI runtime (--runtime, through conmon)
# on an image imported from a busybox rootfs: the output, the exit status, -e, -w, -u, -v,
# --read-only and -t reach the guest; nothing of a container is left once Podman removed it.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/clients.sh
source "$(dirname "$0")/../clients.sh"

# Nothing to do when the filter selects none of these checks.
clients_any_selected podman/client podman/import podman/output podman/exit_status podman/env \
	podman/workdir podman/user podman/volume podman/rootfs_writable podman/read_only podman/tty || exit 0
clients_can_run podman podman podman || exit 0

PM=$T_TMP/podman
# Podman's own state under $PM; cgroups are v1 here (cgroupfs), events go to a file.
PODMAN=(podman --root "$PM/root" --runroot "$PM/run" --tmpdir "$PM/tmp" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file --runtime "$RUNSC_ABS")
# runsc's --root: Podman's cleanup process (conmon's exit command) calls the runtime without
# --runtime-flag, so runsc keeps its default, as it would for any Podman user.
RUNSC_ROOTS=(/run/cvisor)
# This VM forbids raising rlimits above the caller's: the container gets what it has.
RUN_FLAGS=(--rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
IMAGE=localhost/cvisor-busybox

# Podman under the timeout, from $CLIENT_CWD (its conmon passes that to runsc as PWD, how
# clients_runsc_pids knows our sandboxes).
pm() {
	(cd "$CLIENT_CWD" && t_timeout "${PODMAN[@]}" "$@")
}

# shellcheck disable=SC2317 # called by lib.sh's exit trap
t_on_exit() {
	pm rm --all --force --time 0 >/dev/null 2>&1
	clients_last_resort "${RUNSC_ROOTS[@]}"
	clients_unmount_tmp
}

# pm_run NAME STATUS OUTPUT [podman run flags] -- CMD...: podman run (with RUN_FLAGS and
# --rm) passes when the container exits with STATUS after printing exactly OUTPUT on stdout,
# and nothing of it is left on the host afterwards.
pm_run() {
	local name=$1 want_st=$2 want_out=$3 flags=() id st left
	shift 3
	while [[ $1 != -- ]]; do
		flags+=("$1")
		shift
	done
	shift
	t_selected "$name" || return 0
	rm -f "$T_TMP/cid"
	pm run "${RUN_FLAGS[@]}" --cidfile "$T_TMP/cid" "${flags[@]}" "$IMAGE" "$@" \
		</dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	id=$(cat "$T_TMP/cid" 2>/dev/null)
	clients_note_id "$id"
	# podman run --rm removes the container before it returns, unless it was killed.
	if [[ -n $id ]] && pm container exists "$id"; then
		pm rm --force --time 0 "$id" >/dev/null 2>&1
		t_fail "$name" "the container was still there after podman run returned $(t_status_word $st)"$'\n'"stderr: $(t_head "$T_TMP/err")"
		return 1
	fi
	if [[ -n $id ]] && ! left=$(clients_leftovers "$id" "${RUNSC_ROOTS[@]}"); then
		t_fail "$name" "container $id: $left"$'\n'"stderr: $(t_head "$T_TMP/err")"
		return 1
	fi
	clients_check "$name" "$want_st" "$want_out" "$T_TMP/out" "$st" "$T_TMP/err"
}

# The image: a busybox rootfs imported (no registry here).
clients_rootfs_tar "$T_TMP/rootfs.tar"
if ! pm import "$T_TMP/rootfs.tar" "$IMAGE" >"$T_TMP/import.log" 2>&1; then
	t_fail podman/import "podman import failed:"$'\n'"$(t_head "$T_TMP/import.log")"
	exit 0
fi

pm_run podman/output 0 "hello from podman" -- echo hello from podman
pm_run podman/exit_status 3 "" -- sh -c 'exit 3'
# shellcheck disable=SC2016 # expanded in the guest
pm_run podman/env 0 bar -e FOO=bar -- sh -c 'echo $FOO'
pm_run podman/workdir 0 /tmp -w /tmp -- pwd
# shellcheck disable=SC2016 # expanded in the guest
pm_run podman/user 0 "1000 1000" -u 1000 -- sh -c 'echo $(id -u) $(id -g)'

# -v: a host directory read and written from inside; the host sees what the guest wrote.
if t_selected podman/volume; then
	mkdir -p "$T_TMP/vol"
	echo from-host >"$T_TMP/vol/in"
	if pm_run podman/volume 0 from-host -v "$T_TMP/vol:/vol" -- \
		sh -c 'cat /vol/in && echo from-guest >/vol/out'; then
		if [[ $(cat "$T_TMP/vol/out" 2>/dev/null) != from-guest ]]; then
			# pm_run counted a pass: take it back with a failure that says why.
			sed -i '$d' "$T_RESULTS"
			t_fail podman/volume "the host's $T_TMP/vol/out holds \"$(cat "$T_TMP/vol/out" 2>&1)\", not from-guest"
		fi
	fi
fi

# --read-only: the root cannot be written (the same command writes without it).
probe='if touch /probe 2>/dev/null; then echo writable; else echo read-only; fi'
pm_run podman/rootfs_writable 0 writable -- sh -c "$probe"
pm_run podman/read_only 0 read-only --read-only -- sh -c "$probe"

# -t: the guest's stdout is a terminal of the sandbox's devpts (conmon holds the master,
# received over --console-socket).
pm_run podman/tty 0 "/dev/pts/0" -t -- tty
