/* Guest test: robust futexes (set_robust_list). A thread or process that dies holding a robust
 * mutex, by exit, exit_group, a signal or another thread's execve, leaves it to the next locker
 * with EOWNERDEAD, and a waiter blocked on it is woken; then the kernel's walk of a hand-made list:
 * which words it marks, a PI link, a fault, a loop, its length bound, the pending link. */
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest.h"

/* pthread functions return the error number: "name: ok" or "name: EOWNERDEAD". */
static void report_ret(const char *name, int r)
{
	printf("%s: %s\n", name, r ? errname(r) : "ok");
}

static void robust_init(pthread_mutex_t *m, bool pshared)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (pshared)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (pthread_mutex_init(m, &a) != 0)
		die("pthread_mutex_init");
	pthread_mutexattr_destroy(&a);
}

/* The futex word glibc keeps in the mutex: the owner's TID and the FUTEX_* bits. */
static unsigned lock_word(pthread_mutex_t *m)
{
	return __atomic_load_n((unsigned *)&m->__data.__lock, __ATOMIC_ACQUIRE);
}

/* Waits (at most 5 s) until a locker sleeps on m: glibc sets FUTEX_WAITERS before it sleeps. */
static void wait_for_waiter(pthread_mutex_t *m)
{
	for (int i = 0; i < 5000 && !(lock_word(m) & FUTEX_WAITERS); i++)
		usleep(1000);
	usleep(20000); /* from the bit being set to the futex wait */
}

/* A lock that fails instead of hanging when nobody wakes it. */
static int timed_lock(pthread_mutex_t *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	return pthread_mutex_timedlock(m, &ts);
}

/* The next locker of a mutex whose owner died: EOWNERDEAD, then it is usable again. */
static void take_over(const char *name, pthread_mutex_t *m, int first_lock)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%s_lock", name);
	report_ret(buf, first_lock);
	if (first_lock != EOWNERDEAD && first_lock != 0)
		return;
	snprintf(buf, sizeof(buf), "%s_consistent", name);
	report_ret(buf, first_lock == EOWNERDEAD ? pthread_mutex_consistent(m) : 0);
	snprintf(buf, sizeof(buf), "%s_unlock", name);
	report_ret(buf, pthread_mutex_unlock(m));
	snprintf(buf, sizeof(buf), "%s_relock", name);
	report_ret(buf, pthread_mutex_lock(m));
	pthread_mutex_unlock(m);
}

/* 1. A thread exits holding a process-private robust mutex. */
static pthread_mutex_t private_m;

static void *lock_and_exit(void *arg)
{
	pthread_mutex_t *m = arg;

	report_ret("thread_lock", pthread_mutex_lock(m));
	return NULL;
}

static void thread_exit_test(void)
{
	pthread_t th;

	robust_init(&private_m, false);
	pthread_create(&th, NULL, lock_and_exit, &private_m);
	pthread_join(th, NULL);
	report_bool("thread_exit_owner_died_bit", lock_word(&private_m) & FUTEX_OWNER_DIED);
	take_over("thread_exit", &private_m, pthread_mutex_lock(&private_m));
	pthread_mutex_destroy(&private_m);
}

/* 2. The owner exits while another thread sleeps in pthread_mutex_lock. */
static void *lock_wait_exit(void *arg)
{
	pthread_mutex_t *m = arg;

	pthread_mutex_lock(m);
	wait_for_waiter(m);
	return NULL;
}

static void thread_waiter_test(void)
{
	pthread_t th;

	robust_init(&private_m, false);
	pthread_create(&th, NULL, lock_wait_exit, &private_m);
	while (lock_word(&private_m) == 0)
		usleep(1000);
	take_over("thread_waiter", &private_m, timed_lock(&private_m));
	pthread_join(th, NULL);
	pthread_mutex_destroy(&private_m);
}

/* 3-8. A process-shared robust mutex in MAP_SHARED memory, held by a child that dies. */
static pthread_mutex_t *shared_m;
static int ready[2];

static void signal_ready(void)
{
	if (write(ready[1], "x", 1) != 1)
		_exit(90);
}

static void await_ready(void)
{
	char c;

	if (read(ready[0], &c, 1) != 1)
		die("read ready pipe");
}

static void *lock_and_sleep(void *arg)
{
	pthread_mutex_lock(shared_m);
	signal_ready();
	for (;;)
		pause();
	return arg;
}

