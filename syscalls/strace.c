/*
 * --strace: one line per guest syscall in strace(1)'s words, its arguments decoded by the
 * letters of its table entry (syscalls/syscalls.h) and the line written whole when it returns.
 */
/* The kernel's O_*, F_*, AT_*, PROT_* and MAP_*: the guest's ABI, which glibc's x86-64 headers
 * do not give for O_LARGEFILE (0 there). glibc's <fcntl.h> and <sys/mman.h> are not included. */
#include <linux/fcntl.h>
#include <linux/mman.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Only <asm/signal.h> has it, and it cannot be included with <signal.h>; every Linux
 * architecture that has sa_restorer uses this value. */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

int strace_fd = -1;

/* Room for a line: a path is at most PATH_MAX bytes, each escaped to at most 4. */
#define STRACE_TEXT_MAX (5 * PATH_MAX)
#define STRACE_LINE_MAX (STRACE_TEXT_MAX + 4096)
/* Kept free at the end of a line for the result, whatever the arguments took. */
#define STRACE_RESULT_ROOM 256

/* Text appended into a fixed buffer: it is cut, never overflowed; len counts what was asked. */
struct sbuf {
	char *buf;
	size_t size;
	size_t len;
};

static struct sbuf sbuf_init(char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return (struct sbuf){ .buf = buf, .size = size, .len = 0 };
}

static void sb_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + 1 < sb->size) {
		size_t k = MIN(n, sb->size - sb->len - 1);

		memcpy(sb->buf + sb->len, s, k);
		sb->buf[sb->len + k] = '\0';
	}
	sb->len += n;
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

static void sb_putc(struct sbuf *sb, char c)
{
	sb_putn(sb, &c, 1);
}

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += n;
}

/* Value-to-name tables, in strace's order: flags print in table order. */
struct xlat {
	uint64_t val;
	const char *name;
};
/* clang-format off */
#define X(v) { (uint64_t)(v), #v }
/* clang-format on */
#define XLAT(table) table, ARRAY_SIZE(table)

/* The name v stands for; an unknown value prints in hex followed by the table's unknown
 * mark (CLOCK_???) in a C comment, as strace does. */
static void put_xval(struct sbuf *sb, const struct xlat *x, size_t n, uint64_t v,
		     const char *unknown)
{
	for (size_t i = 0; i < n; i++) {
		if (x[i].val == v) {
			sb_puts(sb, x[i].name);
			return;
		}
	}
	sb_printf(sb, "%#" PRIx64 " /* %s */", v, unknown);
}

/*
 * strace's printflags: the names of the set flags in table order, then the unknown bits in
 * hex; "0" when nothing is set. after says something was already printed (an access mode, a
 * mapping type), which the flags then follow with '|'.
 */
static void put_flags(struct sbuf *sb, const struct xlat *x, size_t n, uint64_t flags,
		      const char *unknown, bool after)
{
	bool any = false;

	for (size_t i = 0; i < n && flags; i++) {
		if (x[i].val && (flags & x[i].val) == x[i].val) {
			if (any || after)
				sb_putc(sb, '|');
			sb_puts(sb, x[i].name);
			flags &= ~x[i].val;
			any = true;
		}
	}
	if (flags) {
		if (any || after)
			sb_printf(sb, "|%#" PRIx64, flags);
		else
			sb_printf(sb, "%#" PRIx64 " /* %s */", flags, unknown);
	} else if (!any && !after) {
		sb_putc(sb, '0');
	}
}

static void put_pointer(struct sbuf *sb, uint64_t p)
{
	if (p)
		sb_printf(sb, "%#" PRIx64, p);
	else
		sb_puts(sb, "NULL");
}

/* The characters strace escapes by letter, and their letters. */
static const char specials[] = "\"\\\f\n\r\t\v";
static const char special_letters[] = "\"\\fnrtv";

static void put_quoted(struct sbuf *sb, const void *data, size_t n, bool more)
{
	const unsigned char *s = data;

	sb_putc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		const char *special = c ? strchr(specials, c) : NULL;

		if (special) {
			sb_putc(sb, '\\');
			sb_putc(sb, special_letters[special - specials]);
		} else if (c >= ' ' && c <= '~') {
			sb_putc(sb, c);
		} else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7') {
			/* Three digits when an octal digit follows, or it would be read as one. */
			sb_printf(sb, "\\%03o", c);
		} else {
			sb_printf(sb, "\\%o", c);
		}
	}
	sb_putc(sb, '"');
	if (more)
		sb_puts(sb, "...");
}

/* Errors */

/* clang-format off: a table reads better packed */
#define E(e) [e] = #e
static const char *const errno_names[] = {
	E(EPERM),
	E(ENOENT),
	E(ESRCH),
	E(EINTR),
	E(EIO),
	E(ENXIO),
	E(E2BIG),
	E(ENOEXEC),
	E(EBADF),
	E(ECHILD),
	E(EAGAIN),
	E(ENOMEM),
	E(EACCES),
	E(EFAULT),
	E(ENOTBLK),
	E(EBUSY),
	E(EEXIST),
	E(EXDEV),
	E(ENODEV),
	E(ENOTDIR),
	E(EISDIR),
	E(EINVAL),
	E(ENFILE),
	E(EMFILE),
	E(ENOTTY),
	E(ETXTBSY),
	E(EFBIG),
	E(ENOSPC),
	E(ESPIPE),
	E(EROFS),
	E(EMLINK),
	E(EPIPE),
	E(EDOM),
	E(ERANGE),
	E(EDEADLK),
	E(ENAMETOOLONG),
	E(ENOLCK),
	E(ENOSYS),
	E(ENOTEMPTY),
	E(ELOOP),
	E(ENOMSG),
	E(EIDRM),
	E(ECHRNG),
	E(EL2NSYNC),
	E(EL3HLT),
	E(EL3RST),
	E(ELNRNG),
	E(EUNATCH),
	E(ENOCSI),
	E(EL2HLT),
	E(EBADE),
	E(EBADR),
	E(EXFULL),
	E(ENOANO),
	E(EBADRQC),
	E(EBADSLT),
	E(EBFONT),
	E(ENOSTR),
	E(ENODATA),
	E(ETIME),
	E(ENOSR),
	E(ENONET),
	E(ENOPKG),
	E(EREMOTE),
	E(ENOLINK),
	E(EADV),
	E(ESRMNT),
	E(ECOMM),
	E(EPROTO),
	E(EMULTIHOP),
	E(EDOTDOT),
	E(EBADMSG),
	E(EOVERFLOW),
	E(ENOTUNIQ),
	E(EBADFD),
	E(EREMCHG),
	E(ELIBACC),
	E(ELIBBAD),
	E(ELIBSCN),
	E(ELIBMAX),
	E(ELIBEXEC),
	E(EILSEQ),
	E(ERESTART),
	E(ESTRPIPE),
	E(EUSERS),
	E(ENOTSOCK),
	E(EDESTADDRREQ),
	E(EMSGSIZE),
	E(EPROTOTYPE),
	E(ENOPROTOOPT),
	E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT),
	E(EOPNOTSUPP),
	E(EPFNOSUPPORT),
	E(EAFNOSUPPORT),
	E(EADDRINUSE),
	E(EADDRNOTAVAIL),
	E(ENETDOWN),
	E(ENETUNREACH),
	E(ENETRESET),
	E(ECONNABORTED),
	E(ECONNRESET),
	E(ENOBUFS),
	E(EISCONN),
	E(ENOTCONN),
	E(ESHUTDOWN),
	E(ETOOMANYREFS),
	E(ETIMEDOUT),
	E(ECONNREFUSED),
	E(EHOSTDOWN),
	E(EHOSTUNREACH),
	E(EALREADY),
	E(EINPROGRESS),
	E(ESTALE),
	E(EUCLEAN),
	E(ENOTNAM),
	E(ENAVAIL),
	E(EISNAM),
	E(EREMOTEIO),
	E(EDQUOT),
	E(ENOMEDIUM),
	E(EMEDIUMTYPE),
	E(ECANCELED),
	E(ENOKEY),
	E(EKEYEXPIRED),
	E(EKEYREVOKED),
	E(EKEYREJECTED),
	E(EOWNERDEAD),
	E(ENOTRECOVERABLE),
	E(ERFKILL),
	E(EHWPOISON),
};
#undef E
/* clang-format on */

