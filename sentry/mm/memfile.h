/*
 * The memory file: one memfd backs all guest memory and tmpfs data. The sentry maps it once;
 * stubs map ranges of it at guest addresses. A mobj is a refcounted, page-aligned range of it.
 */
#ifndef CVISOR_MM_MEMFILE_H
#define CVISOR_MM_MEMFILE_H

#include <stddef.h>
#include <stdint.h>

struct mobj {
	uint64_t off; /* offset in the memory file */
	size_t len;   /* page multiple */
	int refs;     /* atomic */
};

/* Creates the memory file and the sentry's view of it; once, at sentry start. */
int memfile_init(void);
int memfile_fd(void);
/* The sentry's pointer to offset off of the memory file. */
void *memfile_ptr(uint64_t off);

/* A new zero-filled range of at least len bytes (rounded up to pages), or NULL. */
struct mobj *mobj_new(size_t len);
void mobj_get(struct mobj *m);
/* The last put returns the range (and its memory) to the file. */
void mobj_put(struct mobj *m);
static inline void *mobj_ptr(struct mobj *m, uint64_t off)
{
	return memfile_ptr(m->off + off);
}
/* A new mobj holding a copy of [off, off+len) of m; pages never written stay holes. */
struct mobj *mobj_copy(struct mobj *m, uint64_t off, size_t len);

#endif