static void exec_self(void)
{
	execl("/proc/self/exe", "robust", "exit-child", (char *)NULL);
	_exit(91);
}

enum how {
	CHILD_EXIT,	  /* the holder calls _exit */
	CHILD_KILLED,	  /* the holder is SIGKILLed */
	CHILD_WAITER,	  /* the holder exits while the parent sleeps on the mutex */
	CHILD_EXIT_GROUP, /* another thread calls _exit: the holder thread dies with the group */
	CHILD_EXEC,	  /* another thread execs: de_thread ends the holder thread */
	CHILD_EXEC_OWNER, /* the holder itself execs */
};

static void shared_test(const char *name, enum how how)
{
	pthread_t th;
	pid_t pid;
	int r = -1;

	robust_init(shared_m, true);
	if (pipe(ready) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		switch (how) {
		case CHILD_EXIT:
			pthread_mutex_lock(shared_m);
			_exit(0);
		case CHILD_KILLED:
			pthread_mutex_lock(shared_m);
			signal_ready();
			for (;;)
				pause();
		case CHILD_WAITER:
			pthread_mutex_lock(shared_m);
			signal_ready();
			wait_for_waiter(shared_m);
			_exit(0);
		case CHILD_EXIT_GROUP:
		case CHILD_EXEC:
			pthread_create(&th, NULL, lock_and_sleep, NULL);
			await_ready();
			if (how == CHILD_EXEC)
				exec_self();
			_exit(0);
		case CHILD_EXEC_OWNER:
			pthread_mutex_lock(shared_m);
			exec_self();
		}
		_exit(92);
	}
	switch (how) {
	case CHILD_KILLED:
		await_ready();
		kill(pid, SIGKILL);
		break;
	case CHILD_WAITER:
		await_ready();
		r = timed_lock(shared_m);
		break;
	default:
		break;
	}
	printf("%s_child: %s\n", name, wait_str(pid));
	if (how != CHILD_WAITER)
		r = timed_lock(shared_m);
	take_over(name, shared_m, r);
	pthread_mutex_destroy(shared_m);
	close(ready[0]);
	close(ready[1]);
}

/*
 * 9-12. set_robust_list with a list made by hand, walked when the registering thread exits:
 * words naming the thread get FUTEX_OWNER_DIED (FUTEX_WAITERS kept, the TID cleared), others
 * stay; the walk stops at a fault (leaving the pending link alone), goes round a loop no further
 * than its bound (2048 links), and then handles the pending link.
 */
struct link {
	struct robust_list next;
	uint32_t word;
};

#define NLINKS 2100
static struct link links[NLINKS];
static struct robust_list_head head;
static uint32_t owner_tid;

static void *register_and_exit(void *arg)
{
	void (*build)(void) = arg;

	owner_tid = gettid();
	build();
	if (syscall(SYS_set_robust_list, &head, sizeof(head)) != 0)
		printf("set_robust_list: %s\n", errname(errno));
	return NULL;
}

static void run_walk(void (*build)(void))
{
	pthread_t th;

	memset(links, 0, sizeof(links));
	memset(&head, 0, sizeof(head));
	head.futex_offset = offsetof(struct link, word) - offsetof(struct link, next);
	pthread_create(&th, NULL, register_and_exit, build);
	pthread_join(th, NULL);
}

/* The word with the thread's TID shown as "tid" (or another's as "other"), bits by name. */
static const char *word_str(uint32_t w)
{
	static char buf[64];
	uint32_t tid = w & FUTEX_TID_MASK;

	snprintf(buf, sizeof(buf), "%s%s%s",
		 tid == 0	  ? "0" :
		 tid == owner_tid ? "tid" :
				    "other",
		 w & FUTEX_OWNER_DIED ? "|OWNER_DIED" : "", w & FUTEX_WAITERS ? "|WAITERS" : "");
	return buf;
}

static void set_link(int i, struct robust_list *next, uint32_t word)
{
	links[i].next.next = next;
	links[i].word = word;
}