/* The kernel's restart codes (syscalls/syscalls.h), with strace's words for them. */
static const struct {
	int err;
	const char *name, *text;
} restart_codes[] = {
	{ ERESTARTSYS, "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ ERESTARTNOINTR, "ERESTARTNOINTR", "To be restarted" },
	{ ERESTARTNOHAND, "ERESTARTNOHAND", "To be restarted if no handler" },
	{ ERESTART_RESTARTBLOCK, "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
};

const char *strace_errno_name(int err)
{
	if (err > 0 && (size_t)err < ARRAY_SIZE(errno_names))
		return errno_names[err];
	return NULL;
}

/* Linux's rule: a result in [-4095, -1] is an errno. */
static bool is_error(long ret)
{
	return (unsigned long)ret > -4096UL;
}

static void put_result_value(struct sbuf *sb, long ret, bool hex)
{
	if (is_error(ret)) {
		int err = (int)-ret;
		const char *name = strace_errno_name(err);
		const char *text = strerrordesc_np(err);

		for (size_t i = 0; i < ARRAY_SIZE(restart_codes); i++) {
			if (restart_codes[i].err == err) {
				sb_printf(sb, "= ? %s (%s)", restart_codes[i].name,
					  restart_codes[i].text);
				return;
			}
		}
		if (name)
			sb_printf(sb, "= -1 %s (%s)", name, text ? text : "Unknown error");
		else
			sb_printf(sb, "= -1 %d (Unknown error %d)", err, err);
	} else if (hex) {
		sb_printf(sb, "= %#lx", (unsigned long)ret);
	} else {
		sb_printf(sb, "= %ld", ret);
	}
}

/* Signals */

/* clang-format off */
#define SIG(s) [s] = #s
static const char *const signal_names[] = {
	SIG(SIGHUP), SIG(SIGINT), SIG(SIGQUIT), SIG(SIGILL), SIG(SIGTRAP), SIG(SIGABRT),
	SIG(SIGBUS), SIG(SIGFPE), SIG(SIGKILL), SIG(SIGUSR1), SIG(SIGSEGV), SIG(SIGUSR2),
	SIG(SIGPIPE), SIG(SIGALRM), SIG(SIGTERM), SIG(SIGSTKFLT), SIG(SIGCHLD), SIG(SIGCONT),
	SIG(SIGSTOP), SIG(SIGTSTP), SIG(SIGTTIN), SIG(SIGTTOU), SIG(SIGURG), SIG(SIGXCPU),
	SIG(SIGXFSZ), SIG(SIGVTALRM), SIG(SIGPROF), SIG(SIGWINCH), SIG(SIGIO), SIG(SIGPWR),
	SIG(SIGSYS),
	/* The kernel's first real-time signal (glibc's SIGRTMIN is above the ones it keeps). */
	[__SIGRTMIN] = "SIGRTMIN",
};
#undef SIG
/* clang-format on */

/* "SIGINT", "SIGRT_3"; with bare, "INT", "RT_3" as in a set. Numbers without a name: "%d". */
static void put_signal(struct sbuf *sb, int sig, bool bare)
{
	size_t skip = bare ? 3 : 0;

	if (sig > 0 && (size_t)sig < ARRAY_SIZE(signal_names) && signal_names[sig])
		sb_puts(sb, signal_names[sig] + skip);
	else if (sig > __SIGRTMIN && sig <= GUEST_NSIG)
		sb_printf(sb, "%s%d", bare ? "RT_" : "SIGRT_", sig - __SIGRTMIN);
	else
		sb_printf(sb, "%d", sig);
}

static void put_sigset(struct sbuf *sb, uint64_t set)
{
	bool first = true;

	/* As strace: a set with 2/3 of the signals or more prints as what it lacks. */
	if (__builtin_popcountll(set) >= GUEST_NSIG * 2 / 3) {
		sb_putc(sb, '~');
		set = ~set;
	}
	sb_putc(sb, '[');
	for (int sig = 1; sig <= GUEST_NSIG; sig++) {
		if (!(set & GSIG_BIT(sig)))
			continue;
		if (!first)
			sb_putc(sb, ' ');
		put_signal(sb, sig, true);
		first = false;
	}
	sb_putc(sb, ']');
}

static const struct xlat sigaction_flags[] = {
	X(SA_RESTORER),	 X(SA_ONSTACK), X(SA_RESTART),	 X(SA_INTERRUPT), X(SA_NODEFER),
	X(SA_RESETHAND), X(SA_SIGINFO), X(SA_NOCLDSTOP), X(SA_NOCLDWAIT),
};

static void put_sigaction(struct sbuf *sb, const struct guest_sigaction *sa)
{
	sb_puts(sb, "{sa_handler=");
	if (sa->handler == (uint64_t)(uintptr_t)SIG_DFL)
		sb_puts(sb, "SIG_DFL");
	else if (sa->handler == (uint64_t)(uintptr_t)SIG_IGN)
		sb_puts(sb, "SIG_IGN");
	else if (sa->handler == (uint64_t)(uintptr_t)SIG_ERR)
		sb_puts(sb, "SIG_ERR");
	else
		sb_printf(sb, "%#" PRIx64, sa->handler);
	sb_puts(sb, ", sa_mask=");
	put_sigset(sb, sa->mask);
	sb_puts(sb, ", sa_flags=");
	put_flags(sb, XLAT(sigaction_flags), sa->flags, "SA_???", false);
	if (sa->flags & SA_RESTORER) {
		sb_puts(sb, ", sa_restorer=");
		put_pointer(sb, sa->restorer);
	}
	sb_putc(sb, '}');
}

static void put_wait_status(struct sbuf *sb, int s)
{
	sb_puts(sb, "[{");
	if (WIFSTOPPED(s)) {
		sb_puts(sb, "WIFSTOPPED(s) && WSTOPSIG(s) == ");
		put_signal(sb, WSTOPSIG(s), false);
	} else if (WIFSIGNALED(s)) {
		sb_puts(sb, "WIFSIGNALED(s) && WTERMSIG(s) == ");
		put_signal(sb, WTERMSIG(s), false);
		if (WCOREDUMP(s))
			sb_puts(sb, " && WCOREDUMP(s)");
	} else if (WIFEXITED(s)) {
		sb_printf(sb, "WIFEXITED(s) && WEXITSTATUS(s) == %d", WEXITSTATUS(s));
	} else if (WIFCONTINUED(s)) {
		sb_puts(sb, "WIFCONTINUED(s)");
	} else {
		sb_printf(sb, "%#x", (unsigned int)s);
	}
	sb_puts(sb, "}]");
}

/* Flags and values of plain arguments */

static const struct xlat open_access[] = {
	X(O_RDONLY),
	X(O_WRONLY),
	X(O_RDWR),
	X(O_ACCMODE),
};

/* Combined flags (O_SYNC, O_TMPFILE) come before their parts. */
static const struct xlat open_flags[] = {
	X(O_CREAT),	X(O_EXCL),	X(O_NOCTTY),	X(O_TRUNC),   X(O_APPEND),
	X(O_NONBLOCK),	X(O_SYNC),	X(__O_SYNC),	X(O_DSYNC),   X(O_DIRECT),
	X(O_LARGEFILE), X(O_NOFOLLOW),	X(O_NOATIME),	X(O_CLOEXEC), X(O_PATH),
	X(O_TMPFILE),	X(__O_TMPFILE), X(O_DIRECTORY), X(FASYNC),
};

static void put_open_flags(struct sbuf *sb, uint32_t flags)
{
	put_xval(sb, XLAT(open_access), flags & O_ACCMODE, "O_???");
	put_flags(sb, XLAT(open_flags), flags & ~(uint32_t)O_ACCMODE, "O_???", true);
}

static const struct xlat at_flags[] = {
	X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR),  X(AT_SYMLINK_FOLLOW),
	X(AT_NO_AUTOMOUNT),	X(AT_EMPTY_PATH), X(AT_RECURSIVE),
};

/* faccessat2's: its 0x200 is AT_EACCESS, unlinkat's is AT_REMOVEDIR. */
static const struct xlat at_access_flags[] = {
	X(AT_SYMLINK_NOFOLLOW),
	X(AT_EACCESS),
	X(AT_EMPTY_PATH),
};

static const struct xlat prot_flags[] = {
	X(PROT_READ), X(PROT_WRITE), X(PROT_EXEC), X(PROT_SEM), X(PROT_GROWSDOWN), X(PROT_GROWSUP),
};

static const struct xlat map_types[] = {
	X(MAP_FILE),
	X(MAP_SHARED),
	X(MAP_PRIVATE),
	X(MAP_SHARED_VALIDATE),
};

static const struct xlat map_flags[] = {
	X(MAP_FIXED),	  X(MAP_ANONYMOUS),
#ifdef MAP_32BIT /* x86 only */
	X(MAP_32BIT),
#endif
	X(MAP_NORESERVE), X(MAP_POPULATE),   X(MAP_NONBLOCK),	     X(MAP_GROWSDOWN),
	X(MAP_DENYWRITE), X(MAP_EXECUTABLE), X(MAP_LOCKED),	     X(MAP_STACK),
	X(MAP_HUGETLB),	  X(MAP_SYNC),	     X(MAP_FIXED_NOREPLACE),
};

/* The type, the flags, then the huge page size as "21<<MAP_HUGE_SHIFT". */
static void put_mmap_flags(struct sbuf *sb, uint64_t flags)
{
	uint64_t huge = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
	uint64_t rest = flags & ~(uint64_t)MAP_TYPE & ~((uint64_t)MAP_HUGE_MASK << MAP_HUGE_SHIFT);

	put_xval(sb, XLAT(map_types), flags & MAP_TYPE, "MAP_???");
	put_flags(sb, XLAT(map_flags), rest, "MAP_???", true);
	if (huge)
		sb_printf(sb, "|%" PRIu64 "<<MAP_HUGE_SHIFT", huge);
}

/* In bit order; CLONE_DETACHED is ignored by Linux and left unnamed, as strace does. */
static const struct xlat clone_flags[] = {
	X(CLONE_VM),
	X(CLONE_FS),
	X(CLONE_FILES),
	X(CLONE_SIGHAND),
	X(CLONE_PIDFD),
	X(CLONE_PTRACE),
	X(CLONE_VFORK),
	X(CLONE_PARENT),
	X(CLONE_THREAD),
	X(CLONE_NEWNS),
	X(CLONE_SYSVSEM),
	X(CLONE_SETTLS),
	X(CLONE_PARENT_SETTID),
	X(CLONE_CHILD_CLEARTID),
	X(CLONE_UNTRACED),
	X(CLONE_CHILD_SETTID),
	X(CLONE_NEWCGROUP),
	X(CLONE_NEWUTS),
	X(CLONE_NEWIPC),
	X(CLONE_NEWUSER),
	X(CLONE_NEWPID),
	X(CLONE_NEWNET),
	X(CLONE_IO),
};

/* The flags, then the exit signal in the low byte: "CLONE_VM|...|SIGCHLD". */
static void put_clone_flags(struct sbuf *sb, uint64_t flags)
{
	uint64_t rest = flags & ~(uint64_t)CSIGNAL;
	int sig = (int)(flags & CSIGNAL);

	if (rest || !sig)
		put_flags(sb, XLAT(clone_flags), rest, "CLONE_???", false);
	if (sig) {
		if (rest)
			sb_putc(sb, '|');
		put_signal(sb, sig, false);
	}
}

static const struct xlat wait_options[] = {
	X(WNOHANG), X(WEXITED),	 X(WSTOPPED), X(WCONTINUED),
	X(WNOWAIT), X(__WCLONE), X(__WALL),   X(__WNOTHREAD),
};

static const struct xlat access_modes[] = {
	X(R_OK),
	X(W_OK),
	X(X_OK),
};

static const struct xlat sigprocmask_hows[] = {
	X(SIG_BLOCK),
	X(SIG_UNBLOCK),
	X(SIG_SETMASK),
};

static const struct xlat clock_ids[] = {
	X(CLOCK_REALTIME),	    X(CLOCK_MONOTONIC),	    X(CLOCK_PROCESS_CPUTIME_ID),
	X(CLOCK_THREAD_CPUTIME_ID), X(CLOCK_MONOTONIC_RAW), X(CLOCK_REALTIME_COARSE),
	X(CLOCK_MONOTONIC_COARSE),  X(CLOCK_BOOTTIME),	    X(CLOCK_REALTIME_ALARM),
	X(CLOCK_BOOTTIME_ALARM),    X(CLOCK_TAI),
};

static const struct xlat whences[] = {
	X(SEEK_SET), X(SEEK_CUR), X(SEEK_END), X(SEEK_DATA), X(SEEK_HOLE),
};

static const struct xlat rlimit_resources[] = {
	X(RLIMIT_CPU),	    X(RLIMIT_FSIZE), X(RLIMIT_DATA),   X(RLIMIT_STACK),
	X(RLIMIT_CORE),	    X(RLIMIT_RSS),   X(RLIMIT_NPROC),  X(RLIMIT_NOFILE),
	X(RLIMIT_MEMLOCK),  X(RLIMIT_AS),    X(RLIMIT_LOCKS),  X(RLIMIT_SIGPENDING),
	X(RLIMIT_MSGQUEUE), X(RLIMIT_NICE),  X(RLIMIT_RTPRIO), X(RLIMIT_RTTIME),
};

static const struct xlat futex_commands[] = {
	X(FUTEX_WAIT),		 X(FUTEX_WAKE),	       X(FUTEX_FD),
	X(FUTEX_REQUEUE),	 X(FUTEX_CMP_REQUEUE), X(FUTEX_WAKE_OP),
	X(FUTEX_LOCK_PI),	 X(FUTEX_UNLOCK_PI),   X(FUTEX_TRYLOCK_PI),
	X(FUTEX_WAIT_BITSET),	 X(FUTEX_WAKE_BITSET), X(FUTEX_WAIT_REQUEUE_PI),
	X(FUTEX_CMP_REQUEUE_PI), X(FUTEX_LOCK_PI2),
};

/* "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME" */
static void put_futex_op(struct sbuf *sb, uint32_t op)
{
	uint32_t cmd = op & FUTEX_CMD_MASK;

	for (size_t i = 0; i < ARRAY_SIZE(futex_commands); i++) {
		if (futex_commands[i].val != cmd)
			continue;
		sb_puts(sb, futex_commands[i].name);
		if (op & FUTEX_PRIVATE_FLAG)
			sb_puts(sb, "_PRIVATE");
		if (op & FUTEX_CLOCK_REALTIME)
			sb_puts(sb, "|FUTEX_CLOCK_REALTIME");
		return;
	}
	sb_printf(sb, "%#x /* FUTEX_??? */", op);
}

/* Commands (fcntl, ioctl) and how their argument prints */

enum cmd_arg {
	ARG_HEX,  /* not decoded: strace's default */
	ARG_NONE, /* the command takes none: not printed */
	ARG_INT,
	ARG_POINTER,
	ARG_FD_FLAGS,
	ARG_OPEN_FLAGS,
	ARG_SIGNAL,
	ARG_LOCK_TYPE,
	ARG_NOTIFY,
	ARG_SEALS,
	ARG_IN_INT,  /* int pointer: "[5]" */
	ARG_OUT_INT, /* the same, written by the call */
	ARG_IN_WINSIZE,
	ARG_OUT_WINSIZE,
	ARG_TCXONC,
	ARG_TCFLSH,
};

struct command {
	uint64_t val;
	const char *name;
	enum cmd_arg arg;
};
/* clang-format off */
#define CMD(c, arg) { (uint64_t)(c), #c, arg }
/* clang-format on */

static const struct command fcntl_commands[] = {
	CMD(F_DUPFD, ARG_INT),
	CMD(F_GETFD, ARG_NONE),
	CMD(F_SETFD, ARG_FD_FLAGS),
	CMD(F_GETFL, ARG_NONE),
	CMD(F_SETFL, ARG_OPEN_FLAGS),
	CMD(F_GETLK, ARG_POINTER),
	CMD(F_SETLK, ARG_POINTER),
	CMD(F_SETLKW, ARG_POINTER),
	CMD(F_SETOWN, ARG_INT),
	CMD(F_GETOWN, ARG_NONE),
	CMD(F_SETSIG, ARG_SIGNAL),
	CMD(F_GETSIG, ARG_NONE),
	CMD(F_SETOWN_EX, ARG_POINTER),
	CMD(F_GETOWN_EX, ARG_POINTER),
	CMD(F_OFD_GETLK, ARG_POINTER),
	CMD(F_OFD_SETLK, ARG_POINTER),
	CMD(F_OFD_SETLKW, ARG_POINTER),
	CMD(F_SETLEASE, ARG_LOCK_TYPE),
	CMD(F_GETLEASE, ARG_NONE),
	CMD(F_NOTIFY, ARG_NOTIFY),
	CMD(F_DUPFD_CLOEXEC, ARG_INT),
	CMD(F_SETPIPE_SZ, ARG_INT),
	CMD(F_GETPIPE_SZ, ARG_NONE),
	CMD(F_ADD_SEALS, ARG_SEALS),
	CMD(F_GET_SEALS, ARG_NONE),
	CMD(F_GET_RW_HINT, ARG_POINTER),
	CMD(F_SET_RW_HINT, ARG_POINTER),
	CMD(F_GET_FILE_RW_HINT, ARG_POINTER),
	CMD(F_SET_FILE_RW_HINT, ARG_POINTER),
};

/* The terminal requests; strace names the ones OSS reuses after both. */
static const struct command ioctl_requests[] = {
	CMD(TCGETS, ARG_POINTER),
	{ TCSETS, "SNDCTL_TMR_START or TCSETS", ARG_POINTER },
	{ TCSETSW, "SNDCTL_TMR_STOP or TCSETSW", ARG_POINTER },
	{ TCSETSF, "SNDCTL_TMR_CONTINUE or TCSETSF", ARG_POINTER },
	CMD(TCGETA, ARG_POINTER),
	CMD(TCSETA, ARG_POINTER),
	CMD(TCSETAW, ARG_POINTER),
	CMD(TCSETAF, ARG_POINTER),
	CMD(TCSBRK, ARG_INT),
	CMD(TCXONC, ARG_TCXONC),
	CMD(TCFLSH, ARG_TCFLSH),
	CMD(TIOCEXCL, ARG_NONE),
	CMD(TIOCNXCL, ARG_NONE),
	CMD(TIOCSCTTY, ARG_INT),
	CMD(TIOCGPGRP, ARG_OUT_INT),
	CMD(TIOCSPGRP, ARG_IN_INT),
	CMD(TIOCOUTQ, ARG_OUT_INT),
	CMD(TIOCSTI, ARG_POINTER),
	CMD(TIOCGWINSZ, ARG_OUT_WINSIZE),
	CMD(TIOCSWINSZ, ARG_IN_WINSIZE),
	CMD(TIOCMGET, ARG_POINTER),
	CMD(TIOCMBIS, ARG_POINTER),
	CMD(TIOCMBIC, ARG_POINTER),
	CMD(TIOCMSET, ARG_POINTER),
	CMD(TIOCGSOFTCAR, ARG_POINTER),
	CMD(TIOCSSOFTCAR, ARG_POINTER),
	CMD(FIONREAD, ARG_OUT_INT),
	CMD(TIOCLINUX, ARG_HEX),
	CMD(TIOCCONS, ARG_NONE),
	CMD(TIOCGSERIAL, ARG_HEX),
	CMD(TIOCSSERIAL, ARG_NONE),
	CMD(TIOCPKT, ARG_IN_INT),
	CMD(FIONBIO, ARG_IN_INT),
	CMD(TIOCNOTTY, ARG_NONE),
	CMD(TIOCSETD, ARG_IN_INT),
	CMD(TIOCGETD, ARG_OUT_INT),
	CMD(TCSBRKP, ARG_INT),
	CMD(TIOCSBRK, ARG_NONE),
	CMD(TIOCCBRK, ARG_NONE),
	CMD(TIOCGSID, ARG_OUT_INT),
	CMD(TIOCGPTN, ARG_OUT_INT),
	CMD(TIOCSPTLCK, ARG_IN_INT),
	CMD(TIOCGDEV, ARG_POINTER),
	CMD(TIOCSIG, ARG_HEX),
	CMD(TIOCVHANGUP, ARG_NONE),
	CMD(TIOCGPKT, ARG_HEX),
	CMD(TIOCGPTLCK, ARG_HEX),
	CMD(TIOCGEXCL, ARG_POINTER),
	CMD(TIOCGPTPEER, ARG_HEX),
	CMD(FIONCLEX, ARG_NONE),
	CMD(FIOCLEX, ARG_NONE),
	CMD(FIOASYNC, ARG_IN_INT),
	CMD(TIOCSERCONFIG, ARG_HEX),
	CMD(FIOQSIZE, ARG_HEX),
	CMD(TIOCGLCKTRMIOS, ARG_POINTER),
	CMD(TIOCSLCKTRMIOS, ARG_POINTER),
	CMD(TIOCGRS485, ARG_HEX),
	CMD(TIOCSRS485, ARG_HEX),
};

static const struct command *find_command(const struct command *c, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].val == v)
			return &c[i];
	return NULL;
}

