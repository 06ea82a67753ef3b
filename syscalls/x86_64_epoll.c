/* x86-64's struct epoll_event: packed (12 bytes), unlike the other architectures'. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/fs_util.h"

_Static_assert(sizeof(struct epoll_event) == 12, "x86-64's epoll_event is packed");

int epoll_event_copy_in(struct task *t, uint64_t addr, uint32_t *events, uint64_t *data)
{
	struct epoll_event ev;
	if (copy_in(t, &ev, addr, sizeof(ev)) < 0)
		return -EFAULT;
	*events = ev.events;
	*data = ev.data.u64;
	return 0;
}

int epoll_events_copy_out(struct task *t, uint64_t addr, const struct epoll_result *r, int n)
{
	struct epoll_event *ev = malloc((size_t)(n ? n : 1) * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		ev[i].events = r[i].events;
		ev[i].data.u64 = r[i].data;
	}
	int err = copy_out(t, addr, ev, (size_t)n * sizeof(*ev));
	free(ev);
	return err < 0 ? -EFAULT : 0;
}
