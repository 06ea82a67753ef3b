/*
 * Guest address spaces: VMAs over memory-file ranges, mirrored into the stub by the platform.
 * Private memory is a private mobj, filled from the file for file mappings; fork copies it.
 */
#include "sentry/mm/mm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "lib/util.h"
#include "platform/platform.h"
#include "sentry/arch/arch.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/filecache.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/vfs.h"

/* Lowest address mmap hands out or accepts (vm.mmap_min_addr). */
#define MMAP_MIN_ADDR 0x10000UL

struct mm *mm_new(void)
{
	struct mm *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	pthread_mutex_init(&mm->lock, NULL);
	pthread_mutex_init(&mm->patch_lock, NULL);
	mm->refs = 1;
	mm->mmap_base = ARCH_MMAP_TOP;
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
}

static void vma_free(struct vma *v)
{
	mobj_put(v->mobj);
	if (v->file)
		file_put(v->file);
	free(v);
}

void mm_put(struct mm *mm)
{
	struct vma *v, *next;

	if (!mm || __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (mm->as)
		platform->as_destroy(mm->as);
	for (v = mm->vmas; v; v = next) {
		next = v->next;
		vma_free(v);
	}
	if (mm->exe)
		file_put(mm->exe);
	arch_patch_free(mm->patches);
	pthread_mutex_destroy(&mm->patch_lock);
	pthread_mutex_destroy(&mm->lock);
	free(mm);
}

/*
 * The stub thread that carries out a change of the live address space: the calling task's own,
 * whose guest thread is in the sentry for this syscall (platform.h). Other threads of the
 * address space may run meanwhile; mm->lock serializes the changes.
 */
static struct platform_ctx *caller_ctx(struct mm *mm)
{
	struct task *t = current();

	return t && t->mm == mm ? t->ctx : NULL;
}

static bool as_live(struct mm *mm)
{
	return mm->as && !mm->as_stale && caller_ctx(mm);
}

static int as_map_vma(struct mm *mm, struct vma *v)
{
	if (!as_live(mm))
		return 0;
	return platform->as_map(caller_ctx(mm), v->start, v->end - v->start, v->prot, true,
				v->mobj->off + v->mobj_off);
}

/* Splits v at addr (v->start < addr < v->end); the new VMA is the upper part. */
static int vma_split(struct vma *v, uint64_t addr)
{
	struct vma *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	*n = *v;
	n->start = addr;
	n->mobj_off += addr - v->start;
	n->file_off += addr - v->start;
	mobj_get(n->mobj);
	if (n->file)
		file_get(n->file);
	v->end = addr;
	v->next = n;
	return 0;
}

/* Removes [start, end) from the VMA list; the stub's mappings too. */
static int unmap_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma **pp = &mm->vmas, *v;
	bool any = false;
	int err;

	while ((v = *pp) != NULL) {
		if (v->end <= start) {
			pp = &v->next;
			continue;
		}
		if (v->start >= end)
			break;
		any = true;
		if (v->start < start) {
			if ((err = vma_split(v, start)) < 0)
				return err;
			pp = &v->next;
			continue;
		}
		if (v->end > end && (err = vma_split(v, end)) < 0)
			return err;
		*pp = v->next;
		vma_free(v);
	}
	if (any && as_live(mm))
		return platform->as_unmap(caller_ctx(mm), start, end - start);
	return 0;
}

static void insert_locked(struct mm *mm, struct vma *n)
{
	struct vma **pp = &mm->vmas;

	while (*pp && (*pp)->start < n->start)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
}

static bool range_free_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v;

	for (v = mm->vmas; v; v = v->next) {
		if (v->start >= end)
			break;
		if (v->end > start)
			return false;
	}
	return true;
}

/* The highest free gap of len bytes below mm->mmap_base, or 0. */
static uint64_t find_gap_locked(struct mm *mm, size_t len)
{
	uint64_t best = 0, prev_end = MMAP_MIN_ADDR;
	struct vma *v;

	for (v = mm->vmas;; v = v->next) {
		uint64_t gap_end = v ? MIN(v->start, mm->mmap_base) : mm->mmap_base;

		if (gap_end >= prev_end + len && gap_end - len >= prev_end)
			best = gap_end - len;
		if (!v || v->start >= mm->mmap_base)
			break;
		prev_end = MAX(prev_end, v->end);
	}
	return best;
}