static const struct xlat fd_flags[] = {
	X(FD_CLOEXEC),
};

static const struct xlat lock_types[] = {
	X(F_RDLCK),
	X(F_WRLCK),
	X(F_UNLCK),
};

static const struct xlat notify_flags[] = {
	X(DN_ACCESS), X(DN_MODIFY), X(DN_CREATE),    X(DN_DELETE),
	X(DN_RENAME), X(DN_ATTRIB), X(DN_MULTISHOT),
};

static const struct xlat seal_flags[] = {
	X(F_SEAL_SEAL), X(F_SEAL_SHRINK), X(F_SEAL_GROW), X(F_SEAL_WRITE), X(F_SEAL_FUTURE_WRITE),
};

static const struct xlat tcxonc_actions[] = {
	X(TCOOFF),
	X(TCOON),
	X(TCIOFF),
	X(TCION),
};

static const struct xlat tcflsh_queues[] = {
	X(TCIFLUSH),
	X(TCOFLUSH),
	X(TCIOFLUSH),
};

static void put_fcntl_command(struct sbuf *sb, uint32_t cmd)
{
	const struct command *c = find_command(XLAT(fcntl_commands), cmd);

	if (c)
		sb_puts(sb, c->name);
	else
		sb_printf(sb, "%#x /* F_??? */", cmd);
}

