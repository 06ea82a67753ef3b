/*
 * The sentry's control channel: how runsc reaches a running sandbox (start, kill, ps, exec).
 * A thread of the sentry answers one request per connection on a listening Unix socket that
 * runsc bound in the container's state directory and handed over before the sentry sealed
 * itself; only that directory's owner (its mode is 0700) can connect.
 */
#ifndef CVISOR_SENTRY_CONTROL_H
#define CVISOR_SENTRY_CONTROL_H

#include "sentry/sentry.h"

/* The socket's name in the container's state directory; SOCK_SEQPACKET. */
#define CONTROL_SOCKET_NAME "control.sock"

/*
 * Requests are one message of text, at most CONTROL_REQUEST_MAX bytes, with no newline:
 *   start           run the guest's first program (runsc create left it loaded, not running)
 *   signal N        send signal N (1..64) to the guest's init, as from outside its PID namespace
 *   signal-all N    send signal N to every guest process
 *   signal-process PID N  send signal N to the guest process PID (runsc exec forwarding)
 *   ps              list the guest's processes
 * The reply is one message: "ok", then for ps one line per process after a newline,
 * "PID PPID UID STATE START_NS COMM" (START_NS: nanoseconds since the sandbox started;
 * STATE: R running or S stopped); or "error MESSAGE". Anything else is answered with an
 * error and the connection closed.
 *
 * exec (runsc exec) is one message of at most CONTROL_EXEC_MAX bytes: "exec", a NUL, then
 * fields "KEY=VALUE", each ending with a NUL: arg= (repeated, at least one), env= (repeated),
 * cwd= (absolute; default /), uid=, gid=, group= (repeated), umask= (decimal), rlimit=RES SOFT
 * HARD (decimal, RLIMIT_* numbers), and fd=N (0..2) once per host fd passed with the message
 * (SCM_RIGHTS, at most CONTROL_EXEC_FDS, in the same order): the process's stdio; an fd not
 * passed is closed in it; with console=1, the one fd passed is a host terminal (the replica
 * of runsc's pty, in raw mode) and the process's stdio and controlling terminal is a devpts
 * pty joined to it. The process is made with no parent in the sandbox. Replies: "ok
 * PID" once it runs, then "exit STATUS" (its wait status, decimal) when it has exited, and
 * the connection closes; or "cannot-exec ERRNO MESSAGE" when its program cannot be run, or
 * "error MESSAGE". The process runs on when runsc goes away.
 */
#define CONTROL_REQUEST_MAX 64
#define CONTROL_REPLY_MAX 65536
#define CONTROL_EXEC_MAX (128 * 1024)
#define CONTROL_EXEC_FDS 3

struct task;

/*
 * Starts the control thread on cfg->control_fd for the sandbox whose init task is init (loaded
 * by execve, not started). Unless cfg->wait_for_start, init starts now; otherwise on "start".
 * Then writes one byte on cfg->ready_fd (if >= 0) and closes it: runsc learns the guest is
 * ready. Returns 0 or -errno.
 */
int control_start(const struct sentry_config *cfg, struct task *init);

#endif