/* Fills a private copy of a file range; bytes past EOF stay zero. */
static int fill_from_file(struct mobj *m, struct file *f, uint64_t off, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = file_pread(f, mobj_ptr(m, done), len - done, off + done);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		done += n;
	}
	return 0;
}

static struct vma *vma_alloc(uint64_t start, uint64_t end, int prot, int vflags)
{
	struct vma *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->flags = vflags;
	return v;
}

long mm_mmap(struct mm *mm, uint64_t addr, size_t len, int prot, int flags, struct file *f,
	     uint64_t off)
{
	int type = flags & MAP_TYPE;
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	uint64_t start, end;
	struct mobj *m = NULL;
	uint64_t m_off = 0;
	struct vma *v;
	int vflags = 0, err;

	struct kstat st = { 0 };

	if (len == 0 || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (!PAGE_ALIGNED(off) || (fixed && !PAGE_ALIGNED(addr)))
		return -EINVAL;
	if (len > ARCH_STUB_ADDR)
		return -ENOMEM;
	len = ROUND_UP(len, PAGE_SIZE);
	if (f && off + len < off)
		return -EOVERFLOW;
	if (type != MAP_PRIVATE)
		vflags |= VMA_SHARED;
	if (flags & MAP_GROWSDOWN)
		vflags |= VMA_GROWSDOWN;

	if (f && (err = file_stat(f, &st)) < 0)
		return err;
	/* Back the mapping before touching the address space, so failure changes nothing. */
	if (f && (vflags & VMA_SHARED)) {
		err = file_mmap_mobj(f, off, len, &m, &m_off);
		if (err == -ENODEV && !(prot & PROT_WRITE)) {
			/* No shared backing (a host file): a read-only view of its contents. */
			vflags &= ~VMA_SHARED;
		} else if (err < 0) {
			return err;
		}
	}
	if (!m && f && (m = filecache_get(f, &st)) != NULL) {
		if (off + len <= m->len && !(prot & PROT_WRITE)) {
			/* Shared with every other mapping of this file; a write needs mprotect,
			 * which copies first. */
			m_off = off;
		} else {
			struct mobj *copy = mobj_new(len);

			if (copy && off < (uint64_t)st.size)
				memcpy(mobj_ptr(copy, 0), mobj_ptr(m, off),
				       MIN(len, (uint64_t)st.size - off));
			mobj_put(m);
			m = copy;
			if (!m)
				return -ENOMEM;
		}
	}
	if (!m) {
		m = mobj_new(len);
		if (!m)
			return -ENOMEM;
		if (f && (err = fill_from_file(m, f, off, len)) < 0) {
			mobj_put(m);
			return err;
		}
	}

	pthread_mutex_lock(&mm->lock);
	if (fixed) {
		start = addr;
	} else if (addr && PAGE_ALIGNED(addr) && addr >= MMAP_MIN_ADDR &&
		   addr + len <= ARCH_STUB_ADDR && range_free_locked(mm, addr, addr + len)) {
		start = addr;
	} else {
		start = find_gap_locked(mm, len);
		if (!start) {
			err = -ENOMEM;
			goto fail;
		}
	}
	end = start + len;
	if (end > ARCH_STUB_ADDR || end < start || start < MMAP_MIN_ADDR) {
		err = fixed ? -EPERM : -ENOMEM;
		if (end > ARCH_STUB_ADDR || end < start)
			err = -ENOMEM;
		goto fail;
	}
	if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
	    !range_free_locked(mm, start, end)) {
		err = -EEXIST;
		goto fail;
	}
	if ((err = unmap_locked(mm, start, end)) < 0)
		goto fail;
	v = vma_alloc(start, end, prot, vflags);
	if (!v) {
		err = -ENOMEM;
		goto fail;
	}
	v->mobj = m;
	v->mobj_off = m_off;
	if (f) {
		file_get(f);
		v->file = f;
		v->file_off = off;
		v->file_ino = st.ino;
	}
	insert_locked(mm, v);
	err = as_map_vma(mm, v);
	pthread_mutex_unlock(&mm->lock);
	if (err < 0)
		log_warn("mm: stub mapping of %#lx-%#lx failed: %d", (unsigned long)start,
			 (unsigned long)end, err);
	return err < 0 ? err : (long)start;
fail:
	pthread_mutex_unlock(&mm->lock);
	mobj_put(m);
	return err;
}