static const char *const ioctl_dirs[] = {
	[_IOC_NONE] = "_IOC_NONE",
	[_IOC_WRITE] = "_IOC_WRITE",
	[_IOC_READ] = "_IOC_READ",
	[_IOC_READ | _IOC_WRITE] = "_IOC_READ|_IOC_WRITE",
};

/* A request without a name prints as its fields: "_IOC(_IOC_READ, 0x54, 0x99, 0x4)". */
static void put_ioctl_request(struct sbuf *sb, uint32_t req)
{
	const struct command *c = find_command(XLAT(ioctl_requests), req);

	if (c)
		sb_puts(sb, c->name);
	else
		sb_printf(sb, "_IOC(%s, %#x, %#x, %#x)", ioctl_dirs[_IOC_DIR(req) & 3],
			  _IOC_TYPE(req), _IOC_NR(req), _IOC_SIZE(req));
}

/* The command an argument 'g' belongs to, from the letter before it. */
static const struct command *arg_command(char prev_letter, uint64_t prev)
{
	if (prev_letter == 'F')
		return find_command(XLAT(fcntl_commands), (uint32_t)prev);
	if (prev_letter == 'i')
		return find_command(XLAT(ioctl_requests), (uint32_t)prev);
	return NULL;
}

static size_t format_value(struct sbuf *sb, char letter, uint64_t v)
{
	switch (letter) {
	case 'd':
		sb_printf(sb, "%d", (int)v);
		break;
	case 'u':
		sb_printf(sb, "%" PRIu64, v);
		break;
	case 'l':
		sb_printf(sb, "%" PRId64, (int64_t)v);
		break;
	case 'f':
		if ((int)v == AT_FDCWD)
			sb_puts(sb, "AT_FDCWD");
		else
			sb_printf(sb, "%d", (int)v);
		break;
	case 'o':
		put_open_flags(sb, (uint32_t)v);
		break;
	case 'm':
		sb_printf(sb, "%#03o", (uint32_t)v);
		break;
	case '@':
		put_flags(sb, XLAT(at_flags), (uint32_t)v, "AT_???", false);
		break;
	case 'P':
		if (v)
			put_flags(sb, XLAT(prot_flags), v, "PROT_???", false);
		else
			sb_puts(sb, "PROT_NONE");
		break;
	case 'M':
		put_mmap_flags(sb, v);
		break;
	case 'S':
		put_signal(sb, (int)v, false);
		break;
	case 'h':
		put_xval(sb, XLAT(sigprocmask_hows), (uint32_t)v, "SIG_???");
		break;
	case 'i':
		put_ioctl_request(sb, (uint32_t)v);
		break;
	case 'c':
		put_xval(sb, XLAT(clock_ids), (uint32_t)v, "CLOCK_???");
		break;
	case 'W':
		put_flags(sb, XLAT(wait_options), (uint32_t)v, "W???", false);
		break;
	case 'A':
		if ((uint32_t)v)
			put_flags(sb, XLAT(access_modes), (uint32_t)v, "?_OK", false);
		else
			sb_puts(sb, "F_OK");
		break;
	case 'F':
		put_fcntl_command(sb, (uint32_t)v);
		break;
	case 'w':
		put_xval(sb, XLAT(whences), (uint32_t)v, "SEEK_???");
		break;
	case 'r':
		put_xval(sb, XLAT(rlimit_resources), (uint32_t)v, "RLIMIT_???");
		break;
	case 'C':
		put_clone_flags(sb, v);
		break;
	case 'X':
		put_futex_op(sb, (uint32_t)v);
		break;
	case 'x':
		sb_printf(sb, "%#" PRIx64, v);
		break;
	/* The pointers to guest memory, when there is no memory to follow them into. */
	case 'p':
	case 's':
	case 'b':
	case 'B':
	case 'k':
	case 'a':
	case 'v':
	case 'V':
	case 't':
	case 'R':
	case 'E':
	case 'T':
	case 'U':
	case 'I':
		put_pointer(sb, v);
		break;
	default:
		sb_printf(sb, "%#" PRIx64, v);
		break;
	}
	return sb->len;
}

