#!/bin/bash
# Integration: a bundle's security settings on a busybox container — linux.seccomp enforced by
# the sentry on the guest's syscalls (actions, errnos, conditional rules, Docker's default
# profile), process.capabilities and noNewPrivileges as the guest sees them, and a malformed
# seccomp section refused with one line and nothing left behind.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

BUSYBOX=/bin/busybox
if [[ ! -x $BUSYBOX ]]; then
	t_selected security/ && t_skip security/busybox "no $BUSYBOX (Debian package busybox-static)"
	exit 0
fi

# Nothing to set up when the filter selects none of the tests named here.
t_any_selected security || exit 0

STATE=$T_TMP/state   # --root of every runsc call here
BUNDLE=$T_TMP/bundle # a busybox bundle; config.json is rewritten by each test
ROOTFS=$BUNDLE/rootfs
DOCKER_PROFILE=$T_ROOT/tests/data/docker-default-seccomp.json
# Container IDs name cgroups, which are host-wide: another run of this script must not meet ours.
C=sec$$-

# shellcheck source=tests/oci-lib.sh
source "$(dirname "$0")/../oci-lib.sh"
OCI_WRITABLE_ROOT=yes # tests that want a read-only root say so

# What a refused bundle might leave: state entries, the sentry's empty root, cgroups, mounts.
host_snapshot() {
	{
		find "$STATE" -mindepth 1 2>/dev/null
		find /tmp /var/tmp /dev/shm -mindepth 1 -maxdepth 1 -name 'runsc-*' 2>/dev/null
		find /sys/fs/cgroup -maxdepth 4 -path "*/cvisor/$C*" 2>/dev/null
		sed 's/^/mount: /' /proc/mounts
	} | sort
}

# Puts a member ("key": value) first in the "linux" object of config.json.
add_linux() {
	local line
	while IFS= read -r line || [[ -n $line ]]; do
		printf '%s\n' "$line"
		[[ $line == $'\t"linux": {' ]] && printf '\t\t%s,\n' "$1"
	done <"$BUNDLE/config.json" >"$T_TMP/config.json"
	mv "$T_TMP/config.json" "$BUNDLE/config.json"
}

# Sets process.capabilities: every set to the names given ("CAP_KILL CAP_CHOWN ...").
set_caps() {
	local names='' n line skip=no
	for n in $1; do
		names+="${names:+, }\"$n\""
	done
	while IFS= read -r line || [[ -n $line ]]; do
		if [[ $line == $'\t\t"capabilities": {' ]]; then
			skip=yes
			printf '\t\t"capabilities": {"bounding": [%s], "effective": [%s], "inheritable": [%s], "permitted": [%s], "ambient": []},\n' \
				"$names" "$names" "$names" "$names"
		elif [[ $skip == yes ]]; then
			[[ $line == $'\t\t},' ]] && skip=no
		else
			printf '%s\n' "$line"
		fi
	done <"$BUNDLE/config.json" >"$T_TMP/config.json"
	mv "$T_TMP/config.json" "$BUNDLE/config.json"
}

# run_expect NAME STATUS STDOUT: runs the bundle as it is; passes on that status and output.
run_expect() {
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

# bad_seccomp NAME GREP SECCOMP_JSON: a bundle with that linux.seccomp must be refused by
# create with one line containing GREP, and leave nothing behind.
bad_seccomp() {
	local name=$1 want=$2 st before i new
	t_selected "$name" || return 0
	write_config true
	add_linux "\"seccomp\": $3"
	host_snapshot >"$T_TMP/snap"
	oci create --bundle "$BUNDLE" "$C${name//\//-}" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	for ((i = 0; i < 40; i++)); do
		new=$(comm -13 "$T_TMP/snap" <(host_snapshot))
		[[ -z $new ]] && break
		sleep 0.05
	done
	if [[ $st != 0 && $st != 124 && $(wc -l <"$T_TMP/err") == 1 && -z $new ]] &&
		grep -q -- "$want" "$T_TMP/err"; then
		t_pass "$name"
	else
		t_fail "$name" "exit $(t_status_word $st), want non-zero and one line with \"$want\"; stderr:"$'\n'"$(t_head "$T_TMP/err")"$'\n'"left: $new"
	fi
}

mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$STATE"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[[ -e $ROOTFS/bin/$applet ]] || ln -s busybox "$ROOTFS/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n' >"$ROOTFS/etc/passwd"
echo marker >"$ROOTFS/etc/marker"

# ---- seccomp ----

# An ERRNO rule: mkdir fails with the errno the rule names (ENOSPC), the rest runs.
write_config sh -c 'mkdir /tmp/d; echo "status $?"; cat /etc/marker'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]}'
run_expect security/seccomp_errno_rule 0 "status 1"$'\n'"marker"
if t_selected security/seccomp_errno_rule && ! grep -q "No space left on device" "$T_TMP/err"; then
	t_fail security/seccomp_errno_rule_message "mkdir's message is not ENOSPC's: $(t_head "$T_TMP/err")"
