/*
 * The memory file: a sparse memfd the sentry maps once. Ranges are handed out first-fit from
 * a free list; a freed range has its pages punched out so memory goes back to the host.
 */
#include "sentry/mm/memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* Virtual size of the file; pages exist only once written. */
#define MEMFILE_SIZE (64UL << 30)

struct free_range {
	uint64_t off, len;
	struct free_range *next; /* sorted by off */
};

static int memfile_memfd = -1;
static uint8_t *memfile_base;
static pthread_mutex_t memfile_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the two below */
static struct free_range *free_list;
static uint64_t memfile_top; /* everything at or above is free */

int memfile_init(void)
{
	int fd = memfd_create("runsc-memory", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, MEMFILE_SIZE) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	memfile_base = mmap(NULL, MEMFILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			    fd, 0);
	if (memfile_base == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	memfile_memfd = fd;
	return 0;
}

int memfile_fd(void)
{
	return memfile_memfd;
}

void *memfile_ptr(uint64_t off)
{
	return memfile_base + off;
}

static int range_alloc(uint64_t len, uint64_t *off)
{
	struct free_range **pp, *r;

	pthread_mutex_lock(&memfile_lock);
	for (pp = &free_list; (r = *pp) != NULL; pp = &r->next) {
		if (r->len < len)
			continue;
		*off = r->off;
		r->off += len;
		r->len -= len;
		if (r->len == 0) {
			*pp = r->next;
			free(r);
		}
		pthread_mutex_unlock(&memfile_lock);
		return 0;
	}
	if (memfile_top + len > MEMFILE_SIZE) {
		pthread_mutex_unlock(&memfile_lock);
		return -ENOMEM;
	}
	*off = memfile_top;
	memfile_top += len;
	pthread_mutex_unlock(&memfile_lock);
	return 0;
}

static void range_free(uint64_t off, uint64_t len)
{
	struct free_range **pp, *r, *n;

	/* Give the pages back to the host before anyone can reuse the range. */
	if (fallocate(memfile_memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0)
		memset(memfile_base + off, 0, len);

	pthread_mutex_lock(&memfile_lock);
	if (off + len == memfile_top) {
		memfile_top = off;
		/* The range below may now touch the top too. */
		for (pp = &free_list; (r = *pp) != NULL; pp = &r->next) {
			if (r->next == NULL && r->off + r->len == memfile_top) {
				memfile_top = r->off;
				*pp = NULL;
				free(r);
				break;
			}
		}
		pthread_mutex_unlock(&memfile_lock);
		return;
	}
	for (pp = &free_list; (r = *pp) != NULL && r->off < off; pp = &r->next)
		;
	/* Merge with the previous range when adjacent. */
	if (pp != &free_list) {
		struct free_range *prev = (struct free_range *)((char *)pp - offsetof(struct free_range, next));
		if (prev->off + prev->len == off) {
			prev->len += len;
			if (r && prev->off + prev->len == r->off) {
				prev->len += r->len;
				prev->next = r->next;
				free(r);
			}
			pthread_mutex_unlock(&memfile_lock);
			return;
		}
	}
	if (r && off + len == r->off) {
		r->off = off;
		r->len += len;
		pthread_mutex_unlock(&memfile_lock);
		return;
	}
	n = malloc(sizeof(*n));
	if (!n) {
		/* Leaks the offsets, not memory: the pages were punched out above. */
		pthread_mutex_unlock(&memfile_lock);
		return;
	}
	n->off = off;
	n->len = len;
	n->next = r;
	*pp = n;
	pthread_mutex_unlock(&memfile_lock);
}

struct mobj *mobj_new(size_t len)
{
	struct mobj *m;

	len = ROUND_UP(len, PAGE_SIZE);
	if (len == 0 || len > MEMFILE_SIZE)
		return NULL;
	m = malloc(sizeof(*m));
	if (!m)
		return NULL;
	if (range_alloc(len, &m->off) < 0) {
		free(m);
		return NULL;
	}
	m->len = len;
	m->refs = 1;
	return m;
}

void mobj_get(struct mobj *m)
{
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void mobj_put(struct mobj *m)
{
	if (!m || __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	range_free(m->off, m->len);
	free(m);
}

struct mobj *mobj_copy(struct mobj *src, uint64_t off, size_t len)
{
	struct mobj *m = mobj_new(len);
	uint64_t pos, end;

	if (!m)
		return NULL;
	/* Copy only the pages that exist: a fresh mobj is all holes, which read as zeros. */
	pos = src->off + off;
	end = pos + ROUND_UP(len, PAGE_SIZE);
	while (pos < end) {
		off_t data = lseek(memfile_memfd, pos, SEEK_DATA);
		off_t hole;

		if (data < 0 || (uint64_t)data >= end)
			break;
		hole = lseek(memfile_memfd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > end)
			hole = end;
		memcpy(memfile_base + m->off + (data - (src->off + off)), memfile_base + data,
		       hole - data);
		pos = hole;
	}
	return m;
}