/* Decoders that read guest memory */

/* Copies a guest object to decode; prints the pointer instead when it is NULL or bad. */
static bool fetch(struct sbuf *sb, struct task *t, void *dst, uint64_t addr, size_t n)
{
	if (addr && copy_in(t, dst, addr, n) == 0)
		return true;
	put_pointer(sb, addr);
	return false;
}

/* A NUL-terminated string, cut after max bytes with "..." (max < PATH_MAX). */
static void put_string(struct sbuf *sb, struct task *t, uint64_t addr, size_t max)
{
	char buf[PATH_MAX];
	long n;

	if (!addr) {
		sb_puts(sb, "NULL");
		return;
	}
	n = copy_in_string(t, buf, addr, max + 1);
	if (n == -ENAMETOOLONG && copy_in(t, buf, addr, max) == 0)
		put_quoted(sb, buf, max, true);
	else if (n < 0)
		put_pointer(sb, addr);
	else
		put_quoted(sb, buf, n, false);
}

/* len bytes at addr, of which the first STRACE_STRLEN show. */
static void put_buffer(struct sbuf *sb, struct task *t, uint64_t addr, uint64_t len)
{
	char buf[STRACE_STRLEN];
	size_t n = MIN(len, (uint64_t)STRACE_STRLEN);

	if (fetch(sb, t, buf, addr, n))
		put_quoted(sb, buf, n, len > STRACE_STRLEN);
}