fi

# defaultAction ERRNO with an allow list that runs sh: what is not listed fails with EPERM.
allow='"arch_prctl", "brk", "clone", "close", "dup", "dup2", "dup3", "execve", "exit", "exit_group", "fcntl", "fstat", "getcwd", "getpid", "getppid", "getrandom", "getuid", "geteuid", "ioctl", "lseek", "mprotect", "mmap", "munmap", "newfstatat", "open", "openat", "prctl", "prlimit64", "read", "readlink", "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sendfile", "set_robust_list", "set_tid_address", "uname", "wait4", "write"'
write_config sh -c 'echo ok; cat /etc/marker; mkdir /tmp/d 2>/dev/null || echo "mkdir refused"'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"], "syscalls": [{"names": ['"$allow"', "no_such_syscall"], "action": "SCMP_ACT_ALLOW"}]}'
run_expect security/seccomp_default_errno_allow_list 0 "ok"$'\n'"marker"$'\n'"mkdir refused"

# defaultErrnoRet names the default's errno.
write_config sh -c 'mkdir /tmp/d'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 122, "syscalls": [{"names": ['"$allow"'], "action": "SCMP_ACT_ALLOW"}]}'
run_expect security/seccomp_default_errno_ret 1 ""
if t_selected security/seccomp_default_errno_ret && ! grep -q "Disk quota exceeded" "$T_TMP/err"; then
	t_fail security/seccomp_default_errno_ret_message "not EDQUOT's message: $(t_head "$T_TMP/err")"
fi

# Conditional rules: kill(2) with signal 15 or 1 refused (one argument compared twice: one rule
# per comparison, as runc makes them), signal 0 allowed; openat with O_CREAT refused
# (MASKED_EQ) with the rule's errno, reading allowed; a rule with the default action changes
# nothing.
write_config sh -c 'kill -0 $$ && echo zero-ok; kill -TERM $$ || echo term-refused; kill -HUP $$ || echo hup-refused; echo x >/tmp/f || echo create-refused; cat /etc/marker; ls /etc/marker'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}, {"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30, "args": [{"index": 2, "value": 64, "valueTwo": 64, "op": "SCMP_CMP_MASKED_EQ"}]}, {"names": ["lstat", "newfstatat", "statx"], "action": "SCMP_ACT_ALLOW"}]}'
run_expect security/seccomp_conditional_rules 0 "zero-ok"$'\n'"term-refused"$'\n'"hup-refused"$'\n'"create-refused"$'\n'"marker"$'\n'"/etc/marker"
if t_selected security/seccomp_conditional_rules && ! grep -q "Read-only file system" "$T_TMP/err"; then
	t_fail security/seccomp_conditional_rules_errno "not the rule's EROFS: $(t_head "$T_TMP/err")"
fi

# An unconditional rule for a syscall overrides its conditional ones (libseccomp's tree), even
# one listed before it: kill -TERM gets EPERM, not TRACE's ENOSYS.
write_config sh -c 'kill -TERM $$ || echo term-refused'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_TRACE", "args": [{"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]}, {"names": ["kill"], "action": "SCMP_ACT_ERRNO"}]}'
run_expect security/seccomp_unconditional_wins 0 "term-refused"
if t_selected security/seccomp_unconditional_wins && ! grep -q "Operation not permitted" "$T_TMP/err"; then
	t_fail security/seccomp_unconditional_wins_message "not EPERM: $(t_head "$T_TMP/err")"
