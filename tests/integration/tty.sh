#!/bin/bash
# Integration: terminals (process.terminal). With --console-socket the master goes to the
# caller as runc sends it (tools/console-recv plays the caller: conmon, containerd's shim); the
# guest's terminal is the sentry's devpts pty: tty names it, stty size follows the master's
# window size, ^C interrupts the foreground job and the shell goes on, the container ends when
# the shell exits. runsc run in the foreground relays the terminal itself and exits with the
# guest's status. Bad combinations fail on one line; nothing is left behind.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

BUSYBOX=/bin/busybox
RECV=$BUILDDIR/tools/console-recv
if [[ ! -x $BUSYBOX ]]; then
	t_selected tty/ && t_skip tty/busybox "no $BUSYBOX (Debian package busybox-static)"
	exit 0
fi

t_any_selected tty || exit 0

STATE=$T_TMP/state
BUNDLE=$T_TMP/bundle
ROOTFS=$BUNDLE/rootfs
SOCK=$T_TMP/console.sock
C=tty$$-
export CVISOR_OCI_TEST_TAG=tty-$$-$RANDOM

# shellcheck source=tests/oci-lib.sh
source "$(dirname "$0")/../oci-lib.sh"

# shellcheck disable=SC2317 # called by lib.sh's exit trap
t_on_exit() {
	oci_delete_all
	[[ -n ${recv_pid:-} ]] && kill "$recv_pid" 2>/dev/null
}

# Nothing of ours within 2 s: no process, no state entry, no sentry root in /tmp.
nothing_left() {
	local i
	for ((i = 0; i < 40; i++)); do
		[[ -z $(runsc_pids) && -z $(find "$STATE" -mindepth 1 2>/dev/null) ]] && return 0
		sleep 0.05
	done
	echo "left: processes $(runsc_pids | tr '\n' ' ') state $(find "$STATE" -mindepth 1)"
	return 1
}

mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$STATE"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[[ -e $ROOTFS/bin/$applet ]] || ln -s busybox "$ROOTFS/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOTFS/etc/passwd"
# runsc spec's config: an interactive sh with terminal true.
oci spec --bundle "$BUNDLE" || exit 1
grep -q '"terminal": true' "$BUNDLE/config.json" || exit 1

# ---- a session through the console socket ----
if t_selected tty/console_socket; then
	"$RECV" "$SOCK" 'winsize:40:120' 'expect:# ' \
		'send:tty\r' 'expect:/dev/pts/0' 'expect:# ' \
		'send:stty size\r' 'expect:40 120' 'expect:# ' \
		'winsize:50:132' 'sleep:300' 'send:stty size\r' 'expect:50 132' 'expect:# ' \
		'send:sleep 100\r' 'sleep:500' 'send:\x03' 'expect:# ' \
		'send:echo after-$((6*7))\r' 'expect:after-42' \
		'send:exit 7\r' 'eof' >"$T_TMP/transcript" 2>"$T_TMP/recv.err" &
	recv_pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -S $SOCK ]] && break
		sleep 0.05
	done
	if ! oci create --bundle "$BUNDLE" --console-socket "$SOCK" ${C}c </dev/null >"$T_TMP/out" 2>"$T_TMP/err" ||
		! oci start ${C}c </dev/null >>"$T_TMP/out" 2>>"$T_TMP/err"; then
		t_fail tty/console_socket_session "create/start failed:"$'\n'"$(t_head "$T_TMP/err")"
	else
		# The whole script, ^C included, well within sleep 100's time.
		T_LIMIT=60 t_timeout tail --pid="$recv_pid" -f /dev/null
		wait "$recv_pid"
		st=$?
		if [[ $st == 0 ]]; then
			t_pass tty/console_socket_session
		else
			t_fail tty/console_socket_session "console-recv: $(cat "$T_TMP/recv.err")"$'\n'"transcript:"$'\n'"$(cat -v "$T_TMP/transcript" | t_head /dev/stdin)"
		fi
	fi
	recv_pid=
	for ((i = 0; i < 100; i++)); do
		[[ $(oci state ${C}c 2>/dev/null) == *'"stopped"'* ]] && break
		sleep 0.05
	done
	if [[ $(oci state ${C}c 2>&1) == *'"stopped"'* ]] && oci delete ${C}c 2>"$T_TMP/err" &&
		left=$(nothing_left); then
		t_pass tty/console_socket_stopped_and_gone
	else
		t_fail tty/console_socket_stopped_and_gone "state: $(oci state ${C}c 2>&1)"$'\n'"$left"
	fi
fi

# ---- runsc run keeps the terminal itself: its stdin and stdout, the guest's status ----
if t_selected tty/foreground; then
	(sleep 0.5; printf 'tty\necho x-$((40+2))\nexit 3\n') |
		oci run --bundle "$BUNDLE" ${C}f >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	if [[ $st == 3 ]] && grep -q '^/dev/pts/0' "$T_TMP/out" && grep -q 'x-42' "$T_TMP/out" &&
		left=$(nothing_left); then
		t_pass tty/foreground_run_relays_and_exits_with_status
	else
		t_fail tty/foreground_run_relays_and_exits_with_status "exit $(t_status_word $st), want 3; output:"$'\n'"$(cat -v "$T_TMP/out" | t_head /dev/stdin)"$'\n'"$(t_head "$T_TMP/err")"$'\n'"${left:-}"
	fi
fi

