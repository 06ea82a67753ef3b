/* The sandbox kernel's global state: the task list, PID numbers and the sandbox's end. */
#include "sentry/kernel/kernel.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "sentry/kernel/task.h"

pthread_mutex_t kernel_lock = PTHREAD_MUTEX_INITIALIZER;
struct task *kernel_tasks;
struct task *kernel_init_task;
uint64_t kernel_boot_ns;
long kernel_ncpus = 1;

uint64_t kernel_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct task *pid_table[PID_MAX];
static int last_pid;

int pid_alloc_locked(struct task *t)
{
	for (int i = 1; i < PID_MAX; i++) {
		int pid = (last_pid + i) % PID_MAX;

		if (pid == 0 || pid_table[pid])
			continue;
		pid_table[pid] = t;
		last_pid = pid;
		return pid;
	}
	return -EAGAIN;
}

void pid_free_locked(int pid)
{
	if (pid > 0 && pid < PID_MAX)
		pid_table[pid] = NULL;
}

void pid_replace_locked(int pid, struct task *t)
{
	if (pid > 0 && pid < PID_MAX)
		pid_table[pid] = t;
}

struct task *pid_lookup_locked(int pid)
{
	if (pid <= 0 || pid >= PID_MAX)
		return NULL;
	return pid_table[pid];
}

void (*kernel_shutdown_hook)(int wait_status);
void (*kernel_detached_exit_hook)(struct task *t, int wait_status);

void kernel_shutdown(int wait_status)
{
	int code;

	if (kernel_shutdown_hook)
		kernel_shutdown_hook(wait_status);
	/* The guest's status becomes ours, as a shell reports it: 128+N for signal N. */
	if ((wait_status & 0x7f) == 0)
		code = (wait_status >> 8) & 0xff;
	else
		code = 128 + (wait_status & 0x7f);
	_exit(code);
}
