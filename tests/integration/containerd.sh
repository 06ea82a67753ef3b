#!/bin/bash
# Integration: containerd runs runsc through its shims, on a containerd of the script's own
# (its own root, state, socket and config.toml) and an image imported from a busybox rootfs:
# ctr run --runc-binary (the runc v2 shim running runsc), and ctr run --runtime of a runtime
# whose binary containerd's config.toml names; the output and exit status come back, a running
# task is killed, and nothing of a container is left after it.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/clients.sh
source "$(dirname "$0")/../clients.sh"

# Nothing to do when the filter selects none of these checks.
clients_any_selected containerd/client containerd/daemon containerd/import \
	containerd/runc_binary_output containerd/runc_binary_exit_status \
	containerd/config_runtime_output containerd/config_runtime_exit_status containerd/kill || exit 0
clients_can_run containerd ctr containerd || exit 0
clients_can_run containerd containerd containerd || exit 0

CTD=$T_TMP/ctd
SOCK=$CTD/containerd.sock
IMAGE=localhost/cvisor-busybox:latest
# runsc's --root under each path: the runc v2 shim's is --runc-root/NAMESPACE; the v1
# runtime's is runtime_root/NAMESPACE (config.toml).
V2_ROOT=$CTD/runsc-v2
V1_ROOT=$CTD/runsc-v1
# Container IDs are host-wide (cgroups are named after them): ours carry the script's PID.
C=ctd$$-

ctr_() {
	t_timeout ctr --address "$SOCK" "$@"
}

# ctr_remove ID: takes container ID down, its task first.
ctr_remove() {
	ctr_ task kill -s KILL "$1" >/dev/null 2>&1
	ctr_ task rm -f "$1" >/dev/null 2>&1
	ctr_ containers rm "$1" >/dev/null 2>&1
}

# shellcheck disable=SC2317 # called by lib.sh's exit trap
t_on_exit() {
	local id
	if [[ -S $SOCK ]]; then
		for id in $(ctr_ containers ls -q 2>/dev/null); do
			ctr_remove "$id"
		done
	fi
	clients_stop_daemon "$CTD/containerd.pid"
	clients_last_resort "$V2_ROOT/default" "$V1_ROOT/default"
	clients_unmount_tmp
}

# containerd's config: everything under $CTD; no CRI (the checks use ctr); the v1 runtime
# (io.containerd.runtime.v1.linux: containerd-shim and the OCI runtime it runs) set to runsc.
# ctr reads no runtime table of the CRI plugin's: a runtime named in the config for ctr is
# this one; the runc v2 shim with BinaryName from a daemon's config is what docker.sh runs.
mkdir -p "$CTD"
cat >"$CTD/config.toml" <<EOF
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
	"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
	"io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"
[plugins."io.containerd.runtime.v1.linux"]
  shim = "containerd-shim"
  runtime = "$RUNSC_ABS"
  runtime_root = "$V1_ROOT"
EOF

(
	cd "$CLIENT_CWD" || exit 1
	containerd --config "$CTD/config.toml" >"$CTD/containerd.log" 2>&1 &
	echo $! >"$CTD/containerd.pid"
)
for ((i = 0; i < 200; i++)); do
	ctr_ version >/dev/null 2>&1 && break
	sleep 0.1
done
if ! ctr_ version >/dev/null 2>&1; then
	t_fail containerd/daemon "containerd did not start:"$'\n'"$(tail -20 "$CTD/containerd.log")"
	exit 0
fi

clients_rootfs_tar "$T_TMP/rootfs.tar"
clients_oci_archive "$T_TMP/rootfs.tar" "$T_TMP/image.tar" "$IMAGE"
if ! ctr_ images import "$T_TMP/image.tar" >"$T_TMP/import.log" 2>&1 ||
	! ctr_ images ls -q | grep -qx "$IMAGE"; then
	t_fail containerd/import "ctr images import failed:"$'\n'"$(t_head "$T_TMP/import.log")"
	exit 0
fi

# ctr_run NAME STATUS OUTPUT [ctr run flags] -- CMD...: ctr run --rm of a fresh container
# passes when it exits with STATUS after printing exactly OUTPUT, leaving nothing behind.
ctr_run() {
	local name=$1 want_st=$2 want_out=$3 flags=() id st left
	shift 3
	while [[ $1 != -- ]]; do
		flags+=("$1")
		shift
	done
	shift
	t_selected "$name" || return 0
	id=$C${name##*/}
	clients_note_id "$id"
	ctr_ run --rm "${flags[@]}" "$IMAGE" "$id" "$@" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	# ctr run --rm removes the task and the container, unless it was killed.
	if ctr_ containers info "$id" >/dev/null 2>&1; then
		ctr_remove "$id"
		t_fail "$name" "the container was still there after ctr run returned $(t_status_word $st)"$'\n'"stderr: $(t_head "$T_TMP/err")"
		return 1
	fi
	if ! left=$(clients_leftovers "$id" "$V2_ROOT" "$V1_ROOT"); then
		t_fail "$name" "container $id: $left"$'\n'"stderr: $(t_head "$T_TMP/err")"
		return 1
	fi
	clients_check "$name" "$want_st" "$want_out" "$T_TMP/out" "$st" "$T_TMP/err"
}

V2=(--runc-binary "$RUNSC_ABS" --runc-root "$V2_ROOT")
V1=(--runtime io.containerd.runtime.v1.linux)

ctr_run containerd/runc_binary_output 0 "hello from containerd" "${V2[@]}" -- \
	echo hello from containerd
ctr_run containerd/runc_binary_exit_status 3 "" "${V2[@]}" -- sh -c 'exit 3'
ctr_run containerd/config_runtime_output 0 "hello from containerd" "${V1[@]}" -- \
	echo hello from containerd
ctr_run containerd/config_runtime_exit_status 3 "" "${V1[@]}" -- sh -c 'exit 3'

# A task running in the background: ctr task ls shows it running, ctr task kill reaches it, and
# the ctr run waiting for it returns the status of SIGKILL (128 + 9).
if t_selected containerd/kill; then
	id=${C}kill
	clients_note_id "$id"
	msg=
	ctr_ run --rm "${V2[@]}" "$IMAGE" "$id" sleep 100 </dev/null >"$T_TMP/out" 2>"$T_TMP/err" &
	bg=$!
	for ((i = 0; i < 100; i++)); do
		status=$(ctr_ task ls 2>/dev/null | awk -v id="$id" '$1 == id { print $3 }')
		[[ $status == RUNNING ]] && break
		sleep 0.1
	done
	[[ $status == RUNNING ]] || msg+="task status \"$status\", want RUNNING"$'\n'
	ctr_ task kill -s KILL "$id" >"$T_TMP/kill.err" 2>&1 ||
		msg+="ctr task kill: $(cat "$T_TMP/kill.err")"$'\n'
	wait "$bg"
	st=$?
	ctr_ containers info "$id" >/dev/null 2>&1 && msg+="the container was still there after ctr run returned"$'\n'
	ctr_remove "$id"
	[[ $st == 137 ]] || msg+="ctr run: status $(t_status_word $st), want 137; stderr: $(t_head "$T_TMP/err")"$'\n'
	left=$(clients_leftovers "$id" "$V2_ROOT" "$V1_ROOT") || msg+="container $id: $left"
	if [[ -z $msg ]]; then
		t_pass containerd/kill
	else
		t_fail containerd/kill "$msg"
	fi
fi
