/* Exit and wait: what wait4 and waitid learn about a child. */
#ifndef CVISOR_KERNEL_EXIT_H
#define CVISOR_KERNEL_EXIT_H

#include <stdbool.h>

struct task;

struct wait_result {
	int pid;
	int uid;
	int status; /* as wait4 reports it */
	int code;   /* CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED */
};

/*
 * Waits for a child matching idtype (P_PID, P_PGID, P_ALL) and id, with wait options
 * (WEXITED, WSTOPPED/WUNTRACED, WCONTINUED, WNOHANG, WNOWAIT, __WALL, __WCLONE).
 * Returns the child's PID, 0 for WNOHANG with nothing to report, or -ECHILD/-ERESTARTSYS.
 */
long task_wait(struct task *t, int idtype, int id, int options, struct wait_result *res);

/*
 * Reports a stopped or continued child (job control), kernel_lock held: returns 1 when c has
 * a stop/continue to report under options, filling res and consuming it when consume is
 * true; 0 otherwise. Implemented with the signal code (sentry/kernel/signal.c).
 */
int task_wait_stopped_locked(struct task *c, int options, struct wait_result *res, bool consume);

#endif
