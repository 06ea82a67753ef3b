/* Capability sets across setuid and execve, as Linux's security/commoncap.c changes them. */
#include "sentry/kernel/cred.h"

/* What a change of fsuid to or from 0 takes away or gives back (Linux's CAP_FS_SET). */
#define CAP_FS_SET                                                                                 \
	(CRED_CAP(CAP_CHOWN) | CRED_CAP(CAP_MKNOD) | CRED_CAP(CAP_DAC_OVERRIDE) |                  \
	 CRED_CAP(CAP_DAC_READ_SEARCH) | CRED_CAP(CAP_FOWNER) | CRED_CAP(CAP_FSETID) |             \
	 CRED_CAP(CAP_MAC_OVERRIDE) | CRED_CAP(CAP_LINUX_IMMUTABLE))

void creds_init_caps(struct creds *c)
{
	c->cap_bset = CRED_CAP_FULL;
	c->cap_inheritable = c->cap_ambient = 0;
	c->cap_permitted = c->cap_effective = c->uid == 0 || c->euid == 0 ? CRED_CAP_FULL : 0;
	c->securebits = 0;
}

void creds_fix_setuid(struct creds *next, const struct creds *old)
{
	bool was_root = old->uid == 0 || old->euid == 0 || old->suid == 0;
	bool is_root = next->uid == 0 || next->euid == 0 || next->suid == 0;

	if (was_root && !is_root) {
		if (!(next->securebits & CRED_SECBIT_KEEP_CAPS))
			next->cap_permitted = next->cap_effective = 0;
		next->cap_ambient = 0;
	}
	if (old->euid == 0 && next->euid != 0)
		next->cap_effective = 0;
	if (old->euid != 0 && next->euid == 0)
		next->cap_effective = next->cap_permitted;
}

void creds_fix_setfsuid(struct creds *next, const struct creds *old)
{
	if (old->fsuid == 0 && next->fsuid != 0)
		next->cap_effective &= ~CAP_FS_SET;
	if (old->fsuid != 0 && next->fsuid == 0)
		next->cap_effective |= next->cap_permitted & CAP_FS_SET;
}

void creds_exec(struct creds *c)
{
	uint64_t permitted = 0;

	/* A program without file capabilities is treated as having them all for root. */
	if (c->uid == 0 || c->euid == 0)
		permitted = c->cap_bset | c->cap_inheritable;
	permitted |= c->cap_ambient;
	c->cap_permitted = permitted;
	c->cap_effective = c->euid == 0 ? permitted : c->cap_ambient;
	/* The saved and filesystem ids follow the effective ones. */
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
}

void creds_set_oci_caps(struct creds *c, uint64_t bounding, uint64_t effective,
			uint64_t inheritable, uint64_t permitted, uint64_t ambient)
{
	c->cap_bset = bounding;
	c->cap_effective = effective;
	c->cap_inheritable = inheritable;
	c->cap_permitted = permitted;
	c->cap_ambient = ambient & permitted & inheritable;
}
