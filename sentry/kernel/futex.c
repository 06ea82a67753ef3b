/*
 * Futexes keyed by the memory-file offset of the futex word: private and shared mappings of the
 * same page give the same key, so process-shared futexes work across address spaces.
 */
#include "sentry/kernel/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"

#define FUTEX_BUCKETS 64

struct futex_waiter {
	uint64_t key;
	uint32_t bitset;
	bool woken; /* guarded by the bucket's lock */
	struct futex_waiter *next;
};

struct futex_bucket {
	pthread_mutex_t lock; /* guards waiters; after mm->lock, before waitqueue locks */
	struct futex_waiter *waiters;
	struct waitqueue wq;
};

static struct futex_bucket buckets[FUTEX_BUCKETS];
static pthread_once_t futex_once = PTHREAD_ONCE_INIT;

static void futex_init(void)
{
	for (int i = 0; i < FUTEX_BUCKETS; i++) {
		pthread_mutex_init(&buckets[i].lock, NULL);
		waitqueue_init(&buckets[i].wq);
	}
}

static struct futex_bucket *bucket_of(uint64_t key)
{
	pthread_once(&futex_once, futex_init);
	return &buckets[(key >> 2) * 0x9e3779b97f4a7c15ULL >> 58];
}

struct wait_arg {
	struct futex_bucket *b;
	struct futex_waiter *w;
};

static bool futex_woken(void *arg)
{
	struct wait_arg *wa = arg;
	bool woken;

	pthread_mutex_lock(&wa->b->lock);
	woken = wa->w->woken;
	pthread_mutex_unlock(&wa->b->lock);
	return woken;
}

long futex_wait(struct task *t, uint64_t addr, uint32_t val, uint32_t bitset,
		const struct timespec *deadline)
{
	struct futex_waiter w = { 0 }, **pp;
	struct futex_bucket *b;
	struct wait_arg wa;
	uint32_t cur;
	int err;

	if (addr & 3)
		return -EINVAL;
	if (bitset == 0)
		return -EINVAL;
	if ((err = usercopy_memfile_offset(t, addr, &w.key)) < 0)
		return err;
	b = bucket_of(w.key);
	pthread_mutex_lock(&b->lock);
	/* The value check and the enqueue are atomic with respect to futex_wake. */
	if (copy_in(t, &cur, addr, sizeof(cur)) < 0) {
		pthread_mutex_unlock(&b->lock);
		return -EFAULT;
	}
	if (cur != val) {
		pthread_mutex_unlock(&b->lock);
		return -EAGAIN;
	}
	w.bitset = bitset;
	w.next = b->waiters;
	b->waiters = &w;
	pthread_mutex_unlock(&b->lock);

	wa.b = b;
	wa.w = &w;
	err = task_wait_event(t, &b->wq, futex_woken, &wa, deadline);

	pthread_mutex_lock(&b->lock);
	for (pp = &b->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == &w) {
			*pp = w.next;
			break;
		}
	}
	if (w.woken)
		err = 0;
	pthread_mutex_unlock(&b->lock);
	return err;
}

long futex_wake(struct task *t, uint64_t addr, int nr, uint32_t bitset)
{
	struct futex_waiter *w;
	struct futex_bucket *b;
	uint64_t key;
	int woken = 0, err;

	if (addr & 3)
		return -EINVAL;
	if (bitset == 0)
		return -EINVAL;
	if ((err = usercopy_memfile_offset(t, addr, &key)) < 0)
		return err;
	b = bucket_of(key);
	pthread_mutex_lock(&b->lock);
	for (w = b->waiters; w && woken < nr; w = w->next) {
		if (w->key != key || w->woken || !(w->bitset & bitset))
			continue;
		w->woken = true;
		woken++;
	}
	pthread_mutex_unlock(&b->lock);
	if (woken)
		waitqueue_wake_all(&b->wq);
	return woken;
}

/* Linux's bound on a robust list's length, which also ends a walk around a loop. */
#define ROBUST_LIST_LIMIT 2048

/* struct robust_list_head on 64-bit: the list's first link, the futex word's offset from each
 * link, and the link being added or removed when the thread died. */
struct robust_list_head64 {
	uint64_t next;
	uint64_t futex_offset; /* signed in effect: added with wrap-around */
	uint64_t list_op_pending;
};

/*
 * Linux's handle_futex_death for the word at addr. false when the walk must stop (a fault or an
 * unaligned word). Bit 0 of a link (a PI futex) is not passed here: without FUTEX_LOCK_PI
 * (sys_futex.c) no PI state exists whose exit would wake the waiters, so a PI word is handled
 * as a plain one, waiters woken here.
 */
static bool futex_owner_died(struct task *t, uint64_t addr, bool pending)
{
	uint32_t val, cur;

	if (addr & 3)
		return false;
	/* Each retry means the guest changed the word between the read and the swap. */
	for (;;) {
		if (copy_in(t, &val, addr, sizeof(val)) < 0)
			return false;
		/* The thread died between releasing the word and waking a waiter, or was a woken
		 * waiter about to take it: pass the wake on, leaving the word alone. */
		if (pending && (val & FUTEX_TID_MASK) == 0) {
			futex_wake(t, addr, 1, FUTEX_BITSET_MATCH_ANY);
			return true;
		}
		if ((val & FUTEX_TID_MASK) != (uint32_t)t->tid)
			return true;
		if (usercopy_cmpxchg_u32(t, addr, val, (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED,
					 &cur) < 0)
			return false;
		if (cur == val)
			break;
	}
	if (val & FUTEX_WAITERS)
		futex_wake(t, addr, 1, FUTEX_BITSET_MATCH_ANY);
	return true;
}

void futex_exit_robust_list(struct task *t)
{
	struct robust_list_head64 head;
	uint64_t head_addr = t->robust_list, entry, pending;
	int limit = ROBUST_LIST_LIMIT;

	t->robust_list = 0;
	if (!head_addr || !t->mm || copy_in(t, &head, head_addr, sizeof(head)) < 0)
		return;
	entry = head.next & ~1ULL;
	pending = head.list_op_pending & ~1ULL;
	while (entry != head_addr) {
		uint64_t next;
		/* The next link is read before this one's word changes hands. */
		int err = copy_in(t, &next, entry, sizeof(next));

		/* The pending link may be on the list already: it is handled once, below. */
		if (entry != pending && !futex_owner_died(t, entry + head.futex_offset, false))
			return;
		if (err < 0)
			return;
		entry = next & ~1ULL;
		if (--limit == 0)
			break;
	}
	if (pending)
		futex_owner_died(t, pending + head.futex_offset, true);
}
