#!/bin/bash
# Integration: the sandbox's own kernel state — its hostname, its processes, its /proc — is
# its own: changing it inside changes nothing on the host.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

host_name=$(uname -n)
t_expect kernel/sethostname_inside 0 sandbox-test -- /bin/busybox sh -c 'hostname sandbox-test && hostname'
if t_selected kernel/hostname_unchanged_on_host; then
	if [[ $(uname -n) == "$host_name" ]]; then
		t_pass kernel/hostname_unchanged_on_host
	else
		t_fail kernel/hostname_unchanged_on_host "the host's hostname changed to $(uname -n)"
	fi
fi
t_expect kernel/proc_self_is_pid1 0 1 -- /bin/busybox readlink /proc/self
t_expect kernel/proc_status_name 0 "Name:	cat" -- /bin/busybox sh -c 'cat /proc/self/status | head -1'
t_expect kernel/proc_cmdline 0 "cat|/proc/self/cmdline|" -- /bin/busybox sh -c "cat /proc/self/cmdline | tr '\\0' '|'; echo"
# The inner shell's parent (the subshell) exits at once; the inner shell then reads its own
# parent PID from /proc: init's.
t_expect kernel/orphan_reparented_to_init 0 1 -- /bin/busybox sh -c '(/bin/busybox sh -c "sleep 0.2; cut -d\" \" -f4 /proc/\$\$/stat" &) ; sleep 0.5'
# Host pipes as stdio, in both directions, carrying more than a pipe holds while the other end
# is slow: every byte arrives, in order (the sentry writes what fits and waits for the rest).
if t_selected kernel/host_pipes_bulk; then
	big=$T_TMP/pipe-bulk
	head -c $((8 << 20)) /dev/urandom >"$big"
	want=$(md5sum <"$big")
	out=$(t_runsc /bin/busybox cat "$big" | { sleep 0.3; md5sum; })
	in=$( { sleep 0.3; cat "$big"; } | t_runsc /bin/busybox md5sum)
	if [[ $out == "$want" && ${in%% *} == "${want%% *}" ]]; then
		t_pass kernel/host_pipes_bulk
	else
		t_fail kernel/host_pipes_bulk "md5 out: $out, in: $in, want $want"
	fi
fi
exit 0
