/*
 * The sentry's control channel (sentry/control.h): one thread accepting runsc's requests on
 * the socket it was handed before sealing. Requests are validated strictly; a malformed one
 * gets an error reply and the connection closes, never more.
 */
#include "sentry/control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"

/* A client has this long to send its request: a stalled one must not block the next. */
#define CONTROL_REQUEST_TIMEOUT_MS 5000

static int listen_fd = -1;
static struct task *init_task;
/* Whether init runs; only the control thread reads or writes it after control_start. */
static bool started;

/*
 * Replies that must reach runsc before the sandbox can end (a signal that kills init, a start
 * of a program that exits at once) are sent under kernel_lock: init's exit takes it before it
 * ends the process. MSG_DONTWAIT keeps that short; a reply is far below the socket's buffer.
 */
static void reply(int fd, const char *msg, size_t len)
{
	/* A client gone meanwhile is its own problem: nothing to do about it here. */
	if (send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control: reply: %s", strerror(errno));
}

static void reply_str(int fd, const char *msg)
{
	reply(fd, msg, strlen(msg));
}

/* "N" in 1..GUEST_NSIG, decimal, nothing else. 0 or -EINVAL. */
static int parse_signal(const char *s, int *sig)
{
	int v = 0;

	if (!*s || strlen(s) > 2)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v < 1 || v > GUEST_NSIG)
		return -EINVAL;
	*sig = v;
	return 0;
}

/*
 * Before "start", init has never run: it has default actions for every signal, so a signal
 * that terminates by default ends the sandbox as it would have ended init, and any other one
 * would have no effect yet.
 */
static void signal_unstarted(int fd, int sig)
{
	enum sig_default action = signal_default_action(sig);

	reply_str(fd, "ok");
	if (sig == SIGKILL || action == SIG_DFL_TERM || action == SIG_DFL_CORE) {
		close(fd);
		kernel_shutdown(sig);
	}
}

static void signal_init(int fd, int sig)
{
	int err;

	pthread_mutex_lock(&kernel_lock);
	err = task_group_send_signal_locked(init_task, sig, NULL);
	reply_str(fd, err < 0 ? "error cannot queue the signal" : "ok");
	pthread_mutex_unlock(&kernel_lock);
}

static void signal_all(int fd, int sig)
{
	pthread_mutex_lock(&kernel_lock);
	for (struct task *t = kernel_tasks; t; t = t->next_task) {
		/* Init last: its end takes the sandbox down before the others hear of it. */
		if (t->tid == t->tgid && t->state == TASK_RUNNING && t != init_task)
			task_group_send_signal_locked(t, sig, NULL);
	}
	task_group_send_signal_locked(init_task, sig, NULL);
	reply_str(fd, "ok");
	pthread_mutex_unlock(&kernel_lock);
}

static void ps(int fd)
{
	char *buf = malloc(CONTROL_REPLY_MAX);
	size_t len = 0;
	int n;

	if (!buf) {
		reply_str(fd, "error out of memory");
		return;
	}
	len = snprintf(buf, CONTROL_REPLY_MAX, "ok");
	pthread_mutex_lock(&kernel_lock);
	for (struct task *t = kernel_tasks; t; t = t->next_task) {
		char comm[sizeof(t->comm) + 1];

		if (t->tid != t->tgid || t->state != TASK_RUNNING)
			continue;
		memcpy(comm, t->comm, sizeof(t->comm));
		comm[sizeof(t->comm)] = 0;
		/* A name is one word on the line: runsc prints what it gets. */
		for (char *c = comm; *c; c++)
			if (*c <= ' ' || *c == 0x7f)
				*c = '?';
		n = snprintf(buf + len, CONTROL_REPLY_MAX - len, "\n%d %d %u %c %llu %s", t->tgid,
			     t->parent ? t->parent->tgid : 0, (unsigned)t->creds.uid,
			     (__atomic_load_n(&t->sig.jobctl, __ATOMIC_ACQUIRE) & JOBCTL_STOPPED) ?
				     'S' :
				     'R',
			     (unsigned long long)(t->start_time_ns - kernel_boot_ns),
			     comm[0] ? comm : "?");
		if (n < 0 || (size_t)n >= CONTROL_REPLY_MAX - len)
			break; /* the list is cut at the reply's limit */
		len += n;
	}
	pthread_mutex_unlock(&kernel_lock);
	reply(fd, buf, len);
	free(buf);
}

static void start(int fd)
{
	int err;

	if (started) {
		reply_str(fd, "error the container is already started");
		return;
	}
	pthread_mutex_lock(&kernel_lock);
	err = task_start(init_task);
	if (err < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "error cannot start the first task: %s", strerror(-err));
		reply_str(fd, msg);
		_exit(125);
	}
	started = true;
	reply_str(fd, "ok");
	pthread_mutex_unlock(&kernel_lock);
}

static void serve(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char req[CONTROL_REQUEST_MAX + 1];
	ssize_t n;
	int sig;

	if (poll(&p, 1, CONTROL_REQUEST_TIMEOUT_MS) <= 0)
		return;
	n = recv(fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n <= 0)
		return;
	if ((size_t)n > CONTROL_REQUEST_MAX || memchr(req, 0, n)) {
		reply_str(fd, "error malformed request");
		return;
	}
	req[n] = 0;
	if (!strcmp(req, "start")) {
		start(fd);
	} else if (!strncmp(req, "signal ", 7) && parse_signal(req + 7, &sig) == 0) {
		if (started)
			signal_init(fd, sig);
		else
			signal_unstarted(fd, sig);
	} else if (!strncmp(req, "signal-all ", 11) && parse_signal(req + 11, &sig) == 0) {
		if (started)
			signal_all(fd, sig);
		else
			signal_unstarted(fd, sig);
	} else if (!strcmp(req, "ps")) {
		ps(fd);
	} else {
		reply_str(fd, "error unknown request");
	}
}

static void *control_thread(void *arg)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* The channel is gone; the guest runs on, only runsc can no longer reach
			 * it. */
			log_warn("control: accept: %s", strerror(errno));
			return NULL;
		}
		serve(fd);
		close(fd);
	}
}

int control_start(const struct sentry_config *cfg, struct task *init)
{
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	listen_fd = cfg->control_fd;
	init_task = init;
	if (!cfg->wait_for_start) {
		if ((err = task_start(init)) < 0)
			return err;
		started = true;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&thread, &attr, control_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	if (cfg->ready_fd >= 0) {
		if (write(cfg->ready_fd, "1", 1) != 1)
			return -errno;
		close(cfg->ready_fd);
	}
	return 0;
}
