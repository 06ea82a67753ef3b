/*
 * The one path between the sentry and guest memory: guest address → VMA → memory-file offset →
 * the sentry's view. Access is checked against the VMA's protection, as the MMU would.
 */
#include "sentry/mm/usercopy.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"

static struct vma *find_vma(struct mm *mm, uint64_t addr)
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

static void *vma_ptr(struct vma *v, uint64_t addr)
{
	return mobj_ptr(v->mobj, v->mobj_off + (addr - v->start));
}

/*
 * Walks [addr, addr+n) VMA by VMA, calling fn on each piece. Stops at the first byte that is
 * unmapped or lacks prot. Returns the bytes walked.
 */
static size_t walk_locked(struct mm *mm, uint64_t addr, size_t n, int prot,
			  void (*fn)(void *ptr, size_t len, size_t done, void *arg), void *arg)
{
	size_t done = 0;

	if (addr + n < addr)
		n = UINT64_MAX - addr;
	while (done < n) {
		struct vma *v = find_vma(mm, addr + done);
		size_t chunk;

		if (!v || (v->prot & prot) != prot)
			break;
		chunk = MIN(n - done, v->end - (addr + done));
		fn(vma_ptr(v, addr + done), chunk, done, arg);
		done += chunk;
	}
	return done;
}

static void do_copy_in(void *ptr, size_t len, size_t done, void *arg)
{
	memcpy((char *)arg + done, ptr, len);
}

static void do_copy_out(void *ptr, size_t len, size_t done, void *arg)
{
	memcpy(ptr, (const char *)arg + done, len);
}

static void do_clear(void *ptr, size_t len, size_t done, void *arg)
{
	memset(ptr, 0, len);
}

int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	size_t done;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&mm->lock);
	done = walk_locked(mm, src, n, PROT_READ, do_copy_in, dst);
	pthread_mutex_unlock(&mm->lock);
	return done == n ? 0 : -EFAULT;
}

int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	size_t done;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&mm->lock);
	done = walk_locked(mm, dst, n, PROT_WRITE, do_copy_out, (void *)src);
	pthread_mutex_unlock(&mm->lock);
	return done == n ? 0 : -EFAULT;
}

int copy_in(struct task *t, void *dst, uint64_t src, size_t n)
{
	return mm_copy_in(t->mm, dst, src, n);
}

int copy_out(struct task *t, uint64_t dst, const void *src, size_t n)
{
	return mm_copy_out(t->mm, dst, src, n);
}

int clear_user(struct task *t, uint64_t dst, size_t n)
{
	size_t done;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&t->mm->lock);
	done = walk_locked(t->mm, dst, n, PROT_WRITE, do_clear, NULL);
	pthread_mutex_unlock(&t->mm->lock);
	return done == n ? 0 : -EFAULT;
}

long copy_in_string(struct task *t, char *dst, uint64_t src, size_t size)
{
	struct mm *mm = t->mm;
	size_t done = 0;
	long ret = -ENAMETOOLONG;

	if (size == 0)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&mm->lock);
	while (done < size) {
		struct vma *v = find_vma(mm, src + done);
		size_t chunk;
		const char *p, *nul;

		if (src + done < src || !v || !(v->prot & PROT_READ)) {
			ret = -EFAULT;
			break;
		}
		chunk = MIN(size - done, v->end - (src + done));
		p = vma_ptr(v, src + done);
		nul = memchr(p, '\0', chunk);
		if (nul) {
			memcpy(dst + done, p, nul - p + 1);
			ret = (long)(done + (nul - p));
			break;
		}
		memcpy(dst + done, p, chunk);
		done += chunk;
	}
	pthread_mutex_unlock(&mm->lock);
	if (ret < 0)
		dst[0] = '\0';
	return ret;
}

long copy_in_path(struct task *t, char *dst, uint64_t src)
{
	long n = copy_in_string(t, dst, src, PATH_MAX);

	if (n == 0)
		return -ENOENT;
	return n;
}

struct iov_state {
	struct iovec *iov;
	int max, count;
};

static void do_iov(void *ptr, size_t len, size_t done, void *arg)
{
	struct iov_state *s = arg;

	if (s->count > 0 && (char *)s->iov[s->count - 1].iov_base + s->iov[s->count - 1].iov_len == ptr) {
		s->iov[s->count - 1].iov_len += len;
		return;
	}
	if (s->count < s->max) {
		s->iov[s->count].iov_base = ptr;
		s->iov[s->count].iov_len = len;
		s->count++;
	}
}

