/*
 * --strace's formatters and whole lines, checked against what strace(1) 6.1 prints for the
 * same values. Guest memory is the test's own: copy_in and copy_in_string are doubles here.
 */
#include <linux/fcntl.h> /* the kernel's O_* and AT_*, as the guest passes them */
#include <linux/mman.h>

#include <check.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/strace.h"
#include "syscalls/syscalls.h"

/* ---- guest memory doubles: guest addresses are the test's pointers, the first 64 KiB bad ---- */

#define BAD_BELOW 0x10000

int copy_in(struct task *t, void *dst, uint64_t src, size_t n)
{
	if (src < BAD_BELOW)
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)src, n);
	return 0;
}

long copy_in_string(struct task *t, char *dst, uint64_t src, size_t size)
{
	size_t n;

	if (src < BAD_BELOW)
		return -EFAULT;
	n = strnlen((const char *)(uintptr_t)src, size);
	if (n == size)
		return -ENAMETOOLONG;
	memcpy(dst, (const void *)(uintptr_t)src, n + 1);
	return n;
}

#define G(p) ((uint64_t)(uintptr_t)(p))

/* ---- helpers ---- */

static char buf[8192];

#define VALUE(letter, v) (strace_format_value(buf, sizeof(buf), (letter), (uint64_t)(v)), buf)
#define CHECK_VALUE(letter, v, want) ck_assert_str_eq(VALUE(letter, v), want)

static const char *quoted(const char *s, size_t n, bool more)
{
	strace_format_quoted(buf, sizeof(buf), s, n, more);
	return buf;
}

static const char *result(long ret, bool hex)
{
	strace_format_result(buf, sizeof(buf), ret, hex);
	return buf;
}

static const char *sigset_text(uint64_t set)
{
	strace_format_sigset(buf, sizeof(buf), set);
	return buf;
}

