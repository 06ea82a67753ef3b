/*
 * The page cache: the text of libc and of every program is read from the gofer once and then
 * mapped read-only by each process that runs it, so a spawn costs a few mappings, not megabytes
 * of copying. Writable private mappings take a copy (sentry/mm/mm.c).
 */
#include "sentry/mm/filecache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/vfs.h"

#define FILECACHE_MAX_FILE (256UL << 20)
#define FILECACHE_MAX_TOTAL (1UL << 30)
/*
 * Address space (not memory) past a file's end in its cache mobj: ld.so maps a library's
 * whole span, longer than the file, before it maps the segments over it; with room past the
 * end that mapping shares the cache too. Those pages read as zeros where Linux would raise
 * SIGBUS.
 */
#define FILECACHE_TAIL (4UL << 20)

struct filecache_entry {
	uint64_t dev, ino;
	/* Which version of the file: a bind-mounted file may change on the host (ctime
	 * catches an mtime set back by touch -d or cp -p). */
	int64_t size, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
	struct mobj *m; /* a reference */
	uint64_t last_use;
	struct filecache_entry *next;
};

/* Guards the entries; after kernel_lock, before mm->lock and every VFS lock (it is held while
 * a file is read in). */
static pthread_mutex_t filecache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct filecache_entry *entries;
static uint64_t total, clock_ticks;

static bool same_file(const struct filecache_entry *e, const struct kstat *st)
{
	return e->dev == st->dev && e->ino == st->ino && e->size == (int64_t)st->size &&
	       e->mtime_sec == st->mtime.tv_sec && e->mtime_nsec == st->mtime.tv_nsec &&
	       e->ctime_sec == st->ctime.tv_sec && e->ctime_nsec == st->ctime.tv_nsec;
}

/* Drops least recently used entries until len more bytes fit; filecache_lock held. */
static void make_room(uint64_t len)
{
	while (total + len > FILECACHE_MAX_TOTAL && entries) {
		struct filecache_entry **pp, **victim = &entries;

		for (pp = &entries; *pp; pp = &(*pp)->next)
			if ((*pp)->last_use < (*victim)->last_use)
				victim = pp;
		struct filecache_entry *e = *victim;
		*victim = e->next;
		total -= e->m->len - FILECACHE_TAIL;
		mobj_put(e->m); /* mappings that use it keep their own references */
		free(e);
	}
}

static int fill(struct mobj *m, struct file *f, int64_t size)
{
	int64_t done = 0;

	while (done < size) {
		ssize_t n = file_pread(f, mobj_ptr(m, done), size - done, done);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO; /* shorter than its stat said: changed under us */
		done += n;
	}
	return 0;
}

struct mobj *filecache_get(struct file *f, const struct kstat *st)
{
	struct filecache_entry *e;
	struct mobj *own = NULL;
	uint64_t own_off;

	if (!S_ISREG(st->mode) || st->size <= 0 || (uint64_t)st->size > FILECACHE_MAX_FILE)
		return NULL;
	/* Files with memory of their own (tmpfs, the overlay's upper layer) change in place. */
	if (file_mmap_mobj(f, 0, PAGE_SIZE, &own, &own_off) != -ENODEV) {
		if (own)
			mobj_put(own);
		return NULL;
	}
	pthread_mutex_lock(&filecache_lock);
	for (e = entries; e; e = e->next) {
		if (same_file(e, st)) {
			e->last_use = ++clock_ticks;
			mobj_get(e->m);
			pthread_mutex_unlock(&filecache_lock);
			return e->m;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto fail;
	e->m = mobj_new(st->size + FILECACHE_TAIL);
	if (!e->m || fill(e->m, f, st->size) < 0)
		goto fail;
	e->dev = st->dev;
	e->ino = st->ino;
	e->size = st->size;
	e->mtime_sec = st->mtime.tv_sec;
	e->mtime_nsec = st->mtime.tv_nsec;
	e->ctime_sec = st->ctime.tv_sec;
	e->ctime_nsec = st->ctime.tv_nsec;
	e->last_use = ++clock_ticks;
	make_room(e->m->len - FILECACHE_TAIL);
	e->next = entries;
	entries = e;
	total += e->m->len - FILECACHE_TAIL;
	mobj_get(e->m);
	pthread_mutex_unlock(&filecache_lock);
	return e->m;
fail:
	pthread_mutex_unlock(&filecache_lock);
	if (e && e->m)
		mobj_put(e->m);
	free(e);
	return NULL;
}