fi

# KILL_PROCESS: the process dies of SIGSYS, runsc exits 128+31.
write_config sh -c 'echo before; exec mkdir /tmp/d'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
run_expect security/seccomp_kill_process 159 "before"

# TRAP: SIGSYS, which kills a process without a handler; KILL (the thread) too; LOG allows.
write_config sh -c 'sh -c "rmdir /tmp"; echo "trap $?"; sh -c "mkdir /tmp/d"; echo "kill $?"'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["rmdir", "unlinkat"], "action": "SCMP_ACT_TRAP"}, {"names": ["write"], "action": "SCMP_ACT_LOG"}, {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}'
run_expect security/seccomp_trap_kill_log 0 "trap 159"$'\n'"kill 159"

# TRAP with a handler: the shell's trap runs, and the call "returns" the syscall number Linux
# leaves in the register (umask is 95 on x86-64: 0137), as runc shows on the host.
if [[ $(uname -m) == x86_64 ]]; then
	write_config sh -c 'trap "echo caught SIGSYS" SYS; umask 077; echo after; umask'
	add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["umask"], "action": "SCMP_ACT_TRAP"}]}'
	run_expect security/seccomp_trap_handler 0 "caught SIGSYS"$'\n'"after"$'\n'"0137"$'\n'"caught SIGSYS"
fi

# TRACE with no tracer: ENOSYS, as Linux.
write_config sh -c 'mkdir /tmp/d'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRACE"}]}'
run_expect security/seccomp_trace_enosys 1 ""
if t_selected security/seccomp_trace_enosys && ! grep -q "Function not implemented" "$T_TMP/err"; then
	t_fail security/seccomp_trace_enosys_message "not ENOSYS's message: $(t_head "$T_TMP/err")"
fi

# The profile is the container's: /proc shows a filter, forks and execs keep it.
write_config sh -c 'grep -E "^(Seccomp|Seccomp_filters):" /proc/self/status; sh -c "mkdir /tmp/d 2>/dev/null || echo child-refused"'
add_linux '"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
run_expect security/seccomp_proc_status_and_children 0 "Seccomp:	2"$'\n'"Seccomp_filters:	1"$'\n'"child-refused"

# Docker's default profile (moby's, as dockerd hands it to runc on amd64 with the default
# capabilities) parses, and a shell runs under it.
if t_selected security/seccomp_docker_default; then
	write_config sh -c 'echo ok; cat /etc/marker; ls /etc | wc -l; mkdir /tmp/d && echo mkdir-ok'
	add_linux "\"seccomp\": $(cat "$DOCKER_PROFILE")"
	run_expect security/seccomp_docker_default 0 "ok"$'\n'"marker"$'\n'"2"$'\n'"mkdir-ok"
fi

# ---- capabilities and noNewPrivileges ----

DOCKER_CAPS="CAP_CHOWN CAP_DAC_OVERRIDE CAP_FSETID CAP_FOWNER CAP_MKNOD CAP_NET_RAW CAP_SETGID CAP_SETUID CAP_SETFCAP CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_SYS_CHROOT CAP_KILL CAP_AUDIT_WRITE"

# Docker's capabilities: root's sets after execve are the bounding set (0xa80425fb).
write_config sh -c 'grep ^Cap /proc/self/status; touch /tmp/x; chown 1 /tmp/x && echo chown-ok'
set_caps "$DOCKER_CAPS"
run_expect security/caps_docker_set 0 "CapInh:	00000000a80425fb
CapPrm:	00000000a80425fb
CapEff:	00000000a80425fb
CapBnd:	00000000a80425fb
CapAmb:	0000000000000000
chown-ok"