# ---- runsc exec --tty: in the foreground (runsc relays) and detached (the console socket) ----
if t_selected tty/exec; then
	cp "$BUNDLE/config.json" "$T_TMP/config.tty"
	sed -i 's/"terminal": true/"terminal": false/; s/^\t\t\t"sh"$/\t\t\t"sleep", "100"/' \
		"$BUNDLE/config.json"
	if ! oci run --detach --bundle "$BUNDLE" ${C}e </dev/null >"$T_TMP/out" 2>"$T_TMP/err"; then
		t_fail tty/exec_container "run --detach failed:"$'\n'"$(t_head "$T_TMP/err")"
	else
		(sleep 0.5; printf 'tty; echo y-$((40+2)); exit 4\n') |
			oci exec --tty ${C}e sh >"$T_TMP/out" 2>"$T_TMP/err"
		st=$?
		if [[ $st == 4 ]] && grep -q '^/dev/pts/[0-9]' "$T_TMP/out" && grep -q 'y-42' "$T_TMP/out"; then
			t_pass tty/exec_tty_foreground
		else
			t_fail tty/exec_tty_foreground "exit $(t_status_word $st), want 4; output:"$'\n'"$(cat -v "$T_TMP/out" | t_head /dev/stdin)"$'\n'"$(t_head "$T_TMP/err")"
		fi
		rm -f "$SOCK"
		"$RECV" "$SOCK" 'winsize:33:77' 'expect:# ' 'send:tty; stty size\r' 'expect:/dev/pts/' \
			'expect:33 77' 'send:exit\r' 'eof' >"$T_TMP/transcript" 2>"$T_TMP/recv.err" &
		recv_pid=$!
		for ((i = 0; i < 100; i++)); do
			[[ -S $SOCK ]] && break
			sleep 0.05
		done
		oci exec --tty --detach --console-socket "$SOCK" ${C}e sh </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
		st=$?
		T_LIMIT=30 t_timeout tail --pid="$recv_pid" -f /dev/null
		wait "$recv_pid"
		rst=$?
		recv_pid=
		if [[ $st == 0 && $rst == 0 ]]; then
			t_pass tty/exec_tty_console_socket
		else
			t_fail tty/exec_tty_console_socket "exec: $(t_status_word $st) $(cat "$T_TMP/err"); console-recv: $(cat "$T_TMP/recv.err")"$'\n'"$(cat -v "$T_TMP/transcript" | t_head /dev/stdin)"
		fi
		one_line=$(oci exec --tty --detach ${C}e sh 2>&1 </dev/null)
		st=$?
		if [[ $st != 0 && $(wc -l <<<"$one_line") == 1 && $one_line == *console-socket* ]]; then
			t_pass tty/exec_detached_tty_without_socket
		else
			t_fail tty/exec_detached_tty_without_socket "exit $st: $one_line"
		fi
	fi
	oci delete --force ${C}e >/dev/null 2>&1
	if left=$(nothing_left); then
		t_pass tty/exec_nothing_left
	else
		t_fail tty/exec_nothing_left "$left"
	fi
	cp "$T_TMP/config.tty" "$BUNDLE/config.json"
fi

# ---- runc's rules for consoles ----
one_line_error() {
	local name=$1 want=$2 st
	shift 2
	t_selected "$name" || return 0
	oci "$@" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	st=$?
	if [[ $st != 0 && $st != 124 && $(wc -l <"$T_TMP/err") == 1 ]] &&
		grep -q -- "$want" "$T_TMP/err" && left=$(nothing_left); then
		t_pass "$name"
	else
		t_fail "$name" "exit $(t_status_word $st); stderr:"$'\n'"$(t_head "$T_TMP/err")"$'\n'"${left:-}"
	fi
}
one_line_error tty/create_terminal_without_socket "console-socket" \
	create --bundle "$BUNDLE" ${C}n
one_line_error tty/run_detach_terminal_without_socket "console-socket" \
	run --detach --bundle "$BUNDLE" ${C}d
one_line_error tty/socket_with_foreground_run "console-socket" \
	run --console-socket "$SOCK" --bundle "$BUNDLE" ${C}r
one_line_error tty/socket_nobody_listens "console-socket" \
	create --console-socket "$T_TMP/nobody.sock" --bundle "$BUNDLE" ${C}l
# A detached sandbox keeps none of runsc's stdio (containerd's shim reads runsc create's
# output to its end), yet a failure to start is still said.
if t_selected tty/create_failure_says_why; then
	cp "$BUNDLE/config.json" "$T_TMP/config.tty"
	sed -i 's/^\t\t\t"sh"$/\t\t\t"no-such-program"/' "$BUNDLE/config.json"
	rm -f "$SOCK"
	"$RECV" "$SOCK" 'eof' >/dev/null 2>&1 &
	recv_pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -S $SOCK ]] && break
		sleep 0.05
	done
	one_line_error tty/create_failure_says_why "no-such-program" \
		create --console-socket "$SOCK" --bundle "$BUNDLE" ${C}w
	kill "$recv_pid" 2>/dev/null
	wait "$recv_pid" 2>/dev/null
	recv_pid=
	cp "$T_TMP/config.tty" "$BUNDLE/config.json"
fi
sed -i 's/"terminal": true/"terminal": false/' "$BUNDLE/config.json"
one_line_error tty/socket_without_terminal "console-socket" \
	create --console-socket "$SOCK" --bundle "$BUNDLE" ${C}t
