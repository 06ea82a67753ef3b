/* The syscall table's shape and the handler convention shared by every sys_<family>.c. */
#ifndef CVISOR_SYSCALLS_H
#define CVISOR_SYSCALLS_H

#include <stdint.h>

struct task;

/*
 * A handler takes the calling task and the six raw argument registers, and returns a
 * result or a negative errno, as a Linux syscall does. It decodes and validates its
 * arguments, copies through sentry/mm/usercopy.h, and calls a subsystem that knows
 * nothing of registers.
 */
typedef long (*syscall_fn)(struct task *t, const uint64_t a[6]);

#define SYSCALL_DEFINE(name) long sys_##name(struct task *t, const uint64_t a[6])

enum syscall_support {
	SYSCALL_UNIMPLEMENTED, /* returns -ENOSYS (or the errno in the note) */
	SYSCALL_PARTIAL,       /* works; the note says what is missing */
	SYSCALL_FULL,
};

/*
 * Argument formats for --strace (syscalls/strace.c), one letter per argument, printed as
 * strace(1) prints them. A pointer that is NULL prints NULL; one that cannot be read prints
 * in hex.
 *   Numbers:  d int   u unsigned long (sizes)   l long (offsets)   x hex   p pointer
 *             f fd (AT_FDCWD)   m mode (0644)   - unused: not printed
 *   Strings:  s path or C string, whole (strace does not cut paths)
 *             b buffer the call reads, its length in the next argument (write): 32 bytes shown
 *             B buffer the call fills (read): shown after the call, as many bytes as it returned
 *             v argv: ["ls", "-la"]   V envp: 0x7ffe... followed by a comment with its count
 *   Flags:    o open flags   @ AT_* flags (AT_EACCESS after an A)   P prot   M mmap flags
 *             C clone flags and exit signal   W wait options   A access mode (F_OK, R_OK|W_OK)
 *   Values:   S signal number   h sigprocmask how   c clock id   w lseek whence
 *             r rlimit resource   X futex op   i ioctl request   F fcntl command
 *             g the argument of the F or i before it, decoded by that command (FD_CLOEXEC,
 *               O_* flags, [5], {ws_row=...}); not printed for commands without one (F_GETFD)
 *   Structs:  k sigset ([INT TERM])   a sigaction   t timespec   R rlimit
 *             I iovec array, its count in the next argument (writev, readv)
 *             E wait status, T struct stat, U struct utsname: written by the call, so always
 *               shown after it
 * A '>' before a letter marks what the call writes (rt_sigprocmask's old set: "hk>ku", readv:
 * "f>Iu", clock_gettime: "c>t"): it is read after the call, and shown as a pointer if the call
 * failed. Everything else is read at entry, before the call can change it (execve's argv).
 * The format may end with how the result prints: "=x" in hex, for addresses (mmap "puPMfx=x",
 * brk "p=x"); "=?" for calls that do not return (exit, exit_group "d=?"): their line is
 * written at entry. A call that ends its thread without one prints "= ?" when the thread ends.
 * An entry without a format (NOSYS, ERR) and an unknown number show six raw registers in hex,
 * as strace shows syscalls it does not know: syscall_0x2710(0x1, 0x2, 0x3, 0x4, 0x5, 0x6).
 */
struct syscall_entry {
	const char *name;
	syscall_fn fn; /* NULL: unimplemented */
	enum syscall_support support;
	int err;          /* errno returned when fn is NULL (ENOSYS by default) */
	const char *args; /* strace argument format */
	const char *note;
};

struct syscall_table {
	const char *arch;
	const struct syscall_entry *entries;
	unsigned int count;
};

/* The table of the architecture we run on. */
extern const struct syscall_table syscall_table_native;

/* Runs syscall nr for task t; logs it when --strace is on. */
long syscall_dispatch(struct task *t, unsigned long nr, const uint64_t a[6]);

/* --strace: set once at start. */
extern int strace_fd;
void strace_enter(struct task *t, unsigned long nr, const struct syscall_entry *e,
		  const uint64_t a[6]);
void strace_exit(struct task *t, unsigned long nr, const struct syscall_entry *e,
		 const uint64_t a[6], long ret);

/*
 * Restart codes, as Linux's: a handler interrupted by a signal returns one of these and the
 * signal code turns it into -EINTR or restarts the call (SA_RESTART). Never seen by the guest.
 */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#endif
