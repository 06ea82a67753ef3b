#!/bin/bash
# Integration: the platforms themselves. Under systrap every stub is seccomp-filtered and not
# traced, and a stub killed from outside ends its guest with SIGKILL; both platforms run the
# same programs with the same output, whichever --platform the run was given.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

BUSYBOX=/bin/busybox
BG_PID=

# shellcheck disable=SC2317 # called by lib.sh's exit trap
t_on_exit() {
	[[ -n $BG_PID ]] && kill -KILL -- "-$BG_PID" 2>/dev/null
}

# Host PIDs of the runsc-stub processes under process $1 (a timeout leading the run).
stubs_of() {
	local p sentry
	for p in $(pgrep -P "$1"); do
		for sentry in $(pgrep -P "$p"); do
			pgrep -P "$sentry" -x runsc-stub
		done
	done
}

# Starts "runsc --platform=systrap do CMD..." in the background, in its own process group;
# waits (5 s at most) until it has $1 stubs. Sets BG_PID and STUBS.
start_systrap() {
	local want=$1 i
	shift
	setsid timeout -k 5 "$TEST_TIMEOUT" "$RUNSC" --platform=systrap "do" "$@" </dev/null \
		>"$T_TMP/bg.out" 2>"$T_TMP/bg.err" &
	BG_PID=$!
	for ((i = 0; i < 100; i++)); do
		STUBS=$(stubs_of "$BG_PID")
		(($(echo "$STUBS" | grep -c .) >= want)) && return 0
		sleep 0.05
	done
	return 1
}

stop_bg() {
	kill -KILL -- "-$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	BG_PID=
}

if [[ ! -x $BUSYBOX ]]; then
	t_skip platform/all "no $BUSYBOX (Debian package busybox-static)"
	exit 0
fi

# A stub's guest syscalls trap by its own filter (stacked on the sentry's), not by ptrace: the
# first stub, the template, and the stubs forked from it.
if t_selected platform/systrap_stubs_filtered_untraced; then
	if start_systrap 3 "$BUSYBOX" sh -c 'sleep 3 & sleep 3'; then
		msg=
		for p in $STUBS; do
			seccomp=$(awk '/^Seccomp:/ {print $2}' "/proc/$p/status")
			filters=$(awk '/^Seccomp_filters:/ {print $2}' "/proc/$p/status")
			tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$p/status")
			[[ $seccomp == 2 && ${filters:-2} -ge 2 && $tracer == 0 ]] ||
				msg+="stub $p: Seccomp $seccomp, Seccomp_filters $filters, TracerPid $tracer"$'\n'
		done
		if [[ -z $msg ]]; then
			t_pass platform/systrap_stubs_filtered_untraced
		else
			t_fail platform/systrap_stubs_filtered_untraced "$msg"
		fi
	else
		t_fail platform/systrap_stubs_filtered_untraced "no stubs appeared:"$'\n'"$(t_head "$T_TMP/bg.err")"
	fi
	stop_bg
fi

# Killed from outside, the stubs take their guest with them (SIGKILL: 137), at once when it was
# running guest code (a guest in a blocking syscall would hear of it when that returns).
if t_selected platform/systrap_stub_killed; then
	if start_systrap 1 "$BUSYBOX" sh -c 'while :; do :; done'; then
		start=$SECONDS
		# shellcheck disable=SC2086 # one PID per word
		kill -KILL $STUBS
		wait "$BG_PID"
		st=$?
		BG_PID=
		if [[ $st == 137 ]] && ((SECONDS - start < 5)); then
			t_pass platform/systrap_stub_killed
		else
			t_fail platform/systrap_stub_killed "exit $(t_status_word $st) after $((SECONDS - start)) s, want 137 at once"$'\n'"$(t_head "$T_TMP/bg.err")"
		fi
	else
		t_fail platform/systrap_stub_killed "no stubs appeared:"$'\n'"$(t_head "$T_TMP/bg.err")"
		stop_bg
	fi
fi

# A "mov $nr, %eax; syscall" site that trapped is patched under systrap (a jump through the
# table at 0x60000, 0x06 where the syscall instruction was), never under ptrace; the results of
# patched sites are checked against native runs by guest/x86_64_patch.
site_bytes=$BUILDDIR/guest/x86_64_patch-static
for p in systrap ptrace; do
	t_selected "platform/${p}_site_bytes" || continue
	want='b8 6e 00 00 00 0f 05'
	[[ $p == systrap ]] && want='ff 24 25 [0-9a-f]{2} [0-9a-f]{2} 06 00'
	got=$(timeout "$TEST_TIMEOUT" "$RUNSC" --platform=$p do "$site_bytes" --site-bytes 2>&1)
	if [[ $got =~ ^$want$ ]]; then
		t_pass "platform/${p}_site_bytes"
	else
		t_fail "platform/${p}_site_bytes" "site bytes: $got, want $want"
	fi
done

# Fork, exec, pipes, signals and FP under each platform, whatever the run's --platform.
# shellcheck disable=SC2016 # expanded by the guest's shell
script='echo $((6*7)); ls / | wc -l >/dev/null; trap "echo usr1" USR1; (kill -USR1 $$) & wait; awk "BEGIN {print 1/3}"'
for p in systrap ptrace; do
	RUNSC_FLAGS="--platform=$p" t_expect "platform/$p"_runs_shell 0 $'42\nusr1\n0.333333' -- "$BUSYBOX" sh -c "$script"
done
exit 0
