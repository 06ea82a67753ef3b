/* Walking an array of sentry iovecs: filesystems copy file data to and from them in pieces. */
#ifndef CVISOR_VFS_IOV_H
#define CVISOR_VFS_IOV_H

#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

/* A cursor over iov[0..cnt): the next byte is iov[0].iov_base + off. */
struct iov_iter {
	const struct iovec *iov;
	int cnt;
	size_t off;
	size_t count; /* bytes left */
};

static inline size_t iov_length(const struct iovec *iov, int cnt)
{
	size_t n = 0;
	for (int i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

static inline void iov_iter_init(struct iov_iter *it, const struct iovec *iov, int cnt)
{
	it->iov = iov;
	it->cnt = cnt;
	it->off = 0;
	it->count = iov_length(iov, cnt);
}

/* Copies up to n bytes from src into the iovecs; returns the bytes copied. */
static inline size_t copy_to_iter(const void *src, size_t n, struct iov_iter *it)
{
	size_t done = 0;
	while (done < n && it->cnt > 0) {
		size_t room = it->iov->iov_len - it->off;
		size_t k = n - done < room ? n - done : room;
		memcpy((char *)it->iov->iov_base + it->off, (const char *)src + done, k);
		done += k;
		it->off += k;
		if (it->off == it->iov->iov_len) {
			it->iov++;
			it->cnt--;
			it->off = 0;
		}
	}
	it->count -= done;
	return done;
}

/* Copies up to n bytes from the iovecs into dst; returns the bytes copied. */
static inline size_t copy_from_iter(void *dst, size_t n, struct iov_iter *it)
{
	size_t done = 0;
	while (done < n && it->cnt > 0) {
		size_t room = it->iov->iov_len - it->off;
		size_t k = n - done < room ? n - done : room;
		memcpy((char *)dst + done, (const char *)it->iov->iov_base + it->off, k);
		done += k;
		it->off += k;
		if (it->off == it->iov->iov_len) {
			it->iov++;
			it->cnt--;
			it->off = 0;
		}
	}
	it->count -= done;
	return done;
}

#endif