/* argv: the strings, cut after STRACE_STRLEN of them as strace does. */
static void put_argv(struct sbuf *sb, struct task *t, uint64_t addr)
{
	uint64_t p;

	if (!fetch(sb, t, &p, addr, sizeof(p)))
		return;
	sb_putc(sb, '[');
	for (unsigned int i = 0; p; i++) {
		if (i)
			sb_puts(sb, ", ");
		if (i == STRACE_STRLEN) {
			sb_puts(sb, "...");
			break;
		}
		put_string(sb, t, p, STRACE_STRLEN);
		if (copy_in(t, &p, addr + (i + 1) * sizeof(p), sizeof(p)) < 0) {
			sb_puts(sb, ", ...");
			break;
		}
	}
	sb_putc(sb, ']');
}

/* envp: strace shows only how many variables there are. */
static void put_envp(struct sbuf *sb, struct task *t, uint64_t addr)
{
	/* Past ARG_MAX-sized environments, counting is not worth it. */
	const unsigned long max_vars = 1UL << 20;
	unsigned long n = 0;
	uint64_t p = 1;

	if (!addr) {
		sb_puts(sb, "NULL");
		return;
	}
	while (n < max_vars && copy_in(t, &p, addr + n * sizeof(p), sizeof(p)) == 0 && p)
		n++;
	if (p) {
		put_pointer(sb, addr);
		return;
	}
	sb_printf(sb, "%#" PRIx64 " /* %lu var%s */", addr, n, n == 1 ? "" : "s");
}

/* The guest's struct iovec array of cnt elements; limit bounds the data shown (readv's result). */
static void put_iovec(struct sbuf *sb, struct task *t, uint64_t addr, uint64_t cnt, uint64_t limit)
{
	struct {
		uint64_t base, len;
	} iov;

	if (!fetch(sb, t, &iov, addr, sizeof(iov)))
		return;
	sb_putc(sb, '[');
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t n;

		if (i)
			sb_puts(sb, ", ");
		if (i == STRACE_STRLEN || copy_in(t, &iov, addr + i * sizeof(iov), sizeof(iov))) {
			sb_puts(sb, "...");
			break;
		}
		n = MIN(iov.len, limit);
		limit -= n;
		sb_puts(sb, "{iov_base=");
		put_buffer(sb, t, iov.base, n);
		sb_printf(sb, ", iov_len=%" PRIu64 "}", iov.len);
	}
	sb_putc(sb, ']');
}

static void put_timespec(struct sbuf *sb, int64_t sec, int64_t nsec)
{
	sb_printf(sb, "{tv_sec=%" PRId64 ", tv_nsec=%" PRId64 "}", sec, nsec);
}

/* strace's: multiples of 1024 are shown as such. */
static void put_rlim(struct sbuf *sb, uint64_t v)
{
	if (v == UINT64_MAX)
		sb_puts(sb, "RLIM64_INFINITY");
	else if (v > 1024 && v % 1024 == 0)
		sb_printf(sb, "%" PRIu64 "*1024", v / 1024);
	else
		sb_printf(sb, "%" PRIu64, v);
}

static void put_rlimit(struct sbuf *sb, uint64_t cur, uint64_t max)
{
	sb_puts(sb, "{rlim_cur=");
	put_rlim(sb, cur);
	sb_puts(sb, ", rlim_max=");
	put_rlim(sb, max);
	sb_putc(sb, '}');
}

static const struct xlat file_types[] = {
	X(S_IFREG), X(S_IFSOCK), X(S_IFIFO), X(S_IFLNK), X(S_IFDIR), X(S_IFBLK), X(S_IFCHR),
};

static void put_stat(struct sbuf *sb, const struct stat *st)
{
	mode_t mode = st->st_mode;

	sb_puts(sb, "{st_mode=");
	for (size_t i = 0; i < ARRAY_SIZE(file_types); i++) {
		if (file_types[i].val == (mode & S_IFMT)) {
			sb_puts(sb, file_types[i].name);
			sb_putc(sb, '|');
		}
	}
	if (mode & S_ISUID)
		sb_puts(sb, "S_ISUID|");
	if (mode & S_ISGID)
		sb_puts(sb, "S_ISGID|");
	if (mode & S_ISVTX)
		sb_puts(sb, "S_ISVTX|");
	sb_printf(sb, "%#03o", (unsigned int)(mode & 0777));
	if (S_ISCHR(mode) || S_ISBLK(mode))
		sb_printf(sb, ", st_rdev=makedev(%#x, %#x)", major(st->st_rdev),
			  minor(st->st_rdev));
	else
		sb_printf(sb, ", st_size=%lld", (long long)st->st_size);
	sb_puts(sb, ", ...}");
}

static void put_field(struct sbuf *sb, const char *name, const char *s, size_t size)
{
	sb_printf(sb, "%s=", name);
	put_quoted(sb, s, strnlen(s, size), false);
}

static void put_int_pointer(struct sbuf *sb, struct task *t, uint64_t addr)
{
	int v;

	if (fetch(sb, t, &v, addr, sizeof(v)))
		sb_printf(sb, "[%d]", v);
}