int mm_munmap(struct mm *mm, uint64_t addr, size_t len)
{
	uint64_t end;
	int err;

	if (!PAGE_ALIGNED(addr) || len == 0)
		return -EINVAL;
	end = addr + ROUND_UP(len, PAGE_SIZE);
	if (end < addr || end > ARCH_TASK_SIZE)
		return -EINVAL;
	if (end > ARCH_STUB_ADDR)
		end = ARCH_STUB_ADDR;
	pthread_mutex_lock(&mm->lock);
	err = unmap_locked(mm, addr, end);
	pthread_mutex_unlock(&mm->lock);
	return err;
}

int mm_mprotect(struct mm *mm, uint64_t addr, size_t len, int prot)
{
	uint64_t end, pos;
	struct vma *v;
	int err = 0;

	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (!PAGE_ALIGNED(addr) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	if (len == 0)
		return 0;
	end = addr + ROUND_UP(len, PAGE_SIZE);
	if (end < addr)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	/* The whole range must be mapped, as Linux requires. */
	pos = addr;
	for (v = mm->vmas; v && pos < end; v = v->next) {
		if (v->end <= pos)
			continue;
		if (v->start > pos)
			break;
		pos = v->end;
	}
	if (pos < end) {
		err = -ENOMEM;
		goto out;
	}
	for (v = mm->vmas; v && v->start < end; v = v->next) {
		if (v->end <= addr)
			continue;
		if (v->start < addr) {
			if ((err = vma_split(v, addr)) < 0)
				goto out;
			continue;
		}
		if (v->end > end && (err = vma_split(v, end)) < 0)
			goto out;
		if ((prot & PROT_WRITE) && (v->flags & VMA_SHARED) && v->file &&
		    !(v->file->flags & (O_WRONLY | O_RDWR))) {
			err = -EACCES;
			goto out;
		}
		if ((prot & PROT_WRITE) && !(v->flags & VMA_SHARED) &&
		    __atomic_load_n(&v->mobj->refs, __ATOMIC_ACQUIRE) > 1) {
			/* Private pages shared since a fork: this address space gets its own copy
			 * before it can write them. */
			struct mobj *m = mobj_copy(v->mobj, v->mobj_off, v->end - v->start);

			if (!m) {
				err = -ENOMEM;
				goto out;
			}
			mobj_put(v->mobj);
			v->mobj = m;
			v->mobj_off = 0;
			v->prot = prot;
			if ((err = as_map_vma(mm, v)) < 0)
				goto out;
			continue;
		}
		v->prot = prot;
		if (as_live(mm) &&
		    (err = platform->as_protect(caller_ctx(mm), v->start, v->end - v->start, prot)) <
			    0)
			goto out;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return err;
}

static struct vma *find_vma_locked(struct mm *mm, uint64_t addr)
{
	struct vma *v;

	for (v = mm->vmas; v; v = v->next) {
		if (addr < v->start)
			return NULL;
		if (addr < v->end)
			return v;
	}
	return NULL;
}

long mm_mremap(struct mm *mm, uint64_t old_addr, size_t old_len, size_t new_len, int flags,
	       uint64_t new_addr)
{
	struct vma *v, *n;
	struct mobj *m;
	uint64_t start;
	long ret;

	if (!PAGE_ALIGNED(old_addr) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (flags & MREMAP_FIXED)
		return -EINVAL; /* not supported yet: see the table */
	old_len = ROUND_UP(old_len, PAGE_SIZE);
	new_len = ROUND_UP(new_len, PAGE_SIZE);
	if (new_len == 0 || old_len == 0)
		return -EINVAL;
	if (new_len <= old_len) {
		if (new_len < old_len && (ret = mm_munmap(mm, old_addr + new_len, old_len - new_len)) < 0)
			return ret;
		return (long)old_addr;
	}

	pthread_mutex_lock(&mm->lock);
	v = find_vma_locked(mm, old_addr);
	if (!v || old_addr + old_len > v->end) {
		pthread_mutex_unlock(&mm->lock);
		return -EFAULT;
	}
	/* Grow in place when the pages after the VMA are free. */
	if (old_addr + old_len == v->end && old_addr + new_len <= ARCH_STUB_ADDR &&
	    range_free_locked(mm, v->end, old_addr + new_len) && !(v->flags & VMA_SHARED)) {
		struct mobj *tail = mobj_new(old_addr + new_len - v->end);
		int err;

		if (!tail) {
			pthread_mutex_unlock(&mm->lock);
			return -ENOMEM;
		}
		if (v->file &&
		    (err = fill_from_file(tail, v->file, v->file_off + (v->end - v->start),
					  tail->len)) < 0) {
			pthread_mutex_unlock(&mm->lock);
			mobj_put(tail);
			return err;
		}
		n = vma_alloc(v->end, old_addr + new_len, v->prot, v->flags);
		if (!n) {
			pthread_mutex_unlock(&mm->lock);
			mobj_put(tail);
			return -ENOMEM;
		}
		n->mobj = tail;
		if (v->file) {
			file_get(v->file);
			n->file = v->file;
			n->file_off = v->file_off + (v->end - v->start);
			n->file_ino = v->file_ino;
		}
		insert_locked(mm, n);
		err = as_map_vma(mm, n);
		pthread_mutex_unlock(&mm->lock);
		return err < 0 ? err : (long)old_addr;
	}
	if (!(flags & MREMAP_MAYMOVE) || (v->flags & VMA_SHARED)) {
		pthread_mutex_unlock(&mm->lock);
		return -ENOMEM;
	}
	/* Move: a new private copy of the old pages, then the rest from the file or zeros. */
	start = find_gap_locked(mm, new_len);
	m = start ? mobj_copy(v->mobj, v->mobj_off + (old_addr - v->start), new_len) : NULL;
	if (!m) {
		pthread_mutex_unlock(&mm->lock);
		return -ENOMEM;
	}
	/* mobj_copy copied new_len bytes; clear what lay beyond the old mapping. */
	memset(mobj_ptr(m, old_len), 0, new_len - old_len);
	if (v->file) {
		int err = fill_from_file(m, v->file, v->file_off + (old_addr - v->start) + old_len,
					 new_len - old_len);
		(void)err;
	}
	n = vma_alloc(start, start + new_len, v->prot, v->flags);
	if (!n) {
		pthread_mutex_unlock(&mm->lock);
		mobj_put(m);
		return -ENOMEM;
	}
	n->mobj = m;
	if (v->file) {
		file_get(v->file);
		n->file = v->file;
		n->file_off = v->file_off + (old_addr - v->start);
		n->file_ino = v->file_ino;
	}
	insert_locked(mm, n);
	ret = as_map_vma(mm, n);
	if (ret == 0)
		ret = unmap_locked(mm, old_addr, old_addr + old_len);
	pthread_mutex_unlock(&mm->lock);
	return ret < 0 ? ret : (long)start;
}

uint64_t mm_brk(struct mm *mm, uint64_t brk)
{
	uint64_t old_end, new_end;
	long ret;

	if (brk < mm->brk_start)
		return mm->brk;
	old_end = ROUND_UP(mm->brk, PAGE_SIZE);
	new_end = ROUND_UP(brk, PAGE_SIZE);
	if (new_end > old_end) {
		pthread_mutex_lock(&mm->lock);
		bool free = range_free_locked(mm, old_end, new_end);
		pthread_mutex_unlock(&mm->lock);
		if (!free)
			return mm->brk;
		ret = mm_mmap(mm, old_end, new_end - old_end, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (ret < 0)
			return mm->brk;
		pthread_mutex_lock(&mm->lock);
		struct vma *v = find_vma_locked(mm, old_end);
		if (v)
			v->flags |= VMA_HEAP;
		pthread_mutex_unlock(&mm->lock);
	} else if (new_end < old_end) {
		mm_munmap(mm, new_end, old_end - new_end);
	}
	mm->brk = brk;
	return brk;
}

int mm_madvise(struct mm *mm, uint64_t addr, size_t len, int advice)
{
	struct vma *v;

	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	if (advice != MADV_DONTNEED)
		return 0; /* hints only */
	/* DONTNEED on private anonymous memory reads back as zeros afterwards. */
	pthread_mutex_lock(&mm->lock);
	for (v = mm->vmas; v; v = v->next) {
		uint64_t s = MAX(v->start, addr), e = MIN(v->end, addr + ROUND_UP(len, PAGE_SIZE));

		if (s >= e || (v->flags & VMA_SHARED) || v->file)
			continue;
		memset(mobj_ptr(v->mobj, v->mobj_off + (s - v->start)), 0, e - s);
	}
	pthread_mutex_unlock(&mm->lock);
	return 0;
}

struct mm *mm_fork(struct mm *old)
{
	struct mm *mm = mm_new();
	struct vma *v, **tail;

	if (!mm)
		return NULL;
	/* The child has the parent's patched sites in its copy of the memory, and their list. */
	pthread_mutex_lock(&old->patch_lock);
	if (old->patches && !(mm->patches = arch_patch_copy(old->patches))) {
		pthread_mutex_unlock(&old->patch_lock);
		mm_put(mm);
		return NULL;
	}
	pthread_mutex_lock(&old->lock);
	tail = &mm->vmas;
	for (v = old->vmas; v; v = v->next) {
		struct vma *n = malloc(sizeof(*n));

		if (!n)
			goto fail;
		*n = *v;
		n->next = NULL;
		if ((v->flags & VMA_SHARED) || (v->file && !(v->prot & PROT_WRITE))) {
			/* Shared memory, and private file pages no one can write (program text):
			 * both sides use the same pages; mprotect copies before making them
			 * writable. */
			mobj_get(v->mobj);
		} else {
			n->mobj = mobj_copy(v->mobj, v->mobj_off, v->end - v->start);
			n->mobj_off = 0;
			if (!n->mobj) {
				free(n);
				goto fail;
			}
		}
		if (n->file)
			file_get(n->file);
		*tail = n;
		tail = &n->next;
	}
	mm->brk_start = old->brk_start;
	mm->brk = old->brk;
	mm->mmap_base = old->mmap_base;
	mm->stack_start = old->stack_start;
	mm->arg_start = old->arg_start;
	mm->arg_end = old->arg_end;
	mm->env_start = old->env_start;
	mm->env_end = old->env_end;
	mm->auxv_start = old->auxv_start;
	mm->auxv_end = old->auxv_end;
	mm->entry = old->entry;
	if (old->exe) {
		file_get(old->exe);
		mm->exe = old->exe;
	}
	pthread_mutex_unlock(&old->lock);
	pthread_mutex_unlock(&old->patch_lock);
	return mm;
fail:
	pthread_mutex_unlock(&old->lock);
	pthread_mutex_unlock(&old->patch_lock);
	mm_put(mm);
	return NULL;
}

int mm_poke(struct mm *mm, uint64_t addr, const void *src, size_t len)
{
	uint64_t page = addr & ~(PAGE_SIZE - 1);
	struct vma *v;
	int err = 0;

	if (len == 0 || len > PAGE_SIZE - (addr - page))
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	v = find_vma_locked(mm, addr);
	if (!v || (v->flags & VMA_SHARED)) {
		err = -EFAULT;
		goto out;
	}
	if (__atomic_load_n(&v->mobj->refs, __ATOMIC_ACQUIRE) > 1) {
		struct mobj *m;

		if (v->start < page) {
			if ((err = vma_split(v, page)) < 0)
				goto out;
			v = v->next;
		}
		if (v->end > page + PAGE_SIZE && (err = vma_split(v, page + PAGE_SIZE)) < 0)
			goto out;
		if (!(m = mobj_copy(v->mobj, v->mobj_off, PAGE_SIZE))) {
			err = -ENOMEM;
			goto out;
		}
		mobj_put(v->mobj);
		v->mobj = m;
		v->mobj_off = 0;
		if ((err = as_map_vma(mm, v)) < 0)
			goto out;
	}
	memcpy(mobj_ptr(v->mobj, v->mobj_off + (addr - v->start)), src, len);
out:
	pthread_mutex_unlock(&mm->lock);
	return err;
}

bool mm_is_text(struct mm *mm, uint64_t addr)
{
	struct vma *v;
	bool text;

	pthread_mutex_lock(&mm->lock);
	v = find_vma_locked(mm, addr);
	text = v && v->file && !(v->flags & VMA_SHARED) && (v->prot & PROT_EXEC) &&
	       !(v->prot & PROT_WRITE);
	pthread_mutex_unlock(&mm->lock);
	return text;
}

int mm_activate(struct mm *mm, struct platform_ctx **ctx)
{
	struct vma *v;
	int err = 0;

	if (mm->as && !mm->as_stale && *ctx)
		return 0;
	pthread_mutex_lock(&mm->lock);
	if (!mm->as) {
		err = platform->as_new(&mm->as, ctx);
		if (err < 0) {
			mm->as = NULL;
			goto out;
		}
	} else if (!*ctx) {
		err = -ESRCH; /* every task of a live address space has its context */
		goto out;
	} else if (mm->as_stale && (err = platform->as_clear(*ctx)) < 0) {
		goto out;
	}
	mm->as_stale = false;
	for (v = mm->vmas; v; v = v->next)
		if ((err = as_map_vma(mm, v)) < 0)
			goto out;
out:
	pthread_mutex_unlock(&mm->lock);
	return err;
}

int mm_handle_fault(struct mm *mm, uint64_t addr, bool write)
{
	/* Every VMA is mapped into the stub when it is made: a fault is the guest's own. */
	return -EFAULT;
}

size_t mm_format_maps(struct mm *mm, char *buf, size_t len)
{
	size_t pos = 0;
	struct vma *v;

	pthread_mutex_lock(&mm->lock);
	for (v = mm->vmas; v && pos < len; v = v->next) {
		char path[512] = "";
		uint64_t ino = 0, start = v->start, off = v->file_off;
		int n;

		/* VMAs split only in here (a page of text copied for a patched syscall, mm_poke)
		 * show as the one mapping Linux has: same file, protection and kind, contiguous. */
		while (v->file && v->next && v->next->start == v->end && v->next->file == v->file &&
		       v->next->file_off == v->file_off + (v->end - v->start) &&
		       v->next->prot == v->prot && v->next->flags == v->flags)
			v = v->next;

		if (v->file) {
			if (file_path(v->file, path, sizeof(path)) < 0)
				path[0] = '\0';
			ino = v->file_ino;
		} else if (v->flags & VMA_HEAP) {
			strcpy(path, "[heap]");
		} else if (v->flags & VMA_STACK) {
			strcpy(path, "[stack]");
		}
		n = snprintf(buf + pos, len - pos, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %-10lu%s%s\n",
			     (unsigned long)start, (unsigned long)v->end,
			     v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
			     v->prot & PROT_EXEC ? 'x' : '-', v->flags & VMA_SHARED ? 's' : 'p',
			     (unsigned long)(v->file ? off : 0), 0, v->file ? 1 : 0,
			     (unsigned long)ino, path[0] ? "               " : "", path);
		if (n < 0)
			break;
		pos += MIN((size_t)n, len - pos);
	}
	pthread_mutex_unlock(&mm->lock);
	return pos;
}

void mm_sizes(struct mm *mm, uint64_t *vsize, uint64_t *rss)
{
	struct vma *v;

	*vsize = *rss = 0;
	pthread_mutex_lock(&mm->lock);
	for (v = mm->vmas; v; v = v->next)
		*vsize += v->end - v->start;
	pthread_mutex_unlock(&mm->lock);
	/* Pages are not tracked one by one yet; the mapped size is the upper bound. */
	*rss = *vsize;
}
