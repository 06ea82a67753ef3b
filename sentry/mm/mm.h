/*
 * Guest address spaces: a sorted list of VMAs, each backed by a range of the memory file
 * (struct mobj). The platform address space (the stub) mirrors the VMAs; it is brought up to
 * date by the task that runs in it (mm_activate), since only that host thread may drive it.
 */
#ifndef CVISOR_MM_MM_H
#define CVISOR_MM_MM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct file;
struct mobj;
struct platform_as;

/* VMA flags beyond PROT_*: the mapping kind. */
#define VMA_SHARED 0x1    /* MAP_SHARED: writes reach the mobj others map too */
#define VMA_GROWSDOWN 0x2 /* the main stack */
#define VMA_STACK 0x4     /* [stack] in /proc/PID/maps */
#define VMA_HEAP 0x8      /* [heap] */

struct vma {
	uint64_t start, end; /* page aligned, end exclusive */
	int prot;            /* PROT_* */
	int flags;           /* VMA_* */
	struct mobj *mobj;   /* a reference; backs [start, end) from mobj_off */
	uint64_t mobj_off;
	struct file *file;   /* a reference, or NULL for anonymous memory (for /proc maps) */
	uint64_t file_off;
	uint64_t file_ino; /* for /proc/PID/maps, taken at mmap: no stat under mm->lock */
	struct vma *next;
};

struct mm {
	pthread_mutex_t lock; /* guards everything below */
	int refs;             /* atomic */
	struct vma *vmas;     /* sorted by start, non-overlapping */
	uint64_t brk_start, brk;
	uint64_t mmap_base; /* top-down allocation starts below this */
	uint64_t stack_start, arg_start, arg_end, env_start, env_end, auxv_start, auxv_end;
	uint64_t entry;
	struct file *exe; /* a reference: /proc/PID/exe */
	struct platform_as *as; /* NULL until the first mm_activate */
	bool as_stale;          /* the stub's mappings must be rebuilt from the VMAs */
	/* Syscall sites patched in this address space (sentry/arch/<arch>/patch.c), NULL until
	 * the first patch; patch_lock guards it and comes before lock. */
	pthread_mutex_t patch_lock;
	struct syscall_patches *patches;
};

struct mm *mm_new(void);
/* fork: private memory is copied, shared memory (VMA_SHARED) is shared. */
struct mm *mm_fork(struct mm *old);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);

/*
 * mmap: flags are MAP_* (PRIVATE/SHARED/FIXED/FIXED_NOREPLACE/ANONYMOUS/GROWSDOWN/
 * NORESERVE/POPULATE...), f NULL for anonymous. Returns the address or a negative errno.
 */
long mm_mmap(struct mm *mm, uint64_t addr, size_t len, int prot, int flags, struct file *f,
	     uint64_t off);
int mm_munmap(struct mm *mm, uint64_t addr, size_t len);
int mm_mprotect(struct mm *mm, uint64_t addr, size_t len, int prot);
long mm_mremap(struct mm *mm, uint64_t old_addr, size_t old_len, size_t new_len, int flags,
	       uint64_t new_addr);
/* brk: returns the new (or unchanged) break, as Linux's brk syscall. */
uint64_t mm_brk(struct mm *mm, uint64_t brk);
int mm_madvise(struct mm *mm, uint64_t addr, size_t len, int advice);

/* Called by the task's own host thread before running guest code: the stub exists and
 * mirrors the VMAs. *ctx is the task's context in it, set here for a new stub. */
struct platform_ctx;
int mm_activate(struct mm *mm, struct platform_ctx **ctx);
/*
 * Writes len bytes at addr, inside one page of a private mapping, whatever its protection, as
 * ptrace's POKETEXT: a page whose memory is shared (a file's text, or since a fork) gets its
 * own copy first, in a VMA of its own. 0, or -EFAULT for a shared or missing mapping.
 */
int mm_poke(struct mm *mm, uint64_t addr, const void *src, size_t len);
/* Whether addr is in program text: a private file mapping, executable, not writable. */
bool mm_is_text(struct mm *mm, uint64_t addr);
/* A guest fault at addr: 0 when resolved (the access may be retried), or -EFAULT. */
int mm_handle_fault(struct mm *mm, uint64_t addr, bool write);

/* For /proc/PID/maps; writes at most len bytes into buf, returns the length. */
size_t mm_format_maps(struct mm *mm, char *buf, size_t len);
/* Resident/virtual sizes in bytes, for /proc/PID/status and stat. */
void mm_sizes(struct mm *mm, uint64_t *vsize, uint64_t *rss);

#endif
