# shellcheck shell=bash
# Shared by tests/integration/{podman,containerd,docker}.sh (sourced after lib.sh): whether the
# client checks run here, the busybox image they import, and the check that nothing of a
# container is left on the host once the client has removed it.
#
# Each script starts its client with its own state under $T_TMP (Podman's --root/--runroot, a
# containerd or dockerd of its own) and stops it in t_on_exit, whatever happened.

BUSYBOX=/bin/busybox
# The clients run runsc from their own processes: it needs an absolute path.
RUNSC_ABS=$(realpath "$RUNSC" 2>/dev/null || echo "$RUNSC")
# Every process a client starts for us carries this in its environment (containerd and dockerd
# pass theirs on to the shims and runsc), or PWD=$CLIENT_CWD (Podman's conmon passes a fixed
# environment, PWD among it; Podman runs from there): what clients_last_resort may kill.
export CVISOR_CLIENT_TEST_TAG=$$-$RANDOM
CLIENT_CWD=$T_TMP/cwd
mkdir -p "$CLIENT_CWD"

# clients_any_selected NAME...: whether TEST_FILTER selects any of the script's checks (when
# none is, the script starts no daemon and builds no image).
clients_any_selected() {
	local name
	for name in "$@"; do
		t_selected "$name" && return 0
	done
	return 1
}

# clients_can_run SCRIPT BINARY PACKAGE: true when the client checks of SCRIPT run here; else
# prints one SKIP line (when SCRIPT/ is selected) saying why.
clients_can_run() {
	local script=$1 bin=$2 pkg=$3 why=
	if ! command -v "$bin" >/dev/null 2>&1; then
		why="no $bin (Debian package $pkg; ./configure --install-deps installs it)"
	elif [[ -n $RUNSC_FLAGS ]]; then
		# The clients call runsc with their own arguments: RUNSC_FLAGS (tests/run
		# --platform=ptrace) cannot reach it, so such a run would repeat the default one.
		why="the client calls runsc itself: RUNSC_FLAGS ($RUNSC_FLAGS) cannot reach it; the default run covers it"
	elif grep -qs -- -fsanitize "$BUILDDIR/build.ninja" ||
		{ [[ $BUILDDIR == build ]] && grep -qs -- -fsanitize build.ninja; }; then
		# The commands the clients issue run under the sanitizers in oci.sh; the clients
		# themselves take minutes a run, once is enough (the default build's run).
		why="a sanitizer build: the client checks run against the default build only"
	elif [[ $(id -u) != 0 ]]; then
		why="needs root (the client's daemon and cgroups)"
	elif [[ ! -x $BUSYBOX ]]; then
		why="no $BUSYBOX for the image (Debian package busybox-static)"
	elif [[ ! -x $RUNSC_ABS ]]; then
		why="no $RUNSC"
	fi
	[[ -z $why ]] && return 0
	t_selected "$script/" && t_skip "$script/client" "$why"
	return 1
}

# clients_rootfs_tar FILE: a busybox root filesystem as a tar: the static busybox, its applets
# as links, /etc/passwd with root and user (1000), /etc/group, /tmp.
clients_rootfs_tar() {
	local root=$T_TMP/image-rootfs applet
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home/user"
	chmod 1777 "$root/tmp"
	cp "$BUSYBOX" "$root/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\n' >"$root/etc/group"
	tar -C "$root" -cf "$1" . && rm -rf "$root"
}