int usercopy_iovecs(struct task *t, uint64_t addr, size_t len, bool for_write,
		    struct iovec *iov, int max_iov, size_t *mapped)
{
	struct iov_state s = { iov, max_iov, 0 };
	size_t done, sum = 0;
	int i;

	*mapped = 0;
	if (len == 0)
		return 0;
	pthread_mutex_lock(&t->mm->lock);
	done = walk_locked(t->mm, addr, len, for_write ? PROT_WRITE : PROT_READ, do_iov, &s);
	pthread_mutex_unlock(&t->mm->lock);
	/* Pieces beyond max_iov were dropped: report only what the iovecs cover. */
	for (i = 0; i < s.count; i++)
		sum += s.iov[i].iov_len;
	*mapped = MIN(done, sum);
	return s.count;
}

/* Matches Linux's UIO_MAXIOV. */
#define GUEST_IOV_MAX 1024
/* Sentry iovecs per guest buffer before a buffer is cut short; VMAs rarely split one more. */
#define PIECES_PER_BUFFER 8

int usercopy_guest_iovecs(struct task *t, uint64_t guest_iov, int iovcnt, bool for_write,
			  struct iovec **iov_out, size_t *total)
{
	struct iovec *giov, *out;
	size_t sum = 0;
	int i, n = 0, err;

	*iov_out = NULL;
	*total = 0;
	if (iovcnt < 0 || iovcnt > GUEST_IOV_MAX)
		return -EINVAL;
	if (iovcnt == 0)
		return 0;
	giov = malloc(sizeof(*giov) * iovcnt);
	out = malloc(sizeof(*out) * iovcnt * PIECES_PER_BUFFER);
	if (!giov || !out) {
		free(giov);
		free(out);
		return -ENOMEM;
	}
	if ((err = copy_in(t, giov, guest_iov, sizeof(*giov) * iovcnt)) < 0)
		goto fail;
	for (i = 0; i < iovcnt; i++) {
		if (giov[i].iov_len > SSIZE_MAX || sum + giov[i].iov_len > SSIZE_MAX) {
			err = -EINVAL;
			goto fail;
		}
		sum += giov[i].iov_len;
	}
	sum = 0;
	for (i = 0; i < iovcnt; i++) {
		size_t mapped;
		int k;

		if (giov[i].iov_len == 0)
			continue;
		k = usercopy_iovecs(t, (uint64_t)giov[i].iov_base, giov[i].iov_len, for_write,
				    out + n, PIECES_PER_BUFFER, &mapped);
		n += k;
		sum += mapped;
		if (mapped < giov[i].iov_len)
			break;
	}
	if (n == 0 && sum == 0) {
		/* Nothing transferable: EFAULT unless every buffer was empty. */
		for (i = 0; i < iovcnt; i++)
			if (giov[i].iov_len) {
				err = -EFAULT;
				goto fail;
			}
	}
	free(giov);
	*iov_out = out;
	*total = sum;
	return n;
fail:
	free(giov);
	free(out);
	return err;
}

int usercopy_memfile_offset(struct task *t, uint64_t addr, uint64_t *off)
{
	struct vma *v;
	int err = -EFAULT;

	pthread_mutex_lock(&t->mm->lock);
	v = find_vma(t->mm, addr);
	if (v && (v->prot & PROT_READ)) {
		*off = v->mobj->off + v->mobj_off + (addr - v->start);
		err = 0;
	}
	pthread_mutex_unlock(&t->mm->lock);
	return err;
}

int usercopy_cmpxchg_u32(struct task *t, uint64_t addr, uint32_t old, uint32_t new, uint32_t *cur)
{
	struct vma *v;
	int err = -EFAULT;

	if (addr & 3)
		return -EINVAL;
	pthread_mutex_lock(&t->mm->lock);
	v = find_vma(t->mm, addr);
	if (v && (v->prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE)) {
		/* The sentry's view and the guest's mapping are the same memory-file page. */
		uint32_t *word = vma_ptr(v, addr);

		__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
		*cur = old;
		err = 0;
	}
	pthread_mutex_unlock(&t->mm->lock);
	return err;
}
