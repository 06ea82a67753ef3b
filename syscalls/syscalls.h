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
 * Argument formats for --strace, one letter per argument:
 *   d int   u unsigned   x hex   p pointer   s C string   b buffer (length in the next arg,
 *   printed after the call for reads)   f fd (AT_FDCWD aware)   o open flags   m mode (octal)
 *   P prot flags   M mmap flags   S signal number   k sigset pointer   a sigaction pointer
 *   v argv/envp array   i ioctl request   c clock id   t struct timespec pointer
 *   W wait options   A access mode   F fcntl command   w whence   r rlimit resource
 *   R struct rlimit pointer   C clone flags   - unused
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
