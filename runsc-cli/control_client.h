/* runsc's side of the sentry's control channel (sentry/control.h): listening and requests. */
#ifndef CVISOR_RUNSC_CONTROL_CLIENT_H
#define CVISOR_RUNSC_CONTROL_CLIENT_H

#include <stddef.h>

#include "runsc-cli/error.h"

/*
 * Binds and listens on the control socket in the container directory dir (mode 0600, in a
 * 0700 directory: only its owner can connect). Returns the listening fd or -1 with *err.
 */
int control_listen(const char *dir, struct cli_error **err);

/*
 * Sends request to the sentry of the container in dir and returns its reply's payload (what
 * follows "ok" and a newline; "" when none) in *payload (malloc'ed), or -1 with *err: the
 * sentry's error message, or why it could not be reached.
 */
int control_request(const char *dir, const char *request, char **payload, struct cli_error **err);

/*
 * Starts a process in the sandbox (the "exec" request, sentry/control.h): request[0, len) is
 * the message, fds its stdio (sent with it). Returns the connection, which brings the
 * process's exit status (control_exec_status), and its guest PID in *pid; or -1 with *err
 * (status 127 for a program that is not there, 126 for one that cannot run, else 1).
 */
int control_exec(const char *dir, const char *request, size_t len, const int *fds, int nfds,
		 int *pid, struct cli_error **err);

/*
 * Reads the exit status (a wait status) from an exec's connection once it comes (blocks);
 * -1 when the connection ends without one: the sandbox is gone, and the process with it.
 */
int control_exec_status(int conn);

#endif
