/* runsc's side of the sentry's control channel (sentry/control.h): listening and requests. */
#ifndef CVISOR_RUNSC_CONTROL_CLIENT_H
#define CVISOR_RUNSC_CONTROL_CLIENT_H

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

#endif
