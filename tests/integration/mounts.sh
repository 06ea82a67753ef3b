#!/bin/bash
# Integration: a bundle's mounts end to end on a busybox bundle — bind mounts (directories and
# files, read-write reaching the host, read-only refused with EROFS), tmpfs, a read-only root,
# linux.maskedPaths and readonlyPaths, mountpoints made in the sandbox only, noexec, and
# /proc/self/mounts; bad mounts answered with one line; nothing left on the host.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

BUSYBOX=/bin/busybox
if [[ ! -x $BUSYBOX ]]; then
	t_selected mounts/ && t_skip mounts/busybox "no $BUSYBOX (Debian package busybox-static)"
	exit 0
fi

# Nothing to do (and no bundle to make) when the filter selects none of this script's tests.
t_any_selected mounts || exit 0

STATE=$T_TMP/state   # --root of every runsc call here
BUNDLE=$T_TMP/bundle # a busybox bundle; config.json is rewritten by each test
ROOTFS=$BUNDLE/rootfs
HOST=$T_TMP/host # host directories and files that tests bind into the sandbox
C=mnt$$-         # container IDs name host-wide cgroups: unique to this run

# shellcheck source=tests/oci-lib.sh
source "$(dirname "$0")/../oci-lib.sh"
OCI_WRITABLE_ROOT=yes # tests that want a read-only root say so

# Every runsc run here carries this in its environment, and so do the processes it starts:
# others' sandboxes on the same host (a concurrent tests/run) are not ours to count.
export CVISOR_OCI_TEST_TAG=$$-$RANDOM

# What a container of ours might leave on the host: state entries, cgroups, host mounts of
# our paths, anything new in the rootfs (a mountpoint made there), and live processes.
host_snapshot() {
	{
		find "$STATE" "$ROOTFS" -mindepth 1 2>/dev/null
		find /sys/fs/cgroup -maxdepth 4 -path "*/cvisor/$C*" 2>/dev/null
		grep -F "$T_TMP" /proc/mounts | sed 's/^/mount: /'
		runsc_pids | sed 's/^/process: /'
	} | sort
}

# New in host_snapshot since $1 (a file), within a 2 s grace for processes to go.
leftovers() {
	local i new
	for ((i = 0; i < 40; i++)); do
		new=$(comm -13 "$1" <(host_snapshot))
		[[ -z $new ]] && return 0
		sleep 0.05
	done
	echo "$new"
}

