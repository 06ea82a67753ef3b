/* Starting a sandbox: the gofer and sentry processes, and waiting for the guest's end. */
#ifndef CVISOR_RUNSC_SANDBOX_H
#define CVISOR_RUNSC_SANDBOX_H

#include "sentry/sentry.h"

/*
 * Starts a gofer serving root and a sentry running cfg's program, waits for the sentry, and
 * returns the exit code runsc should exit with (the guest's status, 128+N for signal N).
 * SIGINT, SIGTERM and SIGHUP to runsc take the whole sandbox down. Leaves nothing behind.
 */
int sandbox_run(const char *root, struct sentry_config *cfg);

#endif
