/* Futexes: wait and wake on a 32-bit word of guest memory. */
#ifndef CVISOR_KERNEL_FUTEX_H
#define CVISOR_KERNEL_FUTEX_H

#include <stdint.h>
#include <time.h>

struct task;

/* Sleeps while *addr == val, until woken, a signal (-ERESTARTSYS) or the CLOCK_MONOTONIC
 * deadline (-ETIMEDOUT). -EAGAIN when the value differs. */
long futex_wait(struct task *t, uint64_t addr, uint32_t val, uint32_t bitset,
		const struct timespec *deadline);
/* Wakes at most nr waiters whose bitset shares a bit; returns how many. */
long futex_wake(struct task *t, uint64_t addr, int nr, uint32_t bitset);

/*
 * Linux's exit_robust_list, for a thread that exits or execs: each futex of the robust list it
 * registered (set_robust_list) that still names its TID gets FUTEX_OWNER_DIED in place of the
 * TID, and a waiter is woken, so the next pthread_mutex_lock returns EOWNERDEAD. Clears
 * t->robust_list. Needs t->mm.
 */
void futex_exit_robust_list(struct task *t);

#endif
