/* Guest test: signals — handlers with siginfo, masks and pending signals, SIGCHLD, EINTR and
 * SA_RESTART, SIG_IGN, SA_RESETHAND, queued real-time signals, default actions in a child. */
#include <signal.h>
#include <time.h>

#include "guest.h"

static volatile sig_atomic_t hits, last_signo, last_code, last_status, self_blocked;
static volatile pid_t last_pid;
static volatile int last_value;

static void on_signal(int sig, siginfo_t *si, void *uctx)
{
	sigset_t now;

	(void)uctx;
	hits++;
	last_signo = si->si_signo;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_value = si->si_value.sival_int;
	if (sig == SIGCHLD)
		last_status = si->si_status;
	sigprocmask(SIG_BLOCK, NULL, &now);
	self_blocked = sigismember(&now, sig);
}

static void handle(int sig, int flags)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | flags };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		die("sigaction %d", sig);
	hits = 0;
}

static const char *code_name(int code)
{
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case CLD_EXITED:
		return "CLD_EXITED";
	case CLD_KILLED:
		return "CLD_KILLED";
	default:
		return "other";
	}
}

static void print_delivery(const char *name)
{
	printf("%s: hits=%d signo=%s code=%s from_self=%s\n", name, (int)hits,
	       sigabbrev_np(last_signo) ?: "?", code_name(last_code),
	       last_pid == getpid() ? "yes" : "no");
}

static void handlers(void)
{
	struct sigaction old;
	union sigval v = { .sival_int = 1234 };

	handle(SIGUSR1, 0);
	raise(SIGUSR1);
	print_delivery("raise");
	report_bool("signal_blocked_in_own_handler", self_blocked);
	handle(SIGUSR2, 0);
	kill(getpid(), SIGUSR2);
	print_delivery("kill_self");
	handle(SIGUSR1, 0);
	sigqueue(getpid(), SIGUSR1, v);
	print_delivery("sigqueue");
	report_long("sigqueue_value", last_value);

	handle(SIGUSR1, SA_NODEFER);
	raise(SIGUSR1);
	report_bool("sa_nodefer_not_blocked", !self_blocked);

	handle(SIGUSR1, SA_RESETHAND);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	report_bool("sa_resethand_resets", old.sa_handler == SIG_DFL);

	report_err("sigaction_sigkill", sigaction(SIGKILL, &old, NULL));
	report_err("sigaction_bad_signal", sigaction(0, &old, NULL));
}

static void masks(void)
{
	sigset_t set, old, pending;

	handle(SIGUSR1, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	raise(SIGUSR1);
	raise(SIGUSR1);
	report_long("hits_while_blocked", hits);
	sigpending(&pending);
	report_bool("pending_while_blocked", sigismember(&pending, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	report_long("hits_after_unblock_coalesced", hits);
	sigpending(&pending);
	report_bool("pending_after_unblock", sigismember(&pending, SIGUSR1));

	handle(SIGRTMIN, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < 3; i++)
		sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = i });
	sigprocmask(SIG_SETMASK, &old, NULL);
	report_long("rt_signals_queued", hits);
	report_long("rt_last_value_in_order", last_value);

	sigemptyset(&set);
	sigaddset(&set, SIGKILL);
	sigaddset(&set, SIGSTOP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigprocmask(SIG_BLOCK, NULL, &old);
	report_bool("sigkill_unblockable",
		    !sigismember(&old, SIGKILL) && !sigismember(&old, SIGSTOP));
}

static void sigchld(void)
{
	pid_t pid;

	handle(SIGCHLD, 0);
	pid = fork();
	if (pid == 0)
		_exit(9);
	/* The handler may run before or after waitpid returns; wait for both. */
	wait_str(pid);
	for (int i = 0; i < 1000 && !hits; i++)
		usleep(1000);
	printf("sigchld: hits=%d code=%s status=%d pid_ok=%s\n", (int)hits, code_name(last_code),
	       (int)last_status, last_pid == pid ? "yes" : "no");
	signal(SIGCHLD, SIG_DFL);
}

/*
 * A child signals us every 20 ms while we block in read() on an empty pipe: without SA_RESTART
 * the read fails with EINTR; with it, the read goes on until the child writes, after 5 signals.
 * Signals that land before the read blocks change nothing, so the result does not depend on
 * timing.
 */
static void interrupted_read(const char *name, int flags)
{
	int p[2];
	char c;
	long n;
	pid_t pid, parent = getpid();

	if (pipe(p) != 0)
		die("pipe");
	handle(SIGUSR1, flags);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 5 || !(flags & SA_RESTART); i++) {
			usleep(20 * 1000);
			if (kill(parent, SIGUSR1) != 0)
				_exit(1);
		}
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	n = read(p[0], &c, 1);
	if (n < 0)
		printf("%s: %s\n", name, errname(errno));
	else
		printf("%s: read %ld\n", name, n);
	if (!(flags & SA_RESTART))
		kill(pid, SIGKILL);
	wait_str(pid);
	printf("%s_handler_ran: %s\n", name, hits > 0 ? "yes" : "no");
	close(p[0]);
	close(p[1]);
}

static void ignored_and_default(void)
{
	pid_t pid;

	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	printf("sig_ign_survived: yes\n");
	signal(SIGUSR1, SIG_DFL);

	pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	printf("default_sigterm_in_child: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		raise(SIGTERM);
		_exit(0);
	}
	printf("ignored_sigterm_in_child: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0) {
		raise(SIGCHLD); /* default action: ignore */
		raise(SIGURG);
		_exit(0);
	}
	printf("default_ignore_in_child: %s\n", wait_str(pid));
}

int main(void)
{
	guest_init();
	handlers();
	masks();
	sigchld();
	interrupted_read("read_interrupted_no_restart", 0);
	interrupted_read("read_interrupted_sa_restart", SA_RESTART);
	ignored_and_default();
	return 0;
}