/* The argument of the command before it (fcntl, ioctl), by what the command takes. */
static void put_command_arg(struct sbuf *sb, struct task *t, const struct command *c, uint64_t v)
{
	struct winsize ws;

	switch (c ? c->arg : ARG_HEX) {
	case ARG_HEX:
		sb_printf(sb, "%#" PRIx64, v);
		break;
	case ARG_NONE:
		break;
	case ARG_INT:
		sb_printf(sb, "%d", (int)v);
		break;
	case ARG_POINTER:
		put_pointer(sb, v);
		break;
	case ARG_FD_FLAGS:
		put_flags(sb, XLAT(fd_flags), v, "FD_???", false);
		break;
	case ARG_OPEN_FLAGS:
		put_open_flags(sb, (uint32_t)v);
		break;
	case ARG_SIGNAL:
		put_signal(sb, (int)v, false);
		break;
	case ARG_LOCK_TYPE:
		put_xval(sb, XLAT(lock_types), (uint32_t)v, "F_???");
		break;
	case ARG_NOTIFY:
		put_flags(sb, XLAT(notify_flags), (uint32_t)v, "DN_???", false);
		break;
	case ARG_SEALS:
		put_flags(sb, XLAT(seal_flags), (uint32_t)v, "F_SEAL_???", false);
		break;
	case ARG_IN_INT:
	case ARG_OUT_INT:
		put_int_pointer(sb, t, v);
		break;
	case ARG_IN_WINSIZE:
	case ARG_OUT_WINSIZE:
		if (fetch(sb, t, &ws, v, sizeof(ws)))
			sb_printf(sb, "{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}",
				  ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);
		break;
	case ARG_TCXONC:
		put_xval(sb, XLAT(tcxonc_actions), (uint32_t)v, "TC???");
		break;
	case ARG_TCFLSH:
		put_xval(sb, XLAT(tcflsh_queues), (uint32_t)v, "TC???");
		break;
	}
}

/* A call's format: its argument letters and how its result prints */

struct arg_format {
	char letter;
	bool out; /* '>': written by the call */
};

struct call_format {
	struct arg_format arg[6];
	int nargs;
	char ret; /* 'd', 'x' (an address) or '?' (does not return) */
};

static void parse_format(const char *s, struct call_format *f)
{
	bool out = false;

	f->nargs = 0;
	f->ret = 'd';
	for (; *s; s++) {
		if (*s == '=') {
			if (s[1])
				f->ret = s[1];
			break;
		}
		if (*s == '>') {
			out = true;
			continue;
		}
		if (f->nargs < 6)
			f->arg[f->nargs++] = (struct arg_format){ .letter = *s, .out = out };
		out = false;
	}
}

/* Entries without a format (NOSYS, unknown numbers) show six raw registers. */
static void call_format(const struct syscall_entry *e, struct call_format *f)
{
	if (e && e->args) {
		parse_format(e->args, f);
		return;
	}
	f->nargs = 6;
	f->ret = 'd';
	for (int i = 0; i < 6; i++)
		f->arg[i] = (struct arg_format){ .letter = 'x', .out = false };
}

static char prev_letter(const struct call_format *f, int i)
{
	return i > 0 ? f->arg[i - 1].letter : '\0';
}

/* What the call writes is read after it: the structs only a call fills, and '>' arguments. */
static bool decoded_at_exit(const struct call_format *f, int i, const uint64_t a[6])
{
	const struct command *c;

	switch (f->arg[i].letter) {
	case 'B':
	case 'E':
	case 'T':
	case 'U':
		return true;
	case 'g':
		c = i > 0 ? arg_command(prev_letter(f, i), a[i - 1]) : NULL;
		return c && (c->arg == ARG_OUT_INT || c->arg == ARG_OUT_WINSIZE);
	default:
		return f->arg[i].out;
	}
}

static bool omitted(const struct call_format *f, int i, const uint64_t a[6])
{
	const struct command *c;

	if (f->arg[i].letter == '-')
		return true;
	if (f->arg[i].letter != 'g' || i == 0)
		return false;
	c = arg_command(prev_letter(f, i), a[i - 1]);
	return c && c->arg == ARG_NONE;
}

/* Argument i; at exit with the call's result, at entry before it ran. */
static void put_arg(struct sbuf *sb, struct task *t, const struct call_format *f,
		    const uint64_t a[6], int i, bool exiting, long ret)
{
	char letter = f->arg[i].letter;
	uint64_t v = a[i];
	uint64_t next = i < 5 ? a[i + 1] : 0;
	struct guest_sigaction sa;
	struct {
		int64_t sec, nsec;
	} ts;
	struct {
		uint64_t cur, max;
	} rl;
	struct utsname u;
	struct stat st;
	uint64_t set;
	int status;

	/* What a failed call was to write is not there: strace shows the pointer. */
	if (exiting && is_error(ret)) {
		put_pointer(sb, v);
		return;
	}
	switch (letter) {
	case 's':
		put_string(sb, t, v, PATH_MAX - 1);
		break;
	case 'b':
		put_buffer(sb, t, v, next);
		break;
	case 'B':
		put_buffer(sb, t, v, (uint64_t)ret);
		break;
	case 'k':
		if (fetch(sb, t, &set, v, sizeof(set)))
			put_sigset(sb, set);
		break;
	case 'a':
		if (fetch(sb, t, &sa, v, sizeof(sa)))
			put_sigaction(sb, &sa);
		break;
	case 'v':
		put_argv(sb, t, v);
		break;
	case 'V':
		put_envp(sb, t, v);
		break;
	case 't':
		if (fetch(sb, t, &ts, v, sizeof(ts)))
			put_timespec(sb, ts.sec, ts.nsec);
		break;
	case 'R':
		if (fetch(sb, t, &rl, v, sizeof(rl)))
			put_rlimit(sb, rl.cur, rl.max);
		break;
	case 'E':
		/* wait4 with WNOHANG returns 0 without writing the status. */
		if (ret == 0)
			put_pointer(sb, v);
		else if (fetch(sb, t, &status, v, sizeof(status)))
			put_wait_status(sb, status);
		break;
	case 'T':
		if (fetch(sb, t, &st, v, sizeof(st)))
			put_stat(sb, &st);
		break;
	case 'U':
		if (fetch(sb, t, &u, v, sizeof(u))) {
			put_field(sb, "{sysname", u.sysname, sizeof(u.sysname));
			put_field(sb, ", nodename", u.nodename, sizeof(u.nodename));
			sb_puts(sb, ", ...}");
		}
		break;
	case 'I':
		put_iovec(sb, t, v, next, exiting ? (uint64_t)ret : UINT64_MAX);
		break;
	case 'g':
		put_command_arg(sb, t, i > 0 ? arg_command(prev_letter(f, i), a[i - 1]) : NULL, v);
		break;
	case '@':
		if (prev_letter(f, i) == 'A')
			put_flags(sb, XLAT(at_access_flags), (uint32_t)v, "AT_???", false);
		else
			format_value(sb, letter, v);
		break;
	default:
		format_value(sb, letter, v);
		break;
	}
}

/* fcntl's results that strace explains: "= 0x8002 (flags O_RDWR|O_LARGEFILE)". */
static bool put_fcntl_result(struct sbuf *sb, uint32_t cmd, long ret)
{
	switch (cmd) {
	case F_GETFD:
		if (!ret)
			return false;
		sb_printf(sb, "= %#lx (flags ", (unsigned long)ret);
		put_flags(sb, XLAT(fd_flags), (uint64_t)ret, "FD_???", false);
		break;
	case F_GETFL:
		sb_printf(sb, "= %#lx (flags ", (unsigned long)ret);
		put_open_flags(sb, (uint32_t)ret);
		break;
	case F_GETSIG:
		if (!ret)
			return false;
		sb_printf(sb, "= %ld (", ret);
		put_signal(sb, (int)ret, false);
		break;
	case F_GETLEASE:
		sb_printf(sb, "= %#lx (", (unsigned long)ret);
		put_xval(sb, XLAT(lock_types), (uint64_t)ret, "F_???");
		break;
	default:
		return false;
	}
	sb_putc(sb, ')');
	return true;
}

