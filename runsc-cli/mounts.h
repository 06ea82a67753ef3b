/*
 * The bundle's mounts as the sandbox takes them: each config.json mount checked and turned
 * into a struct sentry_mount (its options parsed), bind mounts' sources resolved and numbered
 * as the gofer's exports.
 */
#ifndef CVISOR_RUNSC_MOUNTS_H
#define CVISOR_RUNSC_MOUNTS_H

#include <stddef.h>

#include "gofer/gofer.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/error.h"
#include "sentry/sentry.h"

struct sandbox_mounts {
	struct sentry_mount *list;
	size_t n;
	char **sources; /* the bind sources resolved (absolute); n entries, NULL for others */
};

/*
 * Fills out from b's mounts. Options: ro/rw, nosuid, nodev, noexec (and their r-prefixed
 * recursive forms), bind/rbind; for tmpfs mode=, uid=, gid=, size= (checked, not enforced);
 * propagation, atime and other options the sandbox has no use for are accepted and ignored.
 * A bind mount's source is relative to the bundle and must be a directory or a regular
 * file. 0, or -1 with *err naming the mount and what is wrong.
 */
int mounts_prepare(const struct bundle *b, struct sandbox_mounts *out, struct cli_error **err);
void mounts_free(struct sandbox_mounts *m);

/* The gofer's exports for cfg's bind mounts, in export_index order (1 ... *n); NULL with *n
 * 0 when there are none, or on ENOMEM (then *n is (size_t)-1). Free with free(). */
struct gofer_export *mounts_gofer_exports(const struct sentry_config *cfg, size_t *n);

#endif
