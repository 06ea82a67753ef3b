/*
 * Capabilities of a task's credentials (struct creds, sentry/kernel/task.h), as Linux keeps
 * them: the five sets, the checks that stand for privilege, and how setuid and execve change
 * the sets (man 7 capabilities).
 */
#ifndef CVISOR_KERNEL_CRED_H
#define CVISOR_KERNEL_CRED_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/task.h"

/* Every capability Linux knows, CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40). */
#define CRED_CAP_LAST 40
#define CRED_CAP_FULL ((1ULL << (CRED_CAP_LAST + 1)) - 1)
#define CRED_CAP(c) (1ULL << (c))

/* SECBIT_KEEP_CAPS: the permitted set survives a change of every uid away from 0. */
#define CRED_SECBIT_KEEP_CAPS (1U << 4)

/* Whether c holds cap in its effective set (Linux's capable()). */
static inline bool creds_capable(const struct creds *c, int cap)
{
	return (c->cap_effective >> cap) & 1;
}

/* The task's capable(); a NULL task (the sentry itself) is privileged. */
static inline bool task_capable(const struct task *t, int cap)
{
	return !t || creds_capable(&t->creds, cap);
}

/*
 * The capability sets of a task's first credentials: root (uid or euid 0) has every
 * capability in its permitted and effective sets, anyone else none; the bounding set is full.
 */
void creds_init_caps(struct creds *c);
/*
 * Sets c's capabilities to an OCI process's (config.json's process.capabilities), as runc
 * leaves them just before its execve, which then transforms them: an ambient capability must
 * also be permitted and inheritable (runc's raise of one that is not fails, and it goes on).
 */
void creds_set_oci_caps(struct creds *c, uint64_t bounding, uint64_t effective,
			uint64_t inheritable, uint64_t permitted, uint64_t ambient);

/*
 * After a setuid-family call changed next's uids from old's (Linux's cap_task_fix_setuid):
 * leaving uid 0 altogether drops the permitted, effective and ambient sets (the permitted one
 * stays with SECBIT_KEEP_CAPS), euid 0 -> non-0 clears the effective set, non-0 -> 0 refills
 * it from the permitted one. setfsuid's: the filesystem capabilities follow fsuid 0.
 */
void creds_fix_setuid(struct creds *next, const struct creds *old);
void creds_fix_setfsuid(struct creds *next, const struct creds *old);

/*
 * execve's transformation of the sets, for a program with no file capabilities and no
 * set-user-ID bit: root gains its bounding and inheritable sets, others keep only their
 * ambient set (Linux's cap_bprm_creds_from_file).
 */
void creds_exec(struct creds *c);

#endif