static void put_result(struct sbuf *sb, const struct call_format *f, const uint64_t a[6], long ret)
{
	if (!is_error(ret)) {
		for (int i = 0; i < f->nargs; i++)
			if (f->arg[i].letter == 'F' && put_fcntl_result(sb, (uint32_t)a[i], ret))
				return;
	}
	put_result_value(sb, ret, f->ret == 'x');
}

/* The line under way */

/*
 * The call this host thread is tracing: the arguments decoded at entry wait here until the
 * call returns, so that its line is written whole even when other tasks print meanwhile.
 */
struct traced_call {
	bool active; /* strace_enter ran, strace_exit has not */
	int tid;
	unsigned long nr;
	const struct syscall_entry *e;
	uint64_t a[6];
	struct call_format f;
	bool at_exit[6];
	size_t off[6], len[6]; /* text of the arguments decoded at entry */
	char text[STRACE_TEXT_MAX];
};

/* What a host thread needs for --strace, allocated when it first traces a call. */
struct strace_thread {
	struct traced_call call;
	char line[STRACE_LINE_MAX];
};

static __thread struct strace_thread *self;

/* Its destructor writes the line of a call the thread never came back from, and frees. */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static bool thread_key_made;

static void record_entry(struct traced_call *c, struct task *t, unsigned long nr,
			 const struct syscall_entry *e, const uint64_t a[6])
{
	struct sbuf sb = sbuf_init(c->text, sizeof(c->text));

	c->active = true;
	c->tid = t->tid;
	c->nr = nr;
	c->e = e;
	memcpy(c->a, a, sizeof(c->a));
	call_format(e, &c->f);
	for (int i = 0; i < c->f.nargs; i++) {
		c->at_exit[i] = decoded_at_exit(&c->f, i, a);
		c->off[i] = sb.len;
		if (!c->at_exit[i])
			put_arg(&sb, t, &c->f, a, i, false, 0);
		c->len[i] = sb.len - c->off[i];
	}
}

static void write_line(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(strace_fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= w;
	}
}

/*
 * Writes the line of the call in st. t is the task when the call returned ret; NULL when it
 * did not return ("= ?"), and then what it was to write is shown as pointers.
 */
static void print_line(struct strace_thread *st, struct task *t, long ret)
{
	const struct traced_call *c = &st->call;
	char *line = st->line;
	struct sbuf sb = sbuf_init(line, sizeof(st->line) - STRACE_RESULT_ROOM);
	bool first = true;

	sb_printf(&sb, "[pid %d] ", c->tid);
	if (c->e)
		sb_puts(&sb, c->e->name);
	else
		sb_printf(&sb, "syscall_%#lx", c->nr);
	sb_putc(&sb, '(');
	for (int i = 0; i < c->f.nargs; i++) {
		if (omitted(&c->f, i, c->a))
			continue;
		if (!first)
			sb_puts(&sb, ", ");
		first = false;
		if (c->at_exit[i] && t) {
			put_arg(&sb, t, &c->f, c->a, i, true, ret);
		} else if (c->at_exit[i]) {
			put_pointer(&sb, c->a[i]);
		} else if (c->off[i] < sizeof(c->text)) {
			sb_putn(&sb, c->text + c->off[i],
				MIN(c->len[i], sizeof(c->text) - 1 - c->off[i]));
		}
	}
	sb_putc(&sb, ')');
	/* Arguments too long for the line are cut; the result always fits. */
	if (sb.len >= sb.size)
		sb.len = sb.size - 1;
	sb.size = sizeof(st->line);
	sb_putc(&sb, ' ');
	if (t)
		put_result(&sb, &c->f, c->a, ret);
	else
		sb_puts(&sb, "= ?");
	sb_putc(&sb, '\n');
	write_line(line, MIN(sb.len, sizeof(st->line) - 1));
}

/* The thread ends (exit_group, a fatal signal), maybe inside a call: strace's "= ?". */
static void thread_end(void *p)
{
	struct strace_thread *st = p;

	if (st->call.active) {
		st->call.active = false;
		print_line(st, NULL, 0);
	}
	free(st);
	self = NULL;
}

static void make_thread_key(void)
{
	thread_key_made = pthread_key_create(&thread_key, thread_end) == 0;
}

/* NULL when out of memory: the call then goes untraced. */
static struct strace_thread *thread_state(void)
{
	if (self)
		return self;
	self = calloc(1, sizeof(*self));
	pthread_once(&thread_key_once, make_thread_key);
	if (self && thread_key_made)
		pthread_setspecific(thread_key, self);
	return self;
}

void strace_enter(struct task *t, unsigned long nr, const struct syscall_entry *e,
		  const uint64_t a[6])
{
	struct strace_thread *st = thread_state();

	if (!st)
		return;
	record_entry(&st->call, t, nr, e, a);
	/* exit and exit_group end the thread: their line is written now, before the effects
	 * of the exit (a parent's wait4) are printed. */
	if (st->call.f.ret == '?' && e && e->fn) {
		st->call.active = false;
		print_line(st, NULL, 0);
	}
}

void strace_exit(struct task *t, unsigned long nr, const struct syscall_entry *e,
		 const uint64_t a[6], long ret)
{
	struct strace_thread *st = thread_state();
	struct traced_call *c;

	if (!st)
		return;
	c = &st->call;
	/* Without a matching entry (tracing began during the call), decode everything now. */
	if (!c->active || c->nr != nr || c->e != e)
		record_entry(c, t, nr, e, a);
	c->active = false;
	print_line(st, t, ret);
}

/* The pure formatters, for the tests */

size_t strace_format_value(char *buf, size_t size, char letter, uint64_t v)
{
	struct sbuf sb = sbuf_init(buf, size);

	return format_value(&sb, letter, v);
}

size_t strace_format_quoted(char *buf, size_t size, const void *data, size_t n, bool more)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_quoted(&sb, data, n, more);
	return sb.len;
}

size_t strace_format_result(char *buf, size_t size, long ret, bool hex)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_result_value(&sb, ret, hex);
	return sb.len;
}

size_t strace_format_sigset(char *buf, size_t size, uint64_t set)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_sigset(&sb, set);
	return sb.len;
}

size_t strace_format_sigaction(char *buf, size_t size, const struct guest_sigaction *sa)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_sigaction(&sb, sa);
	return sb.len;
}

size_t strace_format_wait_status(char *buf, size_t size, int status)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_wait_status(&sb, status);
	return sb.len;
}

size_t strace_format_timespec(char *buf, size_t size, int64_t sec, int64_t nsec)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_timespec(&sb, sec, nsec);
	return sb.len;
}

size_t strace_format_rlimit(char *buf, size_t size, uint64_t cur, uint64_t max)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_rlimit(&sb, cur, max);
	return sb.len;
}

size_t strace_format_stat(char *buf, size_t size, const struct stat *st)
{
	struct sbuf sb = sbuf_init(buf, size);

	put_stat(&sb, st);
	return sb.len;
}
