/*
 * The container's seccomp profile (config.json's linux.seccomp), enforced by the sentry on the
 * guest's syscalls: not the host filters of the sentry (sentry/seccomp.c) or of the stubs.
 * runsc compiles the profile into a table indexed by syscall number (runsc-cli/
 * bundle_seccomp.c); syscall_dispatch evaluates it before any handler runs.
 */
#ifndef CVISOR_KERNEL_SECCOMP_H
#define CVISOR_KERNEL_SECCOMP_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

struct task;

/* Comparison operators, as libseccomp's enum scmp_compare numbers them. */
enum seccomp_op {
	SECCOMP_OP_NE = 1,
	SECCOMP_OP_LT,
	SECCOMP_OP_LE,
	SECCOMP_OP_EQ,
	SECCOMP_OP_GE,
	SECCOMP_OP_GT,
	SECCOMP_OP_MASKED_EQ, /* (arg & value) == value_two: libseccomp's mask, then datum */
};

/* One comparison of a 64-bit argument register, unsigned, as libseccomp's on 64-bit ABIs. */
struct seccomp_cmp {
	uint8_t index;		   /* 0..5 */
	uint8_t op;		   /* enum seccomp_op */
	uint64_t value, value_two; /* config.json's value and valueTwo */
};

/* A rule: action when every comparison holds (none: always). */
struct seccomp_rule {
	uint32_t action; /* SECCOMP_RET_* with its data (an errno) */
	uint8_t ncmp;
	struct seccomp_cmp cmp[6];
};

/*
 * The compiled profile: by_nr[nr] is the slice of rules for syscall nr, in the order they
 * apply (an unconditional rule alone, else conditional ones in config order: the first that
 * matches decides); a syscall with none, or a number past the table, gets default_action.
 * Built once by runsc before the sentry starts and never changed: tasks share it.
 */
struct seccomp_profile {
	uint32_t default_action;
	uint32_t nsyscalls; /* entries in by_nr */
	struct seccomp_slice {
		uint32_t first;
		uint32_t count;
	} * by_nr;
	struct seccomp_rule *rules;
	uint32_t nrules;
};

/* The container's profile (set once at start), for every process runsc starts in it. */
extern const struct seccomp_profile *seccomp_container_profile;

/* The action for syscall nr with args a under p. */
uint32_t seccomp_profile_action(const struct seccomp_profile *p, unsigned long nr,
				const uint64_t a[6]);

/*
 * Checks the calling task's syscall against its profile (t->seccomp must be set). Returns
 * true if the syscall runs; otherwise *ret is what the guest gets instead (an errno, or the
 * syscall number back for SIGSYS as Linux's rollback leaves it), and the task may have been
 * sent SIGSYS or killed.
 */
bool seccomp_check(struct task *t, unsigned long nr, const uint64_t a[6], long *ret);

#endif