/* Owned with waiters, owned by another, a PI link, then a fault; a pending link. */
static void build_fault(void)
{
	head.list.next = &links[0].next;
	set_link(0, &links[1].next, owner_tid | FUTEX_WAITERS);
	set_link(1, (struct robust_list *)((uintptr_t)&links[2].next | 1), owner_tid + 1);
	set_link(2, &links[3].next, owner_tid);
	set_link(3, (struct robust_list *)8, owner_tid);
	set_link(4, &head.list, owner_tid);
	head.list_op_pending = &links[4].next;
}

static void fault_test(void)
{
	run_walk(build_fault);
	printf("walk_owned_with_waiters: %s\n", word_str(links[0].word));
	printf("walk_other_owner: %s\n", word_str(links[1].word));
	printf("walk_pi_link: %s\n", word_str(links[2].word));
	printf("walk_before_fault: %s\n", word_str(links[3].word));
	printf("walk_pending_after_fault: %s\n", word_str(links[4].word));
}

/* A link pointing to itself. */
static void build_loop(void)
{
	head.list.next = &links[0].next;
	set_link(0, &links[0].next, owner_tid);
	set_link(1, &head.list, owner_tid);
	head.list_op_pending = &links[1].next;
}

static void loop_test(void)
{
	run_walk(build_loop);
	printf("walk_loop: %s\n", word_str(links[0].word));
	printf("walk_loop_pending: %s\n", word_str(links[1].word));
}

/* A list longer than the bound, the last link pending as well. */
static void build_long(void)
{
	head.list.next = &links[0].next;
	for (int i = 0; i < NLINKS; i++)
		set_link(i, i + 1 < NLINKS ? &links[i + 1].next : &head.list, owner_tid);
	head.list_op_pending = &links[NLINKS - 1].next;
}

static void long_test(void)
{
	int marked = 0, first_unmarked = -1;

	run_walk(build_long);
	for (int i = 0; i < NLINKS; i++) {
		if (links[i].word & FUTEX_OWNER_DIED)
			marked++;
		else if (first_unmarked < 0)
			first_unmarked = i;
	}
	printf("walk_long_marked: %d\n", marked);
	printf("walk_long_first_unmarked: %d\n", first_unmarked);
	printf("walk_long_pending: %s\n", word_str(links[NLINKS - 1].word));
}

/* A pending link whose word is 0 (released, not yet woken): its waiter is woken. */
static void build_pending_released(void)
{
	head.list.next = &head.list;
	set_link(0, NULL, 0);
	head.list_op_pending = &links[0].next;
}

static pid_t waiter_tid;

/* Waits until the waiter is asleep, as /proc says, then exits with the list registered. */
static void *pending_owner(void *arg __attribute__((unused)))
{
	char path[64], line[256];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", waiter_tid);
	for (int i = 0; i < 5000; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
		char *p;

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			line[n] = '\0';
			p = strrchr(line, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				break;
		}
		usleep(1000);
	}
	usleep(50000);
	return register_and_exit(build_pending_released);
}

static void pending_wake_test(void)
{
	struct timespec ts = { 5, 0 };
	pthread_t th;
	long r;

	memset(links, 0, sizeof(links));
	memset(&head, 0, sizeof(head));
	head.futex_offset = offsetof(struct link, word) - offsetof(struct link, next);
	waiter_tid = gettid();
	pthread_create(&th, NULL, pending_owner, NULL);
	/* Not FUTEX_PRIVATE_FLAG: the kernel's wake at a death is a shared one. */
	r = syscall(SYS_futex, &links[0].word, FUTEX_WAIT, 0, &ts, NULL, 0);
	report("walk_pending_released_wakes", r);
	pthread_join(th, NULL);
	printf("walk_pending_released_word: %s\n", word_str(links[0].word));
}

int main(int argc, char **argv)
{
	guest_init();
	if (argc == 2 && strcmp(argv[1], "exit-child") == 0)
		return 0;
	alarm(60);
	shared_m = mmap(NULL, sizeof(*shared_m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	if (shared_m == MAP_FAILED)
		die("mmap");

	thread_exit_test();
	thread_waiter_test();
	shared_test("child_exit", CHILD_EXIT);
	shared_test("child_killed", CHILD_KILLED);
	shared_test("child_waiter", CHILD_WAITER);
	shared_test("child_exit_group", CHILD_EXIT_GROUP);
	shared_test("child_exec", CHILD_EXEC);
	shared_test("child_exec_owner", CHILD_EXEC_OWNER);
	fault_test();
	loop_test();
	long_test();
	pending_wake_test();
	return 0;
}