static const char *expect(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *expect(const char *fmt, ...)
{
	static char want[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return want;
}

/* ---- whole lines: strace_fd is a pipe the test reads back ---- */

static int out[2];
static struct task task = { .tid = 42 };

static void lines_setup(void)
{
	ck_assert_int_eq(pipe(out), 0);
	strace_fd = out[1];
}

static void lines_teardown(void)
{
	close(out[0]);
	close(out[1]);
	strace_fd = -1;
}

/* Everything written since the last call. */
static const char *output(void)
{
	static char text[65536];
	int avail = 0;
	ssize_t n = 0;

	ck_assert_int_eq(ioctl(out[0], FIONREAD, &avail), 0);
	if (avail > 0)
		n = read(out[0], text, MIN((size_t)avail, sizeof(text) - 1));
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static long handler(struct task *t, const uint64_t a[6])
{
	return 0;
}

#define ENTRY(n, format)                                                                           \
	((struct syscall_entry){                                                                   \
		.name = n, .fn = handler, .support = SYSCALL_FULL, .args = format })

/* The line of one call that returned ret. */
static const char *call(const struct syscall_entry *e, unsigned long nr, const uint64_t a[6],
			long ret)
{
	strace_enter(&task, nr, e, a);
	strace_exit(&task, nr, e, a, ret);
	return output();
}

#define LINE(name, format, ret, ...)                                                               \
	call(&ENTRY(name, format), 0, (const uint64_t[6]){ __VA_ARGS__ }, (ret))

/* ---- flags and values ---- */

START_TEST(open_flags)
{
	CHECK_VALUE('o', O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
	CHECK_VALUE('o', 0, "O_RDONLY");
	CHECK_VALUE('o', O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_EXCL | O_NOCTTY,
		    "O_WRONLY|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND");
	CHECK_VALUE('o',
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_PATH | O_DIRECT |
			    O_NONBLOCK | O_SYNC | FASYNC,
		    "O_RDONLY|O_NONBLOCK|O_SYNC|O_DIRECT|O_NOFOLLOW|O_NOATIME|O_PATH|O_DIRECTORY|"
		    "FASYNC");
	CHECK_VALUE('o', O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
	CHECK_VALUE('o', O_CREAT | __O_TMPFILE, "O_RDONLY|O_CREAT|__O_TMPFILE");
	CHECK_VALUE('o', 3 | 0x80000000u, "O_ACCMODE|0x80000000");
	CHECK_VALUE('o', O_LARGEFILE, "O_RDONLY|O_LARGEFILE");
	CHECK_VALUE('o', O_RDWR | O_NONBLOCK | O_LARGEFILE, "O_RDWR|O_NONBLOCK|O_LARGEFILE");
	CHECK_VALUE('o', O_DSYNC, "O_RDONLY|O_DSYNC");
	/* Only the int the kernel reads. */
	CHECK_VALUE('o', 0x100000000ULL | O_WRONLY, "O_WRONLY");
}
END_TEST

START_TEST(truncation)
{
	char small[5];

	ck_assert_uint_eq(strace_format_value(small, sizeof(small), 'o', O_RDONLY | O_CLOEXEC),
			  strlen("O_RDONLY|O_CLOEXEC"));
	ck_assert_str_eq(small, "O_RD");
	ck_assert_uint_eq(strace_format_value(NULL, 0, 'd', 12345), 5);
}
END_TEST

START_TEST(scalars)
{
	CHECK_VALUE('d', -1, "-1");
	CHECK_VALUE('d', 0xffffffff00000007ULL, "7");
	CHECK_VALUE('u', 4096, "4096");
	CHECK_VALUE('l', 0x8000000000000000ULL, "-9223372036854775808");
	CHECK_VALUE('l', -1, "-1");
	CHECK_VALUE('x', 0, "0");
	CHECK_VALUE('x', 0x1000, "0x1000");
	CHECK_VALUE('p', 0, "NULL");
	CHECK_VALUE('p', 0x7ffe6c43da28, "0x7ffe6c43da28");
	CHECK_VALUE('f', AT_FDCWD, "AT_FDCWD");
	CHECK_VALUE('f', (uint32_t)AT_FDCWD, "AT_FDCWD");
	CHECK_VALUE('f', 3, "3");
	CHECK_VALUE('f', -1, "-1");
	CHECK_VALUE('m', 0644, "0644");
	CHECK_VALUE('m', 0, "000");
	CHECK_VALUE('m', 0600, "0600");
	CHECK_VALUE('m', 04755, "04755");
	/* Letters of guest memory print their pointer here. */
	CHECK_VALUE('s', 0, "NULL");
	CHECK_VALUE('k', 0x10, "0x10");
}
END_TEST

START_TEST(mmap_values)
{
	CHECK_VALUE('P', PROT_READ | PROT_WRITE, "PROT_READ|PROT_WRITE");
	CHECK_VALUE('P', 0, "PROT_NONE");
	CHECK_VALUE('P', PROT_READ | PROT_EXEC | 0x100, "PROT_READ|PROT_EXEC|0x100");
	CHECK_VALUE('P', 0x100, "0x100 /* PROT_??? */");
	CHECK_VALUE('P', PROT_READ | PROT_GROWSDOWN, "PROT_READ|PROT_GROWSDOWN");
	CHECK_VALUE('P', PROT_READ | PROT_GROWSUP, "PROT_READ|PROT_GROWSUP");

	CHECK_VALUE('M', MAP_PRIVATE | MAP_ANONYMOUS, "MAP_PRIVATE|MAP_ANONYMOUS");
	CHECK_VALUE('M', MAP_PRIVATE | MAP_DENYWRITE, "MAP_PRIVATE|MAP_DENYWRITE");
	CHECK_VALUE('M',
		    MAP_SHARED | MAP_FIXED | MAP_NORESERVE | MAP_POPULATE | MAP_STACK |
			    MAP_GROWSDOWN | MAP_DENYWRITE,
		    "MAP_SHARED|MAP_FIXED|MAP_NORESERVE|MAP_POPULATE|MAP_GROWSDOWN|MAP_DENYWRITE|"
		    "MAP_STACK");
	CHECK_VALUE('M', MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE | MAP_HUGETLB | MAP_SYNC,
		    "MAP_SHARED_VALIDATE|MAP_HUGETLB|MAP_SYNC|MAP_FIXED_NOREPLACE");
	CHECK_VALUE('M',
		    MAP_PRIVATE | MAP_LOCKED | MAP_NONBLOCK | MAP_EXECUTABLE |
			    (21u << MAP_HUGE_SHIFT),
		    "MAP_PRIVATE|MAP_NONBLOCK|MAP_EXECUTABLE|MAP_LOCKED|21<<MAP_HUGE_SHIFT");
	CHECK_VALUE('M', 0xf0000000u, "MAP_FILE|60<<MAP_HUGE_SHIFT");
	CHECK_VALUE('M', 0, "MAP_FILE");
	CHECK_VALUE('M', 3, "MAP_SHARED_VALIDATE");
	CHECK_VALUE('M', 0x4, "0x4 /* MAP_??? */");
	CHECK_VALUE('M', 0x400000, "MAP_FILE|0x400000");
	CHECK_VALUE('M', 0x22 | 0x8000000, "MAP_PRIVATE|MAP_ANONYMOUS|2<<MAP_HUGE_SHIFT");
}
END_TEST

START_TEST(process_values)
{
	CHECK_VALUE('C', CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD,
		    "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
	CHECK_VALUE('C',
		    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
			    CLONE_CHILD_CLEARTID | CLONE_NEWNS | 0x1000000000ULL,
		    "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEWNS|"
		    "CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|"
		    "0x1000000000");
	CHECK_VALUE('C',
		    CLONE_NEWUSER | CLONE_VFORK | CLONE_PTRACE | SIGCHLD | CLONE_UNTRACED |
			    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
			    CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_IO | CLONE_DETACHED |
			    CLONE_CHILD_SETTID | CLONE_PARENT | CLONE_PIDFD,
		    "CLONE_PIDFD|CLONE_PTRACE|CLONE_VFORK|CLONE_PARENT|CLONE_NEWNS|CLONE_UNTRACED|"
		    "CLONE_CHILD_SETTID|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|"
		    "CLONE_NEWPID|CLONE_NEWNET|CLONE_IO|0x400000|SIGCHLD");
	CHECK_VALUE('C', 0, "0");
	CHECK_VALUE('C', SIGCHLD, "SIGCHLD");
	CHECK_VALUE('C', 0x400000, "0x400000 /* CLONE_??? */");
	CHECK_VALUE('C', 0x4000000011ULL, "0x4000000000 /* CLONE_??? */|SIGCHLD");
	CHECK_VALUE('C', CLONE_VM | 0x40, "CLONE_VM|SIGRT_32");

	CHECK_VALUE('W', WNOHANG | WUNTRACED | __WALL, "WNOHANG|WSTOPPED|__WALL");
	CHECK_VALUE('W', WEXITED | WSTOPPED, "WEXITED|WSTOPPED");
	CHECK_VALUE('W', 0x12345678, "WCONTINUED|0x12345670");
	CHECK_VALUE('W', 0x10000000, "0x10000000 /* W??? */");
	CHECK_VALUE('W', __WNOTHREAD | __WCLONE | WNOWAIT | WEXITED,
		    "WEXITED|WNOWAIT|__WCLONE|__WNOTHREAD");
	CHECK_VALUE('W', 0, "0");

	CHECK_VALUE('r', RLIMIT_NOFILE, "RLIMIT_NOFILE");
	CHECK_VALUE('r', RLIMIT_RTTIME, "RLIMIT_RTTIME");
	CHECK_VALUE('r', 99, "0x63 /* RLIMIT_??? */");

	CHECK_VALUE('X', FUTEX_WAKE_PRIVATE, "FUTEX_WAKE_PRIVATE");
	CHECK_VALUE('X', FUTEX_WAIT, "FUTEX_WAIT");
	CHECK_VALUE('X', FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME,
		    "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
}
END_TEST

START_TEST(file_values)
{
	CHECK_VALUE('A', R_OK | W_OK | X_OK, "R_OK|W_OK|X_OK");
	CHECK_VALUE('A', 0, "F_OK");
	CHECK_VALUE('A', 0x10, "0x10 /* ?_OK */");
	CHECK_VALUE('A', R_OK | 0x10, "R_OK|0x10");

	CHECK_VALUE('@', AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT,
		    "AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|AT_EMPTY_PATH");
	CHECK_VALUE('@', AT_REMOVEDIR, "AT_REMOVEDIR");
	CHECK_VALUE('@', AT_RECURSIVE, "AT_RECURSIVE");
	CHECK_VALUE('@', 0, "0");
	CHECK_VALUE('@', 0x8000000, "0x8000000 /* AT_??? */");
	CHECK_VALUE('@', AT_EMPTY_PATH | 0x8000000, "AT_EMPTY_PATH|0x8000000");

	CHECK_VALUE('F', F_GETFD, "F_GETFD");
	CHECK_VALUE('F', F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC");
	CHECK_VALUE('F', F_OFD_SETLK, "F_OFD_SETLK");
	CHECK_VALUE('F', 1234, "0x4d2 /* F_??? */");

	CHECK_VALUE('w', SEEK_SET, "SEEK_SET");
	CHECK_VALUE('w', SEEK_END, "SEEK_END");
	CHECK_VALUE('w', SEEK_HOLE, "SEEK_HOLE");
	CHECK_VALUE('w', 7, "0x7 /* SEEK_??? */");

	CHECK_VALUE('c', CLOCK_REALTIME, "CLOCK_REALTIME");
	CHECK_VALUE('c', CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW");
	CHECK_VALUE('c', CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
	CHECK_VALUE('c', 99, "0x63 /* CLOCK_??? */");
	CHECK_VALUE('c', -2, "0xfffffffe /* CLOCK_??? */");

	CHECK_VALUE('i', TCGETS, "TCGETS");
	CHECK_VALUE('i', TIOCGWINSZ, "TIOCGWINSZ");
	CHECK_VALUE('i', FIONREAD, "FIONREAD");
	CHECK_VALUE('i', TCSETSW, "SNDCTL_TMR_STOP or TCSETSW");
	CHECK_VALUE('i', 0x1234abcd, "_IOC(_IOC_NONE, 0xab, 0xcd, 0x1234)");
	CHECK_VALUE('i', 0x5499, "_IOC(_IOC_NONE, 0x54, 0x99, 0)");
	CHECK_VALUE('i', 0x80045499, "_IOC(_IOC_READ, 0x54, 0x99, 0x4)");
	CHECK_VALUE('i', 0x40045499, "_IOC(_IOC_WRITE, 0x54, 0x99, 0x4)");
	CHECK_VALUE('i', 0xc0045499, "_IOC(_IOC_READ|_IOC_WRITE, 0x54, 0x99, 0x4)");
}
END_TEST

/* ---- strings, results, signals, structs ---- */

START_TEST(quoting)
{
	ck_assert_str_eq(quoted("hi\tthere\"\\\x01\x7f\xff\n", 14, false),
			 "\"hi\\tthere\\\"\\\\\\1\\177\\377\\n\"");
	/* Three octal digits only before a digit that would join them. */
	ck_assert_str_eq(quoted("\001234\0018\n", 7, false), "\"\\001234\\18\\n\"");
	ck_assert_str_eq(quoted("01234567890123456789012345678901", 32, true),
			 "\"01234567890123456789012345678901\"...");
	ck_assert_str_eq(quoted("abc\0/x", 6, false), "\"abc\\0/x\"");
	ck_assert_str_eq(quoted("\v\f\r", 3, false), "\"\\v\\f\\r\"");
	ck_assert_str_eq(quoted("", 0, false), "\"\"");
}
END_TEST

START_TEST(results)
{
	ck_assert_str_eq(result(3, false), "= 3");
	ck_assert_str_eq(result(0, false), "= 0");
	ck_assert_str_eq(result(2147479552, false), "= 2147479552");
	ck_assert_str_eq(result(-EBADF, false), "= -1 EBADF (Bad file descriptor)");
	ck_assert_str_eq(result(-ENOENT, false), "= -1 ENOENT (No such file or directory)");
	ck_assert_str_eq(result(-ENOSYS, false), "= -1 ENOSYS (Function not implemented)");
	ck_assert_str_eq(result(-EAGAIN, false), "= -1 EAGAIN (Resource temporarily unavailable)");
	ck_assert_str_eq(result(-ENOTTY, false), "= -1 ENOTTY (Inappropriate ioctl for device)");
	ck_assert_str_eq(result(0x7f5b6ee92000, true), "= 0x7f5b6ee92000");
	ck_assert_str_eq(result(-EINVAL, true), "= -1 EINVAL (Invalid argument)");
	ck_assert_str_eq(result(-ERESTARTSYS, false),
			 "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
	ck_assert_str_eq(result(-ERESTARTNOINTR, false), "= ? ERESTARTNOINTR (To be restarted)");
	ck_assert_str_eq(result(-ERESTARTNOHAND, false),
			 "= ? ERESTARTNOHAND (To be restarted if no handler)");
	ck_assert_str_eq(result(-ERESTART_RESTARTBLOCK, false),
			 "= ? ERESTART_RESTARTBLOCK (Interrupted by signal)");
	/* Below -4095 a result is a value, not an errno. */
	ck_assert_str_eq(result(-4096, false), "= -4096");

	ck_assert_str_eq(strace_errno_name(EPERM), "EPERM");
	ck_assert_str_eq(strace_errno_name(EWOULDBLOCK), "EAGAIN");
	ck_assert_str_eq(strace_errno_name(EDEADLOCK), "EDEADLK");
	ck_assert_str_eq(strace_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	ck_assert_str_eq(strace_errno_name(EHWPOISON), "EHWPOISON");
	ck_assert_ptr_null(strace_errno_name(0));
	ck_assert_ptr_null(strace_errno_name(600));
	ck_assert_ptr_null(strace_errno_name(-1));
	/* Every errno up to the last one Linux has is named. */
	for (int e = 1; e <= EHWPOISON; e++)
		if (e != 41 && e != 58) /* numbers Linux never used */
			ck_assert_msg(strace_errno_name(e) != NULL, "errno %d", e);
}
END_TEST

START_TEST(signals)
{
	CHECK_VALUE('S', SIGINT, "SIGINT");
	CHECK_VALUE('S', SIGKILL, "SIGKILL");
	CHECK_VALUE('S', 6, "SIGABRT");
	CHECK_VALUE('S', 29, "SIGIO");
	CHECK_VALUE('S', 16, "SIGSTKFLT");
	CHECK_VALUE('S', 31, "SIGSYS");
	CHECK_VALUE('S', 32, "SIGRTMIN");
	CHECK_VALUE('S', 33, "SIGRT_1");
	CHECK_VALUE('S', 40, "SIGRT_8");
	CHECK_VALUE('S', 64, "SIGRT_32");
	CHECK_VALUE('S', 65, "65");
	CHECK_VALUE('S', 0, "0");
	CHECK_VALUE('S', -3, "-3");
	CHECK_VALUE('S', 0x80000001u, "-2147483647");

	CHECK_VALUE('h', SIG_BLOCK, "SIG_BLOCK");
	CHECK_VALUE('h', SIG_SETMASK, "SIG_SETMASK");
	CHECK_VALUE('h', 5, "0x5 /* SIG_??? */");

	ck_assert_str_eq(sigset_text(0), "[]");
	ck_assert_str_eq(sigset_text(~0ULL), "~[]");
	ck_assert_str_eq(
		sigset_text(GSIG_BIT(SIGINT) | GSIG_BIT(SIGTERM) | GSIG_BIT(34) | GSIG_BIT(64)),
		"[INT TERM RT_2 RT_32]");
	ck_assert_str_eq(sigset_text(~(GSIG_BIT(SIGINT) | GSIG_BIT(32) | GSIG_BIT(33))),
			 "~[INT RTMIN RT_1]");
	ck_assert_str_eq(sigset_text(GSIG_BIT(SIGCHLD)), "[CHLD]");
	ck_assert_str_eq(sigset_text(0xffffffffULL),
			 "[HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM "
			 "STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO "
			 "PWR SYS RTMIN]");
	ck_assert_str_eq(sigset_text(GSIG_BIT(SIGSYS) | GSIG_BIT(32)), "[SYS RTMIN]");
	/* 41 signals print as a list, 42 (2/3 of 64) as what is missing. */
	ck_assert_str_eq(sigset_text((1ULL << 41) - 1),
			 "[HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM "
			 "STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO "
			 "PWR SYS RTMIN RT_1 RT_2 RT_3 RT_4 RT_5 RT_6 RT_7 RT_8 RT_9]");
	ck_assert_str_eq(sigset_text((1ULL << 42) - 1),
			 "~[RT_11 RT_12 RT_13 RT_14 RT_15 RT_16 RT_17 RT_18 RT_19 RT_20 RT_21 "
			 "RT_22 RT_23 RT_24 RT_25 RT_26 RT_27 RT_28 RT_29 RT_30 RT_31 RT_32]");
}
END_TEST

START_TEST(sigactions)
{
	struct guest_sigaction sa = {
		.handler = 0x55b598a55339,
		.flags = 0x04000000 /* SA_RESTORER */ | SA_RESTART | SA_SIGINFO | SA_NODEFER,
		.restorer = 0x7f5b6ece3050,
		.mask = GSIG_BIT(SIGCHLD),
	};

	strace_format_sigaction(buf, sizeof(buf), &sa);
	ck_assert_str_eq(buf, "{sa_handler=0x55b598a55339, sa_mask=[CHLD], "
			      "sa_flags=SA_RESTORER|SA_RESTART|SA_NODEFER|SA_SIGINFO, "
			      "sa_restorer=0x7f5b6ece3050}");

	sa.handler = 1;
	sa.flags = 0x04000000;
	strace_format_sigaction(buf, sizeof(buf), &sa);
	ck_assert_str_eq(buf, "{sa_handler=SIG_IGN, sa_mask=[CHLD], sa_flags=SA_RESTORER, "
			      "sa_restorer=0x7f5b6ece3050}");

	sa = (struct guest_sigaction){ 0 };
	strace_format_sigaction(buf, sizeof(buf), &sa);
	ck_assert_str_eq(buf, "{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}");

	sa = (struct guest_sigaction){
		.handler = ~0ULL,
		.flags = 0x04000000 | 0x20000000 | 0x1 | 0x2 | 0x8000000 | 0x400,
		.restorer = 0x1234,
	};
	strace_format_sigaction(buf, sizeof(buf), &sa);
	ck_assert_str_eq(buf, "{sa_handler=SIG_ERR, sa_mask=[], sa_flags=SA_RESTORER|SA_ONSTACK|"
			      "SA_INTERRUPT|SA_NOCLDSTOP|SA_NOCLDWAIT|0x400, sa_restorer=0x1234}");

	sa = (struct guest_sigaction){ .flags = 0x04000000, .mask = ~0ULL };
	strace_format_sigaction(buf, sizeof(buf), &sa);
	ck_assert_str_eq(buf, "{sa_handler=SIG_DFL, sa_mask=~[], sa_flags=SA_RESTORER, "
			      "sa_restorer=NULL}");
}
END_TEST

START_TEST(wait_statuses)
{
	strace_format_wait_status(buf, sizeof(buf), 3 << 8);
	ck_assert_str_eq(buf, "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]");
	strace_format_wait_status(buf, sizeof(buf), SIGKILL);
	ck_assert_str_eq(buf, "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]");
	strace_format_wait_status(buf, sizeof(buf), SIGSEGV | 0x80);
	ck_assert_str_eq(buf, "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]");
	strace_format_wait_status(buf, sizeof(buf), SIGSTOP << 8 | 0x7f);
	ck_assert_str_eq(buf, "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]");
	strace_format_wait_status(buf, sizeof(buf), 0xffff);
	ck_assert_str_eq(buf, "[{WIFCONTINUED(s)}]");
}
END_TEST

START_TEST(structs)
{
	struct stat st = { .st_mode = S_IFREG | 0644, .st_size = 1221 };

	strace_format_timespec(buf, sizeof(buf), 1, 0);
	ck_assert_str_eq(buf, "{tv_sec=1, tv_nsec=0}");
	strace_format_timespec(buf, sizeof(buf), 1795438900, 609617171);
	ck_assert_str_eq(buf, "{tv_sec=1795438900, tv_nsec=609617171}");

	strace_format_rlimit(buf, sizeof(buf), 8192 * 1024, ~0ULL);
	ck_assert_str_eq(buf, "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}");
	strace_format_rlimit(buf, sizeof(buf), 20000, 20000);
	ck_assert_str_eq(buf, "{rlim_cur=20000, rlim_max=20000}");
	strace_format_rlimit(buf, sizeof(buf), 1024, 2048);
	ck_assert_str_eq(buf, "{rlim_cur=1024, rlim_max=2*1024}");

	strace_format_stat(buf, sizeof(buf), &st);
	ck_assert_str_eq(buf, "{st_mode=S_IFREG|0644, st_size=1221, ...}");
	st = (struct stat){ .st_mode = S_IFCHR | 0666, .st_rdev = makedev(1, 3) };
	strace_format_stat(buf, sizeof(buf), &st);
	ck_assert_str_eq(buf, "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}");
	st = (struct stat){ .st_mode = S_IFCHR | 0620, .st_rdev = makedev(0x88, 0) };
	strace_format_stat(buf, sizeof(buf), &st);
	ck_assert_str_eq(buf, "{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0), ...}");
	st = (struct stat){ .st_mode = S_IFDIR | S_ISVTX | 0777, .st_size = 4096 };
	strace_format_stat(buf, sizeof(buf), &st);
	ck_assert_str_eq(buf, "{st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}");
	st = (struct stat){ .st_mode = S_IFLNK | 0777, .st_size = 7 };
	strace_format_stat(buf, sizeof(buf), &st);
	ck_assert_str_eq(buf, "{st_mode=S_IFLNK|0777, st_size=7, ...}");
}
END_TEST

/* ---- whole lines ---- */

START_TEST(line_files)
{
	char path[] = "/etc/passwd";
	char data[4096] = "0123456789012345678901234567890123456789";
	char longpath[] = "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct syscall_entry read_entry = ENTRY("read", "fBu");
	const uint64_t read_args[6] = { 3, G(data), 4096 };

	ck_assert_str_eq(
		LINE("openat", "fso", 3, (uint64_t)AT_FDCWD, G(path), O_RDONLY | O_CLOEXEC),
		"[pid 42] openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3\n");
	/* Paths print whole, as strace prints them. */
	ck_assert_str_eq(LINE("open", "som", -ENOENT, G(longpath), O_RDONLY),
			 expect("[pid 42] open(\"%s\", O_RDONLY, 000) = -1 ENOENT (No such file "
				"or directory)\n",
				longpath));
	ck_assert_str_eq(LINE("openat", "fso", -EFAULT, (uint64_t)AT_FDCWD, 8, O_RDONLY),
			 "[pid 42] openat(AT_FDCWD, 0x8, O_RDONLY) = -1 EFAULT (Bad address)\n");
	ck_assert_str_eq(LINE("write", "fbu", 40, 1, G(data), 40),
			 "[pid 42] write(1, \"01234567890123456789012345678901\"..., 40) = 40\n");
	ck_assert_str_eq(LINE("write", "fbu", -EFAULT, 1, 1, 5),
			 "[pid 42] write(1, 0x1, 5) = -1 EFAULT (Bad address)\n");
	ck_assert_str_eq(LINE("close", "f", -EBADF, 9999),
			 "[pid 42] close(9999) = -1 EBADF (Bad file descriptor)\n");
	ck_assert_str_eq(LINE("lseek", "flw", 1220, 3, -1, SEEK_END),
			 "[pid 42] lseek(3, -1, SEEK_END) = 1220\n");
	ck_assert_str_eq(LINE("access", "sA", 0, G("/etc"), R_OK | W_OK | X_OK),
			 "[pid 42] access(\"/etc\", R_OK|W_OK|X_OK) = 0\n");
	ck_assert_str_eq(
		LINE("faccessat2", "fsA@", -EINVAL, (uint64_t)AT_FDCWD, G("/x"), 0, 0x1f00),
		"[pid 42] faccessat2(AT_FDCWD, \"/x\", F_OK, AT_SYMLINK_NOFOLLOW|AT_EACCESS|"
		"AT_EMPTY_PATH|0xc00) = -1 EINVAL (Invalid argument)\n");
	ck_assert_str_eq(LINE("unlinkat", "fs@", 0, (uint64_t)AT_FDCWD, G("/x"), AT_REMOVEDIR),
			 "[pid 42] unlinkat(AT_FDCWD, \"/x\", AT_REMOVEDIR) = 0\n");

	/* read's buffer is shown as the call left it, for as many bytes as it returned. */
	strcpy(data, "garbage");
	strace_enter(&task, 0, &read_entry, read_args);
	ck_assert_str_eq(output(), "");
	strcpy(data, "root:x:0:0:root:/root:/bin/bash\nmore");
	strace_exit(&task, 0, &read_entry, read_args, 1221);
	ck_assert_str_eq(output(), "[pid 42] read(3, \"root:x:0:0:root:/root:/bin/bash\\n\"..., "
				   "4096) = 1221\n");
	ck_assert_str_eq(LINE("pread64", "fBul", 10, 3, G("x:0:0:root"), 10, 5),
			 "[pid 42] pread64(3, \"x:0:0:root\", 10, 5) = 10\n");
	ck_assert_str_eq(LINE("read", "fBu", 0, 3, G(data), 0), "[pid 42] read(3, \"\", 0) = 0\n");
	ck_assert_str_eq(LINE("read", "fBu", -EAGAIN, 3, G(data), 10),
			 expect("[pid 42] read(3, %p, 10) = -1 EAGAIN (Resource temporarily "
				"unavailable)\n",
				(void *)data));
}
END_TEST

START_TEST(line_structs)
{
	struct stat st = { .st_mode = S_IFREG | 0644, .st_size = 1221 };
	struct utsname u = { .sysname = "Linux", .nodename = "vm" };
	char in[100] = "hello world, this is a long string of text!!";
	struct iovec wv[2] = { { "ab", 2 }, { "cde\n", 4 } };
	struct iovec rv[3] = { { in, 5 }, { in + 5, 50 }, { in + 60, 10 } };
	struct {
		int64_t sec, nsec;
	} ts = { 1, 5 };
	uint64_t rl[2] = { 8192 * 1024, ~0ULL };

	ck_assert_str_eq(LINE("newfstatat", "fsT@", 0, (uint64_t)AT_FDCWD, G("/etc/passwd"), G(&st),
			      AT_SYMLINK_NOFOLLOW),
			 "[pid 42] newfstatat(AT_FDCWD, \"/etc/passwd\", {st_mode=S_IFREG|0644, "
			 "st_size=1221, ...}, AT_SYMLINK_NOFOLLOW) = 0\n");
	ck_assert_str_eq(LINE("newfstatat", "fsT@", -EINVAL, 5, G("x"), G(&st), 0x8000000),
			 expect("[pid 42] newfstatat(5, \"x\", %p, 0x8000000 /* AT_??? */) = -1 "
				"EINVAL (Invalid argument)\n",
				(void *)&st));
	ck_assert_str_eq(LINE("uname", "U", 0, G(&u)),
			 "[pid 42] uname({sysname=\"Linux\", nodename=\"vm\", ...}) = 0\n");
	ck_assert_str_eq(LINE("writev", "fIu", 6, 1, G(wv), 2),
			 "[pid 42] writev(1, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cde\\n\", "
			 "iov_len=4}], 2) = 6\n");
	ck_assert_str_eq(
		LINE("readv", "f>Iu", 44, 3, G(rv), 3),
		"[pid 42] readv(3, [{iov_base=\"hello\", iov_len=5}, {iov_base=\" world, "
		"this is a long string of\"..., iov_len=50}, {iov_base=\"\", iov_len=10}], "
		"3) = 44\n");
	ck_assert_str_eq(
		LINE("clock_nanosleep", "cdt>t", -ERESTART_RESTARTBLOCK, CLOCK_MONOTONIC, 0, G(&ts),
		     0),
		"[pid 42] clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=1, tv_nsec=5}, NULL) "
		"= ? ERESTART_RESTARTBLOCK (Interrupted by signal)\n");
	ck_assert_str_eq(LINE("clock_gettime", "c>t", 0, CLOCK_REALTIME, G(&ts)),
			 "[pid 42] clock_gettime(CLOCK_REALTIME, {tv_sec=1, tv_nsec=5}) = 0\n");
	ck_assert_str_eq(LINE("clock_gettime", "c>t", -EINVAL, 99, 0),
			 "[pid 42] clock_gettime(0x63 /* CLOCK_??? */, NULL) = -1 EINVAL (Invalid "
			 "argument)\n");
	ck_assert_str_eq(
		LINE("clock_gettime", "c>t", -EFAULT, CLOCK_MONOTONIC, 1),
		"[pid 42] clock_gettime(CLOCK_MONOTONIC, 0x1) = -1 EFAULT (Bad address)\n");
	ck_assert_str_eq(LINE("prlimit64", "drR>R", 0, 0, RLIMIT_STACK, 0, G(rl)),
			 "[pid 42] prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, "
			 "rlim_max=RLIM64_INFINITY}) = 0\n");
	ck_assert_str_eq(
		LINE("mmap", "puPMfx=x", 0x7f5b6ee92000, 0, 8192, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		"[pid 42] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, "
		"-1, 0) = 0x7f5b6ee92000\n");
	ck_assert_str_eq(LINE("mmap", "puPMfx=x", -EINVAL, 0x10000, 4096, 0, MAP_SHARED, 3, 4096),
			 "[pid 42] mmap(0x10000, 4096, PROT_NONE, MAP_SHARED, 3, 0x1000) = -1 "
			 "EINVAL (Invalid argument)\n");
	ck_assert_str_eq(LINE("brk", "p=x", 0x5606c3b82000, 0),
			 "[pid 42] brk(NULL) = 0x5606c3b82000\n");
	/* An unused argument is not printed. */
	ck_assert_str_eq(LINE("f", "d-d", 0, 1, 2, 3), "[pid 42] f(1, 3) = 0\n");
}
END_TEST

START_TEST(line_signals)
{
	uint64_t set = GSIG_BIT(SIGINT) | GSIG_BIT(SIGTERM);
	struct guest_sigaction act = { .handler = 1,
				       .flags = 0x04000000,
				       .restorer = 0x7f5b6ece3050,
				       .mask = GSIG_BIT(SIGCHLD) };
	struct guest_sigaction old = { 0 };
	struct syscall_entry procmask = ENTRY("rt_sigprocmask", "hk>ku");
	const uint64_t procmask_args[6] = { SIG_SETMASK, 0, G(&set), 8 };

	ck_assert_str_eq(LINE("rt_sigprocmask", "hk>ku", 0, SIG_BLOCK, G(&set), 0, 8),
			 "[pid 42] rt_sigprocmask(SIG_BLOCK, [INT TERM], NULL, 8) = 0\n");
	ck_assert_str_eq(LINE("rt_sigprocmask", "hk>ku", -EFAULT, SIG_SETMASK, 0x10, 0, 8),
			 "[pid 42] rt_sigprocmask(SIG_SETMASK, 0x10, NULL, 8) = -1 EFAULT (Bad "
			 "address)\n");
	/* The old set is what the call stored. */
	strace_enter(&task, 14, &procmask, procmask_args);
	set = GSIG_BIT(SIGINT);
	strace_exit(&task, 14, &procmask, procmask_args, 0);
	ck_assert_str_eq(output(), "[pid 42] rt_sigprocmask(SIG_SETMASK, NULL, [INT], 8) = 0\n");

	ck_assert_str_eq(LINE("rt_sigaction", "Sa>au", 0, SIGPIPE, G(&act), G(&old), 8),
			 "[pid 42] rt_sigaction(SIGPIPE, {sa_handler=SIG_IGN, sa_mask=[CHLD], "
			 "sa_flags=SA_RESTORER, sa_restorer=0x7f5b6ece3050}, {sa_handler=SIG_DFL, "
			 "sa_mask=[], sa_flags=0}, 8) = 0\n");
	ck_assert_str_eq(
		LINE("rt_sigaction", "Sa>au", -EFAULT, SIGUSR2, 0, 1, 8),
		"[pid 42] rt_sigaction(SIGUSR2, NULL, 0x1, 8) = -1 EFAULT (Bad address)\n");
	ck_assert_str_eq(LINE("kill", "dS", 0, 4930, 0), "[pid 42] kill(4930, 0) = 0\n");
	ck_assert_str_eq(LINE("kill", "dS", -ESRCH, 999999, 40),
			 "[pid 42] kill(999999, SIGRT_8) = -1 ESRCH (No such process)\n");
}
END_TEST

START_TEST(line_processes)
{
	int status = 3 << 8;
	char *argv[] = { "/bin/true", "-la", "x\ny", NULL };
	char *envp[] = { "A=1", "B=2", NULL };
	char *long_argv[] = { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", NULL };
	char *bad_argv[] = { "x", (char *)1, NULL };
	char *many[40];
	struct syscall_entry execve = ENTRY("execve", "svV");
	const uint64_t execve_args[6] = { G("/bin/true"), G(argv), G(envp) };
	struct syscall_entry exit_group = ENTRY("exit_group", "d=?");
	const char *want;

	ck_assert_str_eq(LINE("wait4", "dEWp", 4931, -1, G(&status), 0, 0),
			 "[pid 42] wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = "
			 "4931\n");
	ck_assert_str_eq(LINE("wait4", "dEWp", 0, 9566, G(&status), WNOHANG, 0),
			 expect("[pid 42] wait4(9566, %p, WNOHANG, NULL) = 0\n", (void *)&status));
	ck_assert_str_eq(
		LINE("wait4", "dEWp", -ECHILD, -1, G(&status), WNOHANG | WUNTRACED | __WALL, 0),
		expect("[pid 42] wait4(-1, %p, WNOHANG|WSTOPPED|__WALL, NULL) = -1 ECHILD "
		       "(No child processes)\n",
		       (void *)&status));

	/* execve's arguments are read before the image they live in is replaced. */
	strace_enter(&task, 59, &execve, execve_args);
	argv[0] = argv[1] = argv[2] = NULL;
	envp[0] = NULL;
	strace_exit(&task, 59, &execve, execve_args, 0);
	ck_assert_str_eq(output(), expect("[pid 42] execve(\"/bin/true\", [\"/bin/true\", \"-la\", "
					  "\"x\\ny\"], %p /* 2 vars */) = 0\n",
					  (void *)envp));

	envp[0] = "A=1";
	envp[1] = NULL;
	ck_assert_str_eq(
		LINE("execve", "svV", -ENOENT, G("/nonexist"), G(long_argv), G(envp)),
		expect("[pid 42] execve(\"/nonexist\", [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
		       "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"...], %p /* 1 var */) = -1 "
		       "ENOENT (No such file or directory)\n",
		       (void *)envp));
	ck_assert_str_eq(LINE("execve", "svV", -ENOENT, G("/nonexist"), G(bad_argv), 0),
			 "[pid 42] execve(\"/nonexist\", [\"x\", 0x1], NULL) = -1 ENOENT (No such "
			 "file or directory)\n");
	ck_assert_str_eq(LINE("execve", "svV", -EFAULT, G("/nonexist"), 1, 1),
			 "[pid 42] execve(\"/nonexist\", 0x1, 0x1) = -1 EFAULT (Bad address)\n");
	for (int i = 0; i < 39; i++)
		many[i] = "a";
	many[39] = NULL;
	want = expect(
		"[pid 42] execve(\"/x\", [%s\"a\", ...], NULL) = -1 ENOENT (No such file or "
		"directory)\n",
		"\"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", "
		"\"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", "
		"\"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", ");
	ck_assert_str_eq(LINE("execve", "svV", -ENOENT, G("/x"), G(many), 0), want);

	/* exit_group never returns: its line is written at entry. */
	strace_enter(&task, 231, &exit_group, (const uint64_t[6]){ 0 });
	ck_assert_str_eq(output(), "[pid 42] exit_group(0) = ?\n");

	ck_assert_str_eq(LINE("clone", "Cpppx", 4931,
			      CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0,
			      0x7f5b6eca4a10, 0),
			 "[pid 42] clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, NULL, "
			 "NULL, 0x7f5b6eca4a10, 0) = 4931\n");
}
END_TEST

START_TEST(line_commands)
{
	int n = 5, pg = 0;
	struct winsize ws = { 24, 80, 0, 0 };
	struct syscall_entry fionread = ENTRY("ioctl", "fig");
	const uint64_t fionread_args[6] = { 3, FIONREAD, G(&n) };

	ck_assert_str_eq(LINE("fcntl", "fFg", 1, 3, F_GETFD),
			 "[pid 42] fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 0, 0, F_GETFD), "[pid 42] fcntl(0, F_GETFD) = 0\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 0, 3, F_SETFD, FD_CLOEXEC),
			 "[pid 42] fcntl(3, F_SETFD, FD_CLOEXEC) = 0\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 0, 0, F_SETFD, 0x10),
			 "[pid 42] fcntl(0, F_SETFD, 0x10 /* FD_??? */) = 0\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 0x8000, 3, F_GETFL),
			 "[pid 42] fcntl(3, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 0, 3, F_SETFL, O_NONBLOCK),
			 "[pid 42] fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK) = 0\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 11, 3, F_DUPFD_CLOEXEC, 10),
			 "[pid 42] fcntl(3, F_DUPFD_CLOEXEC, 10) = 11\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", -EINVAL, 3, 1234, 5),
			 "[pid 42] fcntl(3, 0x4d2 /* F_??? */, 0x5) = -1 EINVAL (Invalid "
			 "argument)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", -EFAULT, 0, F_SETLKW, 0),
			 "[pid 42] fcntl(0, F_SETLKW, NULL) = -1 EFAULT (Bad address)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 0, 0, F_SETSIG, SIGUSR1),
			 "[pid 42] fcntl(0, F_SETSIG, SIGUSR1) = 0\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 10, 0, F_GETSIG),
			 "[pid 42] fcntl(0, F_GETSIG) = 10 (SIGUSR1)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", 2, 0, F_GETLEASE),
			 "[pid 42] fcntl(0, F_GETLEASE) = 0x2 (F_UNLCK)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", -EINVAL, 0, F_SETLEASE, F_RDLCK),
			 "[pid 42] fcntl(0, F_SETLEASE, F_RDLCK) = -1 EINVAL (Invalid argument)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", -EPERM, 0, F_ADD_SEALS, 0x40),
			 "[pid 42] fcntl(0, F_ADD_SEALS, 0x40 /* F_SEAL_??? */) = -1 EPERM "
			 "(Operation not permitted)\n");
	ck_assert_str_eq(LINE("fcntl", "fFg", -EPERM, 0, F_ADD_SEALS, F_SEAL_SEAL),
			 "[pid 42] fcntl(0, F_ADD_SEALS, F_SEAL_SEAL) = -1 EPERM (Operation not "
			 "permitted)\n");

	ck_assert_str_eq(LINE("ioctl", "fig", 0, 99, FIOCLEX), "[pid 42] ioctl(99, FIOCLEX) = 0\n");
	ck_assert_str_eq(LINE("ioctl", "fig", 0, 6, TCXONC, TCOON),
			 "[pid 42] ioctl(6, TCXONC, TCOON) = 0\n");
	ck_assert_str_eq(LINE("ioctl", "fig", 0, 6, TCFLSH, TCIOFLUSH),
			 "[pid 42] ioctl(6, TCFLSH, TCIOFLUSH) = 0\n");
	ck_assert_str_eq(LINE("ioctl", "fig", 0, 6, TCSBRK, 1),
			 "[pid 42] ioctl(6, TCSBRK, 1) = 0\n");
	ck_assert_str_eq(LINE("ioctl", "fig", 0, 6, TIOCSWINSZ, G(&ws)),
			 "[pid 42] ioctl(6, TIOCSWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, "
			 "ws_ypixel=0}) = 0\n");
	ck_assert_str_eq(
		LINE("ioctl", "fig", -ENOTTY, 6, TIOCGWINSZ, G(&ws)),
		expect("[pid 42] ioctl(6, TIOCGWINSZ, %p) = -1 ENOTTY (Inappropriate ioctl "
		       "for device)\n",
		       (void *)&ws));
	ck_assert_str_eq(LINE("ioctl", "fig", -ENOTTY, 6, TIOCSPGRP, G(&pg)),
			 "[pid 42] ioctl(6, TIOCSPGRP, [0]) = -1 ENOTTY (Inappropriate ioctl for "
			 "device)\n");
	ck_assert_str_eq(LINE("ioctl", "fig", -ENOTTY, 0, 0x1234abcd, 0),
			 "[pid 42] ioctl(0, _IOC(_IOC_NONE, 0xab, 0xcd, 0x1234), 0) = -1 ENOTTY "
			 "(Inappropriate ioctl for device)\n");
	/* FIONREAD's count is what the call stored. */
	n = -1;
	strace_enter(&task, 16, &fionread, fionread_args);
	n = 5;
	strace_exit(&task, 16, &fionread, fionread_args, 0);
	ck_assert_str_eq(output(), "[pid 42] ioctl(3, FIONREAD, [5]) = 0\n");
}
END_TEST

START_TEST(line_unknown)
{
	struct syscall_entry nosys = { .name = "shmget",
				       .support = SYSCALL_UNIMPLEMENTED,
				       .err = ENOSYS,
				       .note = "no System V IPC" };
	const uint64_t a[6] = { 1, 2, 3, 4, 5, 6 };

	ck_assert_str_eq(call(NULL, 0x2710, a, -ENOSYS),
			 "[pid 42] syscall_0x2710(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS "
			 "(Function not implemented)\n");
	ck_assert_str_eq(call(&nosys, 29, a, -ENOSYS),
			 "[pid 42] shmget(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not "
			 "implemented)\n");
	ck_assert_str_eq(LINE("getpid", "", 4930), "[pid 42] getpid() = 4930\n");
	/* A line without its entry (tracing turned on mid-call) is decoded at exit. */
	strace_exit(&task, 3, &ENTRY("close", "f"), (const uint64_t[6]){ 4 }, 0);
	ck_assert_str_eq(output(), "[pid 42] close(4) = 0\n");
}
END_TEST

/* A call that blocks on one thread while another task's call is printed whole. */
struct blocked {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;
};

static void *other_task(void *arg)
{
	struct blocked *b = arg;
	struct task t2 = { .tid = 43 };
	struct syscall_entry getpid = ENTRY("getpid", "");

	pthread_mutex_lock(&b->lock);
	while (b->stage != 1)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	strace_enter(&t2, 39, &getpid, (const uint64_t[6]){ 0 });
	strace_exit(&t2, 39, &getpid, (const uint64_t[6]){ 0 }, 43);
	pthread_mutex_lock(&b->lock);
	b->stage = 2;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

START_TEST(line_tasks)
{
	struct blocked b = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	char data[16] = "";
	struct syscall_entry read_entry = ENTRY("read", "fBu");
	const uint64_t args[6] = { 0, G(data), sizeof(data) };
	pthread_t thread;

	ck_assert_int_eq(pthread_create(&thread, NULL, other_task, &b), 0);
	strace_enter(&task, 0, &read_entry, args);
	pthread_mutex_lock(&b.lock);
	b.stage = 1;
	pthread_cond_broadcast(&b.cond);
	while (b.stage != 2)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	strcpy(data, "typed\n");
	strace_exit(&task, 0, &read_entry, args, 6);
	pthread_join(thread, NULL);
	ck_assert_str_eq(output(), "[pid 43] getpid() = 43\n"
				   "[pid 42] read(0, \"typed\\n\", 16) = 6\n");
}
END_TEST

/* Threads that end inside a call, as a task does in exit_group or on a fatal signal. */
static void *dying_task(void *arg)
{
	struct task t3 = { .tid = 44 };
	struct syscall_entry *e = arg;

	strace_enter(&t3, 0, e, (const uint64_t[6]){ 7, 0x7ffe0000 });
	pthread_exit(NULL);
}

START_TEST(line_unfinished)
{
	struct syscall_entry exit_group = ENTRY("exit_group", "d");
	struct syscall_entry read_entry = ENTRY("read", "fBu");
	pthread_t thread;

	ck_assert_int_eq(pthread_create(&thread, NULL, dying_task, &exit_group), 0);
	pthread_join(thread, NULL);
	ck_assert_str_eq(output(), "[pid 44] exit_group(7) = ?\n");
	/* What the call was to fill is not read from a task that is gone. */
	ck_assert_int_eq(pthread_create(&thread, NULL, dying_task, &read_entry), 0);
	pthread_join(thread, NULL);
	ck_assert_str_eq(output(), "[pid 44] read(7, 0x7ffe0000, 0) = ?\n");
}
END_TEST

static Suite *strace_suite(void)
{
	Suite *s = suite_create("strace");
	TCase *values = tcase_create("values");
	TCase *lines = tcase_create("lines");

	tcase_add_test(values, open_flags);
	tcase_add_test(values, truncation);
	tcase_add_test(values, scalars);
	tcase_add_test(values, mmap_values);
	tcase_add_test(values, process_values);
	tcase_add_test(values, file_values);
	tcase_add_test(values, quoting);
	tcase_add_test(values, results);
	tcase_add_test(values, signals);
	tcase_add_test(values, sigactions);
	tcase_add_test(values, wait_statuses);
	tcase_add_test(values, structs);
	suite_add_tcase(s, values);

	tcase_add_checked_fixture(lines, lines_setup, lines_teardown);
	tcase_add_test(lines, line_files);
	tcase_add_test(lines, line_structs);
	tcase_add_test(lines, line_signals);
	tcase_add_test(lines, line_processes);
	tcase_add_test(lines, line_commands);
	tcase_add_test(lines, line_unknown);
	tcase_add_test(lines, line_tasks);
	tcase_add_test(lines, line_unfinished);
	suite_add_tcase(s, lines);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(strace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