# add_mount JSON: appends one object to config.json's mounts (after runc's defaults).
add_mount() {
	local esc=${1//\\/\\\\}
	esc=${esc//&/\\&}
	esc=${esc//|/\\|}
	edit_config -e "s|^\t\],\$|\t\t,$esc\n\t],|"
}

# mount_json DEST TYPE SOURCE [OPTION...]
mount_json() {
	local dest=$1 type=$2 src=$3 opts='' o
	shift 3
	for o in "$@"; do
		opts+="${opts:+, }\"$o\""
	done
	echo "{\"destination\": \"$dest\", \"type\": \"$type\", \"source\": \"$src\", \"options\": [$opts]}"
}

# run_expect NAME STATUS STDOUT: runs the bundle; passes on that status and output, and when
# nothing of the container is left (the rootfs untouched included).
run_expect() {
	local name=$1 want_status=$2 want_out=$3 st left
	t_selected "$name" || return 0
	host_snapshot >"$T_TMP/snap"
	oci run --bundle "$BUNDLE" "$C${name//\//-}" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	left=$(leftovers "$T_TMP/snap")
	if [[ $st == "$want_status" && $(cat "$T_TMP/out") == "$want_out" && -z $left ]]; then
		t_pass "$name"
	else
		t_fail "$name" "exit $(t_status_word $st) (want $want_status), stdout:"$'\n'"$(t_head "$T_TMP/out")"$'\n'"want:"$'\n'"$want_out"$'\n'"stderr:"$'\n'"$(t_head "$T_TMP/err")${left:+$'\n'new on the host: $left}"
	fi
}

# bad_mount NAME GREP: the bundle as it is fails to run with one line containing GREP, and
# leaves nothing behind.
bad_mount() {
	local name=$1 want=$2 st left
	t_selected "$name" || return 0
	host_snapshot >"$T_TMP/snap"
	oci run --bundle "$BUNDLE" "$C${name//\//-}" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	left=$(leftovers "$T_TMP/snap")
	if [[ $st != 0 && $st != 124 && $(wc -l <"$T_TMP/err") == 1 && -z $left ]] &&
		grep -q -- "$want" "$T_TMP/err"; then
		t_pass "$name"
	else
		t_fail "$name" "exit $(t_status_word $st), want non-zero and one line with \"$want\"; stderr:"$'\n'"$(t_head "$T_TMP/err")${left:+$'\n'new on the host: $left}"
	fi
}

mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/data" "$STATE" "$HOST"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[[ -e $ROOTFS/bin/$applet ]] || ln -s busybox "$ROOTFS/bin/$applet"
done
echo "127.0.0.1 rootfs-hosts" >"$ROOTFS/etc/hosts"
echo secret >"$ROOTFS/etc/secret"
mkdir -p "$ROOTFS/etc/secretdir"
echo inside >"$ROOTFS/etc/secretdir/file"
echo data >"$ROOTFS/data/file"
# A dangling symlink, as Debian's /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf.
ln -s ../usr/share/zoneinfo/Zone "$ROOTFS/etc/localtime"

# ---- bind mounts ----

# A directory read and written from inside; the writes are on the host afterwards.
mkdir -p "$HOST/vol"
echo from-host >"$HOST/vol/hostfile"
write_config sh -c 'cat /vol/hostfile; echo from-guest >/vol/new; echo more >>/vol/hostfile; mkdir /vol/d && echo x >/vol/d/f; rm /vol/gone; ls /vol'
echo bye >"$HOST/vol/gone"
add_mount "$(mount_json /vol bind "$HOST/vol" rbind rw)"
run_expect mounts/bind_dir_read_write 0 "from-host"$'\n'"d"$'\n'"hostfile"$'\n'"new"
if t_selected mounts/bind_dir_reaches_host; then
	got="$(cat "$HOST/vol/new" "$HOST/vol/hostfile" "$HOST/vol/d/f" 2>&1; [[ -e $HOST/vol/gone ]] && echo gone-still-there)"
	if [[ $got == "from-guest"$'\n'"from-host"$'\n'"more"$'\n'"x" ]]; then
		t_pass mounts/bind_dir_reaches_host
	else
		t_fail mounts/bind_dir_reaches_host "host files after the run:"$'\n'"$got"
	fi
fi

# Read-only: every kind of write is refused with EROFS, and the host is untouched.
mkdir -p "$HOST/ro"
echo keep >"$HOST/ro/f"
write_config sh -c 'cat /ro/f; for c in "echo x >/ro/f" "echo x >/ro/new" "mkdir /ro/d" "rm /ro/f" "touch /ro/f" "chmod 600 /ro/f" "mv /ro/f /ro/g"; do sh -c "$c" 2>/dev/null && echo "$c: allowed"; done; sh -c "echo x >/ro/new" 2>&1 | grep -o "Read-only file system"'
add_mount "$(mount_json /ro bind "$HOST/ro" bind ro)"
run_expect mounts/bind_ro_erofs 0 "keep"$'\n'"Read-only file system"
if t_selected mounts/bind_ro_host_untouched; then
	if [[ $(ls "$HOST/ro") == f && $(cat "$HOST/ro/f") == keep && $(stat -c %a "$HOST/ro/f") == 644 ]]; then
		t_pass mounts/bind_ro_host_untouched
	else
		t_fail mounts/bind_ro_host_untouched "$(ls -l "$HOST/ro")"
	fi
fi

# File bind mounts, as Docker and Podman make /etc/hosts, /etc/resolv.conf and /etc/hostname:
# the host file's content, written through when read-write; the rootfs's file stays as it was.
echo "10.1.2.3 from-host-hosts" >"$HOST/hosts"
echo "nameserver 10.9.9.9" >"$HOST/resolv.conf"
write_config sh -c 'cat /etc/hosts /etc/resolv.conf; echo "10.4.5.6 added" >>/etc/hosts; echo x >/etc/resolv.conf 2>/dev/null || echo resolv-ro; test -f /etc/hosts && echo is-file'
add_mount "$(mount_json /etc/hosts bind "$HOST/hosts" rbind rprivate)"
add_mount "$(mount_json /etc/resolv.conf bind "$HOST/resolv.conf" bind ro)"
run_expect mounts/bind_file 0 "10.1.2.3 from-host-hosts"$'\n'"nameserver 10.9.9.9"$'\n'"resolv-ro"$'\n'"is-file"
if t_selected mounts/bind_file_reaches_host; then
	if [[ $(cat "$HOST/hosts") == "10.1.2.3 from-host-hosts"$'\n'"10.4.5.6 added" &&
		$(cat "$ROOTFS/etc/hosts") == "127.0.0.1 rootfs-hosts" ]]; then
		t_pass mounts/bind_file_reaches_host
	else
		t_fail mounts/bind_file_reaches_host "host: $(cat "$HOST/hosts"); rootfs: $(cat "$ROOTFS/etc/hosts")"
	fi
fi

# A bind source given relative to the bundle, as config.json allows.
mkdir -p "$BUNDLE/relsrc"
echo relative >"$BUNDLE/relsrc/f"
write_config cat /rel/f
add_mount "$(mount_json /rel bind relsrc bind)"
run_expect mounts/bind_relative_source 0 relative
rm -rf "$BUNDLE/relsrc"

# The host changes a bind-mounted directory while the container runs, after the guest has
# looked at (and so cached) its files: what the guest sees next follows the host, as through
# runc's bind mount. The guest holds two fds on "grow" opened before; it signals with a file
# and polls for the host's (30 s at most on each side: a failure fails, never hangs).
bind_host_changes() {
	local name=mounts/bind_host_changes live=$HOST/live pid st left i want
	t_selected $name || return 0
	rm -rf "$live"
	mkdir -p "$live"
	echo one >"$live/grow"
	echo doomed >"$live/doomed"
	echo old >"$live/replaced"
	chmod 644 "$live/grow"
	write_config sh -c 'exec 3</live/grow 4</live/grow
stat -c "%s %a %h" /live/grow; cat /live/grow /live/doomed /live/replaced; echo $(ls /live); tail -c 4 <&3
touch /live/guest-ready
i=0; while [ ! -e /live/host-done ]; do i=$((i+1)); [ $i -le 300 ] || { echo host-never-done; exit 1; }; sleep 0.1; done
stat -c "%s %a %h %Y" /live/grow; cat /live/grow; tail -c 4 <&3; cat <&4
cat /live/created /live/replaced; cat /live/doomed 2>/dev/null || echo doomed-gone; echo $(ls /live)'
	add_mount "$(mount_json /live bind "$live" rbind rw)"
	host_snapshot >"$T_TMP/snap"
	oci run --bundle "$BUNDLE" "${C}bind-host-changes" </dev/null >"$T_TMP/out" 2>"$T_TMP/err" &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[[ -e $live/guest-ready ]] && break
		sleep 0.1
	done
	echo two >>"$live/grow"
	chmod 600 "$live/grow"
	ln "$live/grow" "$live/grow-link"
	touch -m -d @1000000000 "$live/grow"
	echo new >"$live/created"
	rm "$live/doomed"
	echo fresh >"$live/replaced.tmp"
	mv "$live/replaced.tmp" "$live/replaced"
	touch "$live/host-done"
	wait $pid
	st=$?
	left=$(leftovers "$T_TMP/snap")
	want="4 644 1"$'\n'"one"$'\n'"doomed"$'\n'"old"$'\n'"doomed grow replaced"$'\n'"one"
	want+=$'\n'"8 600 2 1000000000"$'\n'"one"$'\n'"two"$'\n'"two"$'\n'"one"$'\n'"two"
	want+=$'\n'"new"$'\n'"fresh"$'\n'"doomed-gone"$'\n'"created grow grow-link guest-ready host-done replaced"
	if [[ $st == 0 && $(cat "$T_TMP/out") == "$want" && -z $left ]]; then
		t_pass $name
	else
		t_fail $name "exit $(t_status_word $st) (want 0), stdout:"$'\n'"$(t_head "$T_TMP/out")"$'\n'"want:"$'\n'"$want"$'\n'"stderr:"$'\n'"$(t_head "$T_TMP/err")${left:+$'\n'new on the host: $left}"
	fi
}
bind_host_changes

# ---- tmpfs, read-only root ----

write_config sh -c 'echo t >/tmp/f && cat /tmp/f; stat -c "%a %u %g" /tmp'
add_mount "$(mount_json /tmp tmpfs tmpfs nosuid nodev mode=1777 uid=5 gid=6 size=10m)"
run_expect mounts/tmpfs_tmp 0 "t"$'\n'"1777 5 6"

# root.readonly: EROFS on the root, while a tmpfs on it stays writable.
write_config sh -c 'touch /etc/new 2>&1 | grep -o "Read-only file system"; mkdir /newdir 2>/dev/null || echo mkdir-refused; echo w >/tmp/w && cat /tmp/w'
edit_config -e 's/"readonly": false/"readonly": true/'
add_mount "$(mount_json /tmp tmpfs tmpfs)"
run_expect mounts/readonly_root_tmpfs_writable 0 "Read-only file system"$'\n'"mkdir-refused"$'\n'"w"

# ---- masked and read-only paths ----

# A masked file reads empty, a masked directory is empty; missing ones (and runc's default
# /proc list, most of which the sandbox's /proc lacks) do not fail the container.
write_config sh -c 'echo "[$(cat /etc/secret)]"; ls -A /etc/secretdir | wc -l; echo x >/etc/secretdir/n 2>/dev/null || echo dir-ro; cat /data/file'
edit_config -e 's|"maskedPaths": \[|"maskedPaths": ["/etc/secret", "/etc/secretdir", "/no/such/path",|'
run_expect mounts/masked_paths 0 "[]"$'\n'"0"$'\n'"dir-ro"$'\n'"data"

write_config sh -c 'sh -c "echo x >/data/file" 2>&1 | grep -o "Read-only file system"; touch /data/new 2>/dev/null || echo create-refused; cat /data/file; echo y >/etc/ok && cat /etc/ok'
edit_config -e 's|"readonlyPaths": \[|"readonlyPaths": ["/data", "/no/such/path",|'
run_expect mounts/readonly_paths 0 "Read-only file system"$'\n'"create-refused"$'\n'"data"$'\n'"y"

# A mount made below a read-only path earlier stays visible (the bind is recursive) and keeps
# its own flags.
write_config sh -c 'echo z >/data/sub/f && cat /data/sub/f'
add_mount "$(mount_json /data/sub tmpfs tmpfs)"
edit_config -e 's|"readonlyPaths": \[|"readonlyPaths": ["/data",|'
run_expect mounts/readonly_paths_keep_submounts 0 z

# ---- mountpoints, flags, /proc/self/mounts ----

# Destinations the rootfs lacks (a directory several levels deep, a file, the target of a
# dangling symlink) are made in the sandbox's view; run_expect checks that the rootfs on the
# host is unchanged.
echo deep >"$HOST/deepfile"
echo zone >"$HOST/zone"
write_config sh -c 'cat /new/deep/dir/hostfile; cat /made/file; ls -d /mnt/t; cat /etc/localtime /usr/share/zoneinfo/Zone'
add_mount "$(mount_json /new/deep/dir bind "$HOST/vol" bind ro)"
add_mount "$(mount_json /made/file bind "$HOST/deepfile" bind ro)"
add_mount "$(mount_json /mnt/t tmpfs tmpfs)"
add_mount "$(mount_json /etc/localtime bind "$HOST/zone" bind ro)"
run_expect mounts/missing_destination_made_inside 0 "from-host"$'\n'"more"$'\n'"deep"$'\n'"/mnt/t"$'\n'"zone"$'\n'"zone"

# noexec: execve of a file there is refused with EACCES (busybox sh: status 126).
write_config sh -c 'cp /bin/busybox /x/true && /x/true; echo $?; cp /bin/busybox /tmp/true && /tmp/true && echo exec-ok'
add_mount "$(mount_json /x tmpfs tmpfs noexec)"
add_mount "$(mount_json /tmp tmpfs tmpfs)"
run_expect mounts/noexec 0 "126"$'\n'"exec-ok"

# noexec also refuses executable mappings (mmap PROT_EXEC: EPERM), so the dynamic loader
# cannot map a library from there: a dynamic program and its libraries in the rootfs, libc
# copied to the noexec mount and to /tmp.
if t_selected mounts/noexec_mmap; then
	libc=
	for lib in $(ldd /usr/bin/true 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$ROOTFS$(dirname "$lib")"
		cp -L "$lib" "$ROOTFS$lib"
		[[ $lib == */libc.so* ]] && libc=$lib
	done
	cp /usr/bin/true "$ROOTFS/bin/dyntrue"
	write_config sh -c "cp $libc /x/ && LD_LIBRARY_PATH=/x /bin/dyntrue; echo \$?; cp $libc /tmp/ && LD_LIBRARY_PATH=/tmp /bin/dyntrue && echo lib-ok"
	add_mount "$(mount_json /x tmpfs tmpfs noexec)"
	add_mount "$(mount_json /tmp tmpfs tmpfs)"
	if [[ -n $libc ]]; then
		run_expect mounts/noexec_mmap 0 "127"$'\n'"lib-ok"
		grep -q "failed to map segment" "$T_TMP/err" || t_fail mounts/noexec_mmap_message "$(t_head "$T_TMP/err")"
	else
		t_skip mounts/noexec_mmap "/usr/bin/true is not dynamic here"
	fi
fi

# nodev: a device node there cannot be opened.
write_config sh -c 'cat /dev/null && echo dev-ok; mknod /nd/null c 1 3 2>/dev/null && { cat /nd/null 2>/dev/null || echo nodev-refused; }'
add_mount "$(mount_json /nd tmpfs tmpfs nodev)"
edit_config -e 's/"CAP_KILL",/"CAP_KILL", "CAP_MKNOD",/'
run_expect mounts/nodev 0 "dev-ok"$'\n'"nodev-refused"

# The mount table lists the bundle's mounts with their flags.
write_config sh -c 'grep -E " /(vol|tmp|sys|proc|dev|etc/hosts) " /proc/self/mounts | cut -d" " -f2-4; grep -c . /proc/self/mountinfo >/dev/null && echo mountinfo'
add_mount "$(mount_json /tmp tmpfs tmpfs noexec nosuid)"
add_mount "$(mount_json /vol bind "$HOST/vol" bind ro)"
add_mount "$(mount_json /etc/hosts bind "$HOST/hosts" bind)"
run_expect mounts/proc_self_mounts 0 "/dev tmpfs rw,nosuid"$'\n'"/proc proc rw"$'\n'"/sys sysfs ro,nosuid,nodev,noexec"$'\n'"/tmp tmpfs rw,nosuid,noexec"$'\n'"/vol 9p ro"$'\n'"/etc/hosts 9p rw"$'\n'"mountinfo"

# ---- bad mounts: one line, nothing left ----

write_config true
add_mount "$(mount_json /vol bind "$HOST/no-such-dir" bind)"
bad_mount mounts/bad_missing_source "no-such-dir"

write_config true
add_mount "$(mount_json /vol nfs server:/export)"
bad_mount mounts/bad_unsupported_type "nfs mount is not supported"

write_config true
add_mount "$(mount_json /tmp tmpfs tmpfs mode=abc)"
bad_mount mounts/bad_tmpfs_option "mode=abc"

# A mountpoint missing below a bind mount would be made on the host: refused.
write_config true
add_mount "$(mount_json /vol bind "$HOST/vol" bind)"
add_mount "$(mount_json /vol/missing tmpfs tmpfs)"
bad_mount mounts/bad_mountpoint_below_bind "below a bind mount"
if t_selected mounts/bad_mountpoint_below_bind; then
	[[ -e $HOST/vol/missing ]] && t_fail mounts/bad_mountpoint_host_untouched "$HOST/vol/missing was made" ||
		t_pass mounts/bad_mountpoint_host_untouched
fi

# A directory cannot go on a file.
write_config true
add_mount "$(mount_json /etc/hosts bind "$HOST/vol" bind)"
bad_mount mounts/bad_dir_on_file "cannot be mounted on each other"

if t_selected mounts/nothing_left; then
	msg=
	[[ -n $(find "$STATE" -mindepth 1 2>/dev/null) ]] && msg+="in --root: $(find "$STATE" -mindepth 1)"$'\n'
	for ((i = 0; i < 40; i++)); do
		left=$(runsc_pids)
		[[ -z $left ]] && break
		sleep 0.05
	done
	[[ -n $left ]] && msg+="processes: $(echo $left)"
	if [[ -z $msg ]]; then
		t_pass mounts/nothing_left
	else
		t_fail mounts/nothing_left "$msg"
	fi
fi
exit 0
