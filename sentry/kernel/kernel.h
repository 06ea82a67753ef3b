/* The sandbox kernel's global state: the task set, PID allocation, and the lock guarding them. */
#ifndef CVISOR_KERNEL_KERNEL_H
#define CVISOR_KERNEL_KERNEL_H

#include <pthread.h>
#include <stdint.h>

struct task;

/*
 * Guards the task tree (parent/children/siblings, the all-tasks list), PIDs, exit and wait
 * state, process groups and every task's signal queue. First in the lock order.
 */
extern pthread_mutex_t kernel_lock;

/* All tasks, for /proc, kill(-1) and process groups; iterate under kernel_lock. */
extern struct task *kernel_tasks;

/* The sandbox's init (PID 1): orphans are reparented to it; its exit ends the sandbox. */
extern struct task *kernel_init_task;

/* PIDs: the lowest free number above the last one given, as Linux; under kernel_lock. */
#define PID_MAX 32768
int pid_alloc_locked(struct task *t);
void pid_free_locked(int pid);
struct task *pid_lookup_locked(int pid);
/* execve by a thread: it takes over its leader's PID, pid. */
void pid_replace_locked(int pid, struct task *t);

/* Ends the sandbox when init is gone: the sentry exits with init's wait status. */
void kernel_shutdown(int wait_status) __attribute__((noreturn));
/* Set by sentry/main.c: called once by kernel_shutdown. */
extern void (*kernel_shutdown_hook)(int wait_status);

/*
 * Set by the control channel (sentry/control.c): called under kernel_lock when a detached task
 * (one made from outside the sandbox, with no parent in it: runsc exec's) exits with
 * wait_status. The exit path reaps such a task itself right after.
 */
extern void (*kernel_detached_exit_hook)(struct task *t, int wait_status);

/* Host CPUs the sandbox reports (sched_getaffinity, nproc); read once at start. */
extern long kernel_ncpus;

/* Time since the sandbox started, for /proc/uptime and task start times. */
uint64_t kernel_monotonic_ns(void);
extern uint64_t kernel_boot_ns;

#endif