# clients_runsc_pids ID: PIDs of live host processes named runsc-* of container ID: those in a
# cgroup named after it, or whose environment names it (the shims run runsc in the bundle
# directory, which Go passes on as PWD).
clients_runsc_pids() {
	local f pid comm state
	grep -lsF -- "$1" /proc/[0-9]*/cgroup /proc/[0-9]*/environ 2>/dev/null |
		while read -r f; do
			pid=${f#/proc/}
			pid=${pid%/*}
			comm=$(cat "/proc/$pid/comm" 2>/dev/null)
			state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
			[[ $comm == runsc-* && -n $state && $state != Z ]] && echo "$pid"
		done | sort -u
}

# clients_leftovers ID STATE_ROOT...: within a 3 s grace, no runsc-* process of container ID
# alive, no state directory ID under the runsc --root directories the client used, no cgroup
# named after ID. Prints what is left; false if anything is.
clients_leftovers() {
	local id=$1 procs state cg msg='' deadline=$((SECONDS + 3))
	shift
	while :; do
		procs=$(clients_runsc_pids "$id")
		state=$(find "$@" -maxdepth 3 -name "$id" 2>/dev/null)
		cg=$(find /sys/fs/cgroup -maxdepth 6 -name "*$id*" 2>/dev/null)
		[[ -z $procs && -z $state && -z $cg ]] && return 0
		((SECONDS >= deadline)) && break
		sleep 0.1
	done
	[[ -n $procs ]] && msg+="runsc processes left: $(ps -o pid=,comm= -p "$(paste -sd, <<<"$procs")" | tr '\n' ' ')"$'\n'
	[[ -n $state ]] && msg+="runsc state left: $state"$'\n'
	[[ -n $cg ]] && msg+="cgroups left: ${cg//$'\n'/ }"$'\n'
	printf '%s' "$msg"
	return 1
}

# clients_note_id ID: a container this script made, for clients_last_resort.
clients_note_id() {
	[[ -n $1 ]] && echo "$1" >>"$T_TMP/client-ids"
}

# clients_last_resort STATE_ROOT...: after the client's own cleanup, at exit: runsc delete
# --force of every container noted, under each root, then SIGKILL to whatever process this
# script started that is still alive (shims, conmon, sandboxes; by PID, ours only).
clients_last_resort() {
	local id root f pid
	if [[ -f $T_TMP/client-ids ]]; then
		while read -r id; do
			for root in "$@"; do
				[[ -d $root/$id ]] &&
					timeout -k 5 20 "$RUNSC_ABS" --root "$root" delete --force "$id" >/dev/null 2>&1
			done
		done <"$T_TMP/client-ids"
	fi
	grep -lsxzE "CVISOR_CLIENT_TEST_TAG=$CVISOR_CLIENT_TEST_TAG|PWD=$CLIENT_CWD" /proc/[0-9]*/environ 2>/dev/null |
		while read -r f; do
			pid=${f#/proc/}
			pid=${pid%/environ}
			[[ $pid != "$$" && $pid != "$BASHPID" ]] && kill -KILL "$pid" 2>/dev/null
		done
	return 0
}

# clients_stop_daemon PIDFILE: stops the daemon whose PID the file holds (SIGTERM, then SIGKILL
# after 15 s), and waits for it.
clients_stop_daemon() {
	local pid i
	pid=$(cat "$1" 2>/dev/null) || return 0
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.2
}

# Unmounts whatever a client left mounted under $T_TMP, deepest first, so that lib.sh's rm -rf
# of $T_TMP stays inside it.
clients_unmount_tmp() {
	local m
	awk -v t="$T_TMP/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do
			umount -l "$m" 2>/dev/null
		done
}

# clients_check NAME WANT_STATUS WANT_OUT OUT_FILE STATUS [STDERR_FILE]: one result line from a
# client command's exit status and output (carriage returns, as a terminal adds, dropped).
clients_check() {
	local name=$1 want_st=$2 want_out=$3 out=$4 st=$5 errf=${6:-} got msg=
	got=$(tr -d '\r' <"$out")
	if [[ $st == "$want_st" && $got == "$want_out" ]]; then
		t_pass "$name"
		return 0
	fi
	[[ $st != "$want_st" ]] && msg+="exit status: want $want_st, got $(t_status_word "$st")"$'\n'
	[[ $got != "$want_out" ]] && msg+="output: want \"$want_out\", got \"$got\""$'\n'
	[[ -n $errf && -s $errf ]] && msg+="stderr:"$'\n'$(t_head "$errf")
	t_fail "$name" "$msg"
	return 1
}

# clients_oci_archive ROOTFS_TAR OUT NAME: an OCI image archive (oci-layout, index.json, blobs)
# of one uncompressed layer, named NAME, for ctr images import.
clients_oci_archive() {
	local dir=$T_TMP/oci-layout arch layer lsize config csize manifest msize
	case $(uname -m) in
	x86_64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) arch=$(uname -m) ;;
	esac
	rm -rf "$dir"
	mkdir -p "$dir/blobs/sha256"
	layer=$(sha256sum <"$1" | cut -d' ' -f1)
	lsize=$(stat -c %s "$1")
	cp "$1" "$dir/blobs/sha256/$layer"
	printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$arch" "$layer" >"$dir/config"
	config=$(sha256sum <"$dir/config" | cut -d' ' -f1)
	csize=$(stat -c %s "$dir/config")
	mv "$dir/config" "$dir/blobs/sha256/$config"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$config" "$csize" "$layer" "$lsize" >"$dir/manifest"
	manifest=$(sha256sum <"$dir/manifest" | cut -d' ' -f1)
	msize=$(stat -c %s "$dir/manifest")
	mv "$dir/manifest" "$dir/blobs/sha256/$manifest"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
		"$manifest" "$msize" "$3" >"$dir/index.json"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	tar -C "$dir" -cf "$2" oci-layout index.json blobs && rm -rf "$dir"
}
