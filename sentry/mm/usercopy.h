/*
 * The one path between the sentry and guest memory. Guest addresses are translated through
 * the task's address space (sentry/mm/mm.h) to the memory file the sentry maps; a bad
 * pointer gives -EFAULT, never a crash.
 */
#ifndef CVISOR_MM_USERCOPY_H
#define CVISOR_MM_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct task;
struct mm;

/* Copies n bytes from guest address src. 0 or -EFAULT. */
int copy_in(struct task *t, void *dst, uint64_t src, size_t n);
/* Copies n bytes to guest address dst (which must be writable). 0 or -EFAULT. */
int copy_out(struct task *t, uint64_t dst, const void *src, size_t n);
/* Copies a NUL-terminated string of at most size-1 bytes. Its length, -EFAULT or
 * -ENAMETOOLONG when no NUL comes within size bytes. */
long copy_in_string(struct task *t, char *dst, uint64_t src, size_t size);
/* Copies a guest path: -ENOENT for "", -ENAMETOOLONG past PATH_MAX. */
long copy_in_path(struct task *t, char *dst /* PATH_MAX */, uint64_t src);
/* The same on an address space that is not (yet) the task's own, as execve builds it. */
int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t n);
int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n);

/* The memory-file offset backing a readable guest address: the key of a futex word. */
int usercopy_memfile_offset(struct task *t, uint64_t addr, uint64_t *off);

/*
 * Atomically replaces the aligned 32-bit guest word at addr with new if it holds old, as a
 * guest's own lock cmpxchg would (futex words other threads change under us). *cur is the
 * value found: the swap happened iff *cur == old. 0, -EINVAL (unaligned) or -EFAULT (not
 * readable and writable).
 */
int usercopy_cmpxchg_u32(struct task *t, uint64_t addr, uint32_t old, uint32_t new, uint32_t *cur);

/* Zeroes n guest bytes. */
int clear_user(struct task *t, uint64_t dst, size_t n);

/*
 * Translates the guest range [addr, addr+len) into sentry pointers into guest memory, so a
 * file can read or write guest memory without another copy. Stops at the first page that is
 * unmapped or lacks the access (writable when for_write). Returns the number of iovecs
 * filled (0 when the first byte is bad) and sets *mapped to the bytes covered.
 */
int usercopy_iovecs(struct task *t, uint64_t addr, size_t len, bool for_write,
		    struct iovec *iov, int max_iov, size_t *mapped);

/*
 * Reads a guest struct iovec array (readv, writev, preadv ...) and translates each element,
 * as above. Returns the number of sentry iovecs, -EFAULT, or -EINVAL (iovcnt out of range,
 * or a total length that overflows ssize_t). *total is the bytes covered: it may be less than
 * asked when a later buffer is bad, as Linux returns a short count there.
 */
int usercopy_guest_iovecs(struct task *t, uint64_t guest_iov, int iovcnt, bool for_write,
			  struct iovec **iov_out, size_t *total);

#endif
