/*
 * The sentry's control channel: how runsc reaches a running sandbox (start, kill, ps). A
 * thread of the sentry answers one request per connection on a listening Unix socket that
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
 *   ps              list the guest's processes
 * The reply is one message: "ok", then for ps one line per process after a newline,
 * "PID PPID UID STATE START_NS COMM" (START_NS: nanoseconds since the sandbox started;
 * STATE: R running or S stopped); or "error MESSAGE". Anything else is answered with an
 * error and the connection closed.
 */
#define CONTROL_REQUEST_MAX 64
#define CONTROL_REPLY_MAX 65536

struct task;

/*
 * Starts the control thread on cfg->control_fd for the sandbox whose init task is init (loaded
 * by execve, not started). Unless cfg->wait_for_start, init starts now; otherwise on "start".
 * Then writes one byte on cfg->ready_fd (if >= 0) and closes it: runsc learns the guest is
 * ready. Returns 0 or -errno.
 */
int control_start(const struct sentry_config *cfg, struct task *init);

#endif
