/*
 * Consoles (process.terminal): the host pty runsc makes. Its master goes to the caller: over
 * --console-socket as runc sends it, or to runsc run's own relay in the foreground. Its
 * replica, in raw mode, goes to the sentry, whose own devpts pty and line discipline the guest
 * sees (sentry/fs/devpts/devpts.h).
 */
#ifndef CVISOR_RUNSC_CONSOLE_H
#define CVISOR_RUNSC_CONSOLE_H

#include "runsc-cli/error.h"

/*
 * Makes a pty, puts its replica in raw mode and sends its master over the Unix socket at
 * socket_path as runc does (one SCM_RIGHTS message whose data is the master's name), then
 * closes runsc's copy of the master. rows/cols: the initial window size (0: none).
 * *host_replica: the replica, close-on-exec, for sentry_config.console_fd. 0, or -1 with *err.
 */
int console_setup(const char *socket_path, unsigned short rows, unsigned short cols,
		  int *host_replica, struct cli_error **err);

/*
 * runc run in the foreground with a terminal and no socket: runsc keeps the master and
 * relays it to its own stdin and stdout (stdin in raw mode when it is a terminal, whose window
 * size the pty follows). console_foreground_open makes the pty (before the sandbox's fork);
 * console_foreground_start starts the relay; console_foreground_finish copies what is left
 * once the sandbox is gone and restores runsc's terminal.
 */
struct console_relay;
int console_foreground_open(unsigned short rows, unsigned short cols, int *host_replica,
			    struct console_relay **out, struct cli_error **err);
/* The master's fd, which a child forked before the relay starts must close. */
int console_relay_master(const struct console_relay *r);
int console_foreground_start(struct console_relay *r, struct cli_error **err);
void console_foreground_finish(struct console_relay *r);

#endif
