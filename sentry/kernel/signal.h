/* Guest signals: actions, masks, pending queues, delivery through the arch's signal frame. */
#ifndef CVISOR_KERNEL_SIGNAL_H
#define CVISOR_KERNEL_SIGNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define GUEST_NSIG 64

/* A guest signal set, bit (sig-1) for signal sig, as the kernel's sigset_t. */
typedef uint64_t gsigset_t;
#define GSIG_BIT(sig) (1ULL << ((sig) - 1))

/* The guest's struct sigaction layout (kernel ABI: handler, flags, restorer, mask). */
struct guest_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	gsigset_t mask;
};

/* The kernel's siginfo_t: 128 bytes; the fields cvisor fills. */
struct guest_siginfo {
	int32_t signo;
	int32_t errno_;
	int32_t code;
	int32_t pad0;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			int32_t status; /* SIGCHLD */
			int32_t pad;
			int64_t utime, stime;
		} kill;
		struct {
			uint64_t addr; /* SIGSEGV, SIGBUS ... */
		} fault;
		uint8_t raw[112];
	};
};

/* Signal actions, shared by threads (CLONE_SIGHAND); refcounted. */
struct sighand {
	pthread_mutex_t lock; /* guards actions */
	int refs;
	struct guest_sigaction actions[GUEST_NSIG];
};

struct pending_signal {
	struct guest_siginfo info;
	struct pending_signal *next;
};

/* Per-task signal state; guarded by kernel_lock except where said. */
struct task_signals {
	gsigset_t blocked;     /* written only by the task itself */
	gsigset_t pending;     /* bit set while a signal is queued */
	struct pending_signal *queue;
	gsigset_t saved_mask;  /* restored after rt_sigsuspend/ppoll-style calls */
	bool restore_mask;
	uint64_t altstack_sp, altstack_size;
	int altstack_flags;
};

struct task;

struct sighand *sighand_new(void);
struct sighand *sighand_copy(struct sighand *old);
void sighand_put(struct sighand *sh);
/* On execve: handlers go back to SIG_DFL; ignored signals stay ignored. */
void sighand_reset_for_exec(struct sighand *sh);

/* Queues sig for t (info may be NULL: SI_USER from the sentry) and wakes t. 0 or -errno. */
int task_send_signal(struct task *t, int sig, const struct guest_siginfo *info);
int task_send_signal_locked(struct task *t, int sig, const struct guest_siginfo *info);
/* A synchronous fault (SIGSEGV, SIGBUS ...): delivered even if blocked or ignored, as
 * Linux's force_sig_info (the handler is reset to SIG_DFL then). */
int task_force_signal(struct task *t, int sig, const struct guest_siginfo *info);
/* True when t has an unblocked pending signal: a sleep must end. */
bool task_signal_pending(struct task *t);

/*
 * Called on the way back to guest code: delivers pending signals (handler frame, default
 * action) and turns the -ERESTART* result of an interrupted syscall into -EINTR or a restart.
 * May not return (a fatal signal ends the thread group).
 */
void task_handle_signals(struct task *t, long *syscall_ret, bool in_syscall);

/* Default action of a signal. */
enum sig_default { SIG_DFL_TERM, SIG_DFL_IGN, SIG_DFL_CORE, SIG_DFL_STOP, SIG_DFL_CONT };
enum sig_default signal_default_action(int sig);

#endif