# Without CAP_CHOWN, root cannot give a file away.
write_config sh -c 'touch /tmp/x; chown 1 /tmp/x || echo chown-refused'
set_caps "${DOCKER_CAPS/CAP_CHOWN /}"
run_expect security/caps_no_chown 0 "chown-refused"
if t_selected security/caps_no_chown && ! grep -q "Operation not permitted" "$T_TMP/err"; then
	t_fail security/caps_no_chown_message "not EPERM: $(t_head "$T_TMP/err")"
fi

# Without CAP_SYS_CHROOT chroot fails; without CAP_SYS_ADMIN hostname cannot be set.
write_config sh -c 'chroot / true || echo chroot-refused; hostname other || echo hostname-refused'
set_caps "${DOCKER_CAPS/CAP_SYS_CHROOT /}"
run_expect security/caps_no_chroot_no_admin 0 "chroot-refused"$'\n'"hostname-refused"

# A non-root process: empty permitted and effective sets, the bounding set as given.
write_config sh -c 'grep -E "^Cap(Prm|Eff|Bnd):" /proc/self/status'
set_caps "$DOCKER_CAPS"
edit_config -e 's/"uid": 0/"uid": 1000/' -e 's/"gid": 0/"gid": 1000/'
run_expect security/caps_uid_1000_empty 0 "CapPrm:	0000000000000000
CapEff:	0000000000000000
CapBnd:	00000000a80425fb"

# runsc spec's sets (runc's): ambient capabilities that are not inheritable are not raised,
# so a non-root process keeps nothing (the same as runc run on the host).
write_config sh -c 'grep -E "^Cap(Prm|Eff|Amb):" /proc/self/status'
edit_config -e 's/"uid": 0/"uid": 1000/' -e 's/"gid": 0/"gid": 1000/'
run_expect security/caps_ambient_needs_inheritable 0 "CapPrm:	0000000000000000
CapEff:	0000000000000000
CapAmb:	0000000000000000"

# noNewPrivileges (runsc spec sets it) shows in /proc; off, it does not.
write_config sh -c 'grep NoNewPrivs /proc/self/status'
run_expect security/no_new_privs_on 0 "NoNewPrivs:	1"
write_config sh -c 'grep NoNewPrivs /proc/self/status'
edit_config -e 's/"noNewPrivileges": true/"noNewPrivileges": false/'
run_expect security/no_new_privs_off 0 "NoNewPrivs:	0"

# ---- malformed seccomp sections ----

bad_seccomp security/bad_seccomp_action "linux.seccomp.syscalls\[0\].action: unknown action \"SCMP_ACT_NOPE\"" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}'
bad_seccomp security/bad_seccomp_default_action "linux.seccomp.defaultAction is required" \
	'{"syscalls": []}'
bad_seccomp security/bad_seccomp_op "linux.seccomp.syscalls\[0\].args\[0\].op: unknown operator" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}'
bad_seccomp security/bad_seccomp_names_type "linux.seccomp.syscalls\[0\].names must be an array" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "mkdir", "action": "SCMP_ACT_ERRNO"}]}'
bad_seccomp security/bad_seccomp_index "linux.seccomp.syscalls\[0\].args\[0\].index is out of range" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'
bad_seccomp security/bad_seccomp_value_type "linux.seccomp.syscalls\[0\].args\[0\].value must be an integer" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": "one", "op": "SCMP_CMP_EQ"}]}]}'
bad_seccomp security/bad_seccomp_notify "SCMP_ACT_NOTIFY is not supported" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
bad_seccomp security/bad_seccomp_errno_on_allow "errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE" \
	'{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}'
bad_seccomp security/bad_seccomp_arch "linux.seccomp.architectures\[1\]: unknown architecture \"SCMP_ARCH_Z80\"" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]}'
bad_seccomp security/bad_seccomp_flag "unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}'
bad_seccomp security/bad_seccomp_type "linux.seccomp must be an object" '[]'
# libseccomp (so runc) refuses two rules with one set of conditions and different actions.
bad_seccomp security/bad_seccomp_conflicting_rules "linux.seccomp.syscalls\[1\]: kill has the same conditions as an earlier rule" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]}, {"names": ["kill"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]}]}'
