/*
 * The pure formatters behind --strace (syscalls/strace.c), declared for the unit tests. Each
 * writes at most size bytes, NUL-terminated, and returns the length the whole text needs, as
 * snprintf does; the text is strace(1)'s for the same value.
 */
#ifndef CVISOR_SYSCALLS_STRACE_H
#define CVISOR_SYSCALLS_STRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct guest_sigaction;

/* strace's default -s: bytes of a string or buffer shown before "...". */
#define STRACE_STRLEN 32

/*
 * A value whose letter (syscalls/syscalls.h) needs no guest memory: d u l x p f o m @ P M S h
 * i c W A F w r C X. Letters of pointers to guest memory print the pointer.
 */
size_t strace_format_value(char *buf, size_t size, char letter, uint64_t v);

/* n bytes quoted and escaped as strace does; more adds the "..." of a truncated string. */
size_t strace_format_quoted(char *buf, size_t size, const void *data, size_t n, bool more);

/* "ENOENT" for ENOENT; NULL for a number without a name. */
const char *strace_errno_name(int err);

/* "= 3", "= 0x7f..." (hex), "= -1 ENOENT (No such file or directory)", "= ? ERESTARTSYS (...)". */
size_t strace_format_result(char *buf, size_t size, long ret, bool hex);

/* A kernel sigset (bit sig-1 for signal sig): "[INT TERM]", or "~[...]" when mostly full. */
size_t strace_format_sigset(char *buf, size_t size, uint64_t set);

size_t strace_format_sigaction(char *buf, size_t size, const struct guest_sigaction *sa);

/* The status wait4 stores: "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]". */
size_t strace_format_wait_status(char *buf, size_t size, int status);

size_t strace_format_timespec(char *buf, size_t size, int64_t sec, int64_t nsec);

size_t strace_format_rlimit(char *buf, size_t size, uint64_t cur, uint64_t max);

/* strace's abbreviated struct stat: "{st_mode=S_IFREG|0644, st_size=1221, ...}". */
size_t strace_format_stat(char *buf, size_t size, const struct stat *st);

#endif
