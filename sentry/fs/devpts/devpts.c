/*
 * devpts and the pty line discipline, as Linux's drivers/tty/pty.c and n_tty.c: a master and a
 * replica around two byte queues. What the master writes goes through input processing
 * (ICRNL, ISIG, ICANON line editing, echo) into the replica's input queue; what the replica
 * writes goes through output processing (OPOST, ONLCR) into the master's queue.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

#define PTY_MAX 256	    /* ptys at once (Linux's default kernel.pty.max is 4096) */
#define PTY_QUEUE 16384	    /* bytes each way */
#define PTY_LINE_MAX 4095   /* a canonical line (N_TTY_BUF_SIZE - 1) */
#define PTY_CANON_LINES 256 /* complete lines waiting to be read */
#define PTY_HOST_NAMES 8
#define TTY_GID 5 /* the tty group, as runc's devpts "gid=5" */
#define GUEST_SIG_IGN_HANDLER 1
#define GUEST_SI_KERNEL 0x80

/* The kernel's struct termios (asm-generic/termbits.h), which TCGETS/TCSETS move. */
struct kterm {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};
_Static_assert(sizeof(struct kterm) == 36, "kernel termios is 36 bytes");

/* A byte ring. */
struct ring {
	char data[PTY_QUEUE];
	size_t head, len;
};

static bool ring_put(struct ring *r, char c)
{
	if (r->len == PTY_QUEUE)
		return false;
	r->data[(r->head + r->len++) % PTY_QUEUE] = c;
	return true;
}

static size_t ring_room(const struct ring *r)
{
	return PTY_QUEUE - r->len;
}

/* Moves up to n bytes to it. */
static size_t ring_pop(struct ring *r, struct iov_iter *it, size_t n)
{
	size_t done = 0;
	n = MIN(n, r->len);
	while (done < n) {
		size_t k = MIN(n - done, PTY_QUEUE - r->head);
		k = copy_to_iter(r->data + r->head, k, it);
		if (!k)
			break;
		r->head = (r->head + k) % PTY_QUEUE;
		r->len -= k;
		done += k;
	}
	if (!r->len)
		r->head = 0;
	return done;
}

struct pts_inode;

/*
 * One pty. References: each open master or replica file, the /dev/pts/N inode, a console
 * relay. lock guards everything but refs and index; it is a filesystem-private lock (after
 * kernel_lock: signals are sent with it released) and taken after devpts_lock.
 */
struct pty {
	int refs; /* atomic */
	unsigned int index;
	pthread_mutex_t lock;
	pthread_cond_t relay_cond; /* the console relay's threads, which are not tasks */
	struct waitqueue wq;	   /* woken on every change of the queues or of the state */
	struct kterm termios;	   /* the line discipline's; TCGETS on either side reads it */
	struct winsize ws;
	bool locked;	       /* TIOCSPTLCK: the replica cannot be opened yet */
	int masters, replicas; /* open files of each side */
	bool replica_opened;   /* the replica was open once: the master sees EOF (EIO) after */
	bool hungup;	       /* the master is gone: replica reads give 0, writes EIO */
	bool lnext;	       /* VLNEXT seen: the next byte is literal */
	struct ring in;	       /* replica's input: complete lines (ICANON) or bytes */
	struct ring out;       /* master's input: the replica's output and the echoes */
	char line[PTY_LINE_MAX];
	size_t line_len;
	size_t canon[PTY_CANON_LINES]; /* lengths of the complete lines in `in`, oldest first */
	int canon_head, canon_n;
	int session;		/* the session it is the controlling terminal of, or 0 */
	int fg_pgrp;		/* its foreground process group, or 0 */
	struct pts_inode *node; /* /dev/pts/N while the master is open (a reference) */
	bool relay_busy;	/* the console relay is writing bytes it took from out */
};

struct pts_inode {
	struct inode vfs;
	struct pty *pty; /* a reference; NULL for ptmx and the root */
};

static void pty_get(struct pty *p)
{
	__atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED);
}

static void pty_put(struct pty *p)
{
	if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->relay_cond);
	free(p);
}

/* Called with p->lock held after any change. */
static void pty_wake(struct pty *p)
{
	waitqueue_wake_all(&p->wq);
	pthread_cond_broadcast(&p->relay_cond);
}

/* ---- the devpts instance ---- */

/* Guards ptys and host_names (the name table); taken before a pty's lock. */
static pthread_mutex_t devpts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pty *ptys[PTY_MAX];
static struct {
	unsigned int index;
	struct inode *inode; /* a reference */
} host_names[PTY_HOST_NAMES];
static int nhost_names;

static pthread_once_t devpts_once = PTHREAD_ONCE_INIT;
static struct superblock *devpts_sb;
static struct mount *devpts_internal; /* for the console's replica, opened outside the tree */
static struct pts_inode *ptmx_node;

static void devpts_evict(struct inode *inode)
{
	struct pts_inode *n = (struct pts_inode *)inode;
	if (n->pty)
		pty_put(n->pty);
	free(n);
}

static const struct super_ops devpts_sb_ops = { .evict_inode = devpts_evict };
static const struct inode_ops devpts_dir_ops, ptmx_ops, pts_ops;
static const struct file_ops devpts_dir_fops, master_fops, replica_fops;

static struct pts_inode *pts_inode_new(mode_t mode, const struct inode_ops *ops,
				       const struct file_ops *fops)
{
	struct pts_inode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	inode_init(&n->vfs, devpts_sb, mode, ops, fops);
	struct timespec now;
	vfs_now(&now);
	n->vfs.atime = n->vfs.mtime = n->vfs.ctime = now;
	return n;
}

static void devpts_init(void)
{
	devpts_sb = sb_new(&devpts_sb_ops, "devpts", DEVPTS_SUPER_MAGIC, "devpts");
	if (!devpts_sb)
		return;
	struct pts_inode *root = pts_inode_new(S_IFDIR | 0755, &devpts_dir_ops, &devpts_dir_fops);
	if (!root)
		return;
	root->vfs.ino = 1;
	root->vfs.nlink = 2;
	if (sb_set_root(devpts_sb, &root->vfs) < 0)
		return;
	ptmx_node = pts_inode_new(S_IFCHR | 0666, &ptmx_ops, &master_fops);
	if (!ptmx_node)
		return;
	ptmx_node->vfs.ino = 2;
	ptmx_node->vfs.nlink = 1;
	ptmx_node->vfs.rdev = makedev(5, 2);
	devpts_internal = mount_new_internal(devpts_sb);
}

static bool devpts_ready(void)
{
	pthread_once(&devpts_once, devpts_init);
	return devpts_internal && ptmx_node;
}

int devpts_mount(struct fs_context *fs, const char *path)
{
	if (!devpts_ready())
		return -ENOMEM;
	return vfs_mount_fs(fs, path, devpts_sb);
}

void devpts_name_host_tty(unsigned int index, struct inode *tty)
{
	pthread_mutex_lock(&devpts_lock);
	bool known = false;
	for (int i = 0; i < nhost_names; i++)
		known |= host_names[i].index == index;
	if (!known && nhost_names < PTY_HOST_NAMES && !(index < PTY_MAX && ptys[index])) {
		inode_get(tty);
		host_names[nhost_names].index = index;
		host_names[nhost_names++].inode = tty;
	}
	pthread_mutex_unlock(&devpts_lock);
}

/* The lowest free number, under devpts_lock; -ENOSPC. */
static int pty_alloc_index_locked(void)
{
	for (int i = 0; i < PTY_MAX; i++) {
		bool taken = ptys[i] != NULL;
		for (int k = 0; k < nhost_names && !taken; k++)
			taken = host_names[k].index == (unsigned int)i;
		if (!taken)
			return i;
	}
	return -ENOSPC;
}

static void pty_default_termios(struct pty *p)
{
	/* Linux's tty_std_termios with the pts driver's c_cflag. */
	static const uint8_t cc[19] = {
		[VINTR] = 3,	  [VQUIT] = 034,    [VERASE] = 0177, [VKILL] = 025, [VEOF] = 4,
		[VTIME] = 0,	  [VMIN] = 1,	    [VSTART] = 021,  [VSTOP] = 023, [VSUSP] = 032,
		[VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027, [VLNEXT] = 026
	};
	p->termios.c_iflag = ICRNL | IXON;
	p->termios.c_oflag = OPOST | ONLCR;
	p->termios.c_cflag = B38400 | CS8 | CREAD;
	p->termios.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(p->termios.c_cc, cc, sizeof(cc));
}

/* A new pty with its master open (masters = 1) and /dev/pts/N listed; owned by uid. */
static int pty_new(uid_t uid, struct pty **out)
{
	if (!devpts_ready())
		return -ENOMEM;
	struct pty *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->relay_cond, &ca);
	pthread_condattr_destroy(&ca);
	waitqueue_init(&p->wq);
	pty_default_termios(p);
	p->locked = true;
	p->masters = 1;
	p->refs = 1; /* the caller's */
	struct pts_inode *n = pts_inode_new(S_IFCHR | 0620, &pts_ops, &replica_fops);
	if (!n) {
		pty_put(p);
		return -ENOMEM;
	}
	n->vfs.uid = uid;
	n->vfs.gid = TTY_GID;
	n->vfs.nlink = 1;
	pthread_mutex_lock(&devpts_lock);
	int idx = pty_alloc_index_locked();
	if (idx >= 0) {
		p->index = (unsigned int)idx;
		ptys[idx] = p;
		pty_get(p);
		n->pty = p; /* the inode's reference */
		n->vfs.ino = (uint64_t)idx + 3;
		n->vfs.rdev = makedev(PTY_REPLICA_MAJOR + idx / 256, idx % 256);
		p->node = n; /* the table's inode reference */
	}
	pthread_mutex_unlock(&devpts_lock);
	if (idx < 0) {
		inode_put(&n->vfs);
		pty_put(p);
		return idx;
	}
	*out = p;
	return 0;
}

/* The master is gone: /dev/pts/N goes too. */
static void pty_unlist(struct pty *p)
{
	pthread_mutex_lock(&devpts_lock);
	struct pts_inode *n = NULL;
	if (ptys[p->index] == p) {
		ptys[p->index] = NULL;
		n = p->node;
		p->node = NULL;
	}
	pthread_mutex_unlock(&devpts_lock);
	if (n) {
		char name[16];
		snprintf(name, sizeof(name), "%u", p->index);
		vfs_name_gone(devpts_sb->root, name);
		inode_put(&n->vfs);
	}
}

/* ---- signals to the terminal's groups (taken with no pty lock held) ---- */

static void signal_pgrp(int pgid, int sig)
{
	struct guest_siginfo info = { .signo = sig, .code = GUEST_SI_KERNEL };
	if (pgid <= 0)
		return;
	pthread_mutex_lock(&kernel_lock);
	for (struct task *p = kernel_tasks; p; p = p->next_task)
		if (p->tid == p->tgid && p->state == TASK_RUNNING && task_process(p)->pgid == pgid)
			task_group_send_signal_locked(p, sig, &info);
	pthread_mutex_unlock(&kernel_lock);
}

/* Linux's tty_signal_session_leader: a hangup tells the session's leader. */
static void signal_session_leader(int sid)
{
	struct guest_siginfo info = { .code = GUEST_SI_KERNEL };
	if (sid <= 0)
		return;
	pthread_mutex_lock(&kernel_lock);
	struct task *p = pid_lookup_locked(sid);
	if (p && p->tid == p->tgid && p->state == TASK_RUNNING && task_process(p)->sid == sid) {
		info.signo = SIGHUP;
		task_group_send_signal_locked(p, SIGHUP, &info);
		info.signo = SIGCONT;
		task_group_send_signal_locked(p, SIGCONT, &info);
	}
	pthread_mutex_unlock(&kernel_lock);
}

/*
 * Job control on the caller's controlling terminal (Linux's __tty_check_change and
 * job_control): a background group reading gets SIGTTIN, one writing with TOSTOP or changing
 * the settings gets SIGTTOU. 0 to go on, -EIO, or -ERESTARTSYS once the signal is sent.
 */
static int pty_job_control(struct pty *p, struct task *t, int sig)
{
	if (!t)
		return 0;
	pthread_mutex_lock(&kernel_lock);
	pthread_mutex_lock(&p->lock);
	int session = p->session, fg = p->fg_pgrp;
	pthread_mutex_unlock(&p->lock);
	int r = 0, pgid = task_process(t)->pgid;
	if (session == task_process(t)->sid && fg > 0 && fg != pgid) {
		bool ignored = t->sighand->actions[sig - 1].handler == GUEST_SIG_IGN_HANDLER;
		bool blocked = t->sig.blocked & GSIG_BIT(sig);
		if (sig == SIGTTOU && (ignored || blocked))
			r = 0;
		else if (ignored || blocked || task_pgrp_orphaned_locked(pgid))
			r = -EIO;
		else
			r = -ERESTARTSYS;
	}
	pthread_mutex_unlock(&kernel_lock);
	if (r == -ERESTARTSYS)
		signal_pgrp(pgid, sig);
	return r;
}

/* ---- the line discipline (p->lock held) ---- */

#define L(p, f) ((p)->termios.c_lflag & (f))
#define I(p, f) ((p)->termios.c_iflag & (f))
#define O(p, f) ((p)->termios.c_oflag & (f))
#define CC(p, i) ((unsigned char)(p)->termios.c_cc[i])

/* Output processing of one byte to the master's queue; false when it does not fit. */
static bool pty_output_char(struct pty *p, unsigned char c)
{
	if (O(p, OPOST)) {
		if (c == '\n' && O(p, ONLCR)) {
			if (ring_room(&p->out) < 2)
				return false;
			ring_put(&p->out, '\r');
			ring_put(&p->out, '\n');
			return true;
		}
		if (c == '\r' && O(p, OCRNL))
			c = '\n';
	}
	return ring_put(&p->out, (char)c);
}

static bool is_ctl(unsigned char c)
{
	return c < 32 || c == 0177;
}

/* Echoes c as the terminal shows it: ^X for a control byte with ECHOCTL. Echoes that do not
 * fit are dropped, as Linux's. */
static void pty_echo(struct pty *p, unsigned char c)
{
	if (L(p, ECHOCTL) && is_ctl(c) && c != '\t' && c != '\n') {
		pty_output_char(p, '^');
		pty_output_char(p, c ^ 0100);
		return;
	}
	pty_output_char(p, c);
}

static void pty_echo_str(struct pty *p, const char *s)
{
	while (*s)
		pty_output_char(p, (unsigned char)*s++);
}

/* How many columns the echo of c took. */
static int echo_width(struct pty *p, unsigned char c)
{
	return L(p, ECHOCTL) && is_ctl(c) && c != '\t' ? 2 : 1;
}

static void flush_input(struct pty *p)
{
	p->in.head = p->in.len = 0;
	p->line_len = 0;
	p->canon_head = p->canon_n = 0;
	p->lnext = false;
}

/* The pending line becomes readable (ICANON). */
static void commit_line(struct pty *p)
{
	for (size_t i = 0; i < p->line_len; i++)
		ring_put(&p->in, p->line[i]);
	p->canon[(p->canon_head + p->canon_n++) % PTY_CANON_LINES] = p->line_len;
	p->line_len = 0;
}

enum { KILL_ERASE, KILL_WERASE, KILL_LINE };

/* Linux's eraser(). */
static void erase_chars(struct pty *p, unsigned char c, int kind)
{
	if (!p->line_len)
		return;
	if (kind == KILL_LINE) {
		if (!L(p, ECHO)) {
			p->line_len = 0;
			return;
		}
		if (!L(p, ECHOK) || !L(p, ECHOKE) || !L(p, ECHOE)) {
			p->line_len = 0;
			pty_echo(p, c);
			if (L(p, ECHOK))
				pty_output_char(p, '\n');
			return;
		}
	}
	bool seen_alnum = false;
	while (p->line_len) {
		unsigned char ch = (unsigned char)p->line[p->line_len - 1];
		if (kind == KILL_WERASE) {
			bool alnum = (ch >= '0' && ch <= '9') ||
				     ((ch | 040) >= 'a' && (ch | 040) <= 'z') || ch == '_';
			if (alnum)
				seen_alnum = true;
			else if (seen_alnum)
				break;
		}
		p->line_len--;
		if (L(p, ECHO)) {
			if (kind == KILL_ERASE && !L(p, ECHOE)) {
				pty_echo(p, CC(p, VERASE));
			} else {
				for (int w = echo_width(p, ch); w > 0; w--)
					pty_echo_str(p, "\b \b");
			}
		}
		if (kind == KILL_ERASE)
			break;
	}
}

/* Room for one more input byte. */
static bool input_room(struct pty *p)
{
	if (L(p, ICANON))
		return p->canon_n < PTY_CANON_LINES && ring_room(&p->in) > PTY_LINE_MAX;
	return ring_room(&p->in) > 0;
}

/*
 * One byte from the master through input processing. *sig gets a signal to send to the
 * foreground group (after the lock is released).
 */
static void pty_receive_char(struct pty *p, unsigned char c, int *sig)
{
	if (I(p, ISTRIP))
		c &= 0x7f;
	if (p->lnext) {
		p->lnext = false;
		goto literal;
	}
	if (c == '\r') {
		if (I(p, IGNCR))
			return;
		if (I(p, ICRNL))
			c = '\n';
	} else if (c == '\n' && I(p, INLCR)) {
		c = '\r';
	}
	if (L(p, ISIG)) {
		int s = 0;
		if (c == CC(p, VINTR) && c)
			s = SIGINT;
		else if (c == CC(p, VQUIT) && c)
			s = SIGQUIT;
		else if (c == CC(p, VSUSP) && c)
			s = SIGTSTP;
		if (s) {
			if (!L(p, NOFLSH)) {
				flush_input(p);
				p->out.head = p->out.len = 0;
			}
			if (L(p, ECHO))
				pty_echo(p, c);
			*sig = s;
			return;
		}
	}
	if (I(p, IXON) && c && (c == CC(p, VSTART) || c == CC(p, VSTOP)))
		return; /* flow control: output is never held back here */
	if (L(p, IEXTEN) && c && c == CC(p, VLNEXT)) {
		p->lnext = true;
		return;
	}
	if (L(p, ICANON)) {
		if (c && c == CC(p, VERASE)) {
			erase_chars(p, c, KILL_ERASE);
			return;
		}
		if (c && c == CC(p, VKILL)) {
			erase_chars(p, c, KILL_LINE);
			return;
		}
		if (L(p, IEXTEN) && c && c == CC(p, VWERASE)) {
			erase_chars(p, c, KILL_WERASE);
			return;
		}
		if (c && c == CC(p, VEOF)) {
			commit_line(p);
			return;
		}
		if (c == '\n' || (c && (c == CC(p, VEOL) || c == CC(p, VEOL2)))) {
			if (L(p, ECHO) || (c == '\n' && L(p, ECHONL)))
				pty_echo(p, c);
			p->line[p->line_len++] = (char)c;
			commit_line(p);
			return;
		}
	}
literal:
	if (L(p, ICANON)) {
		if (p->line_len >= PTY_LINE_MAX - 1)
			return; /* the line is full: only its end is taken, as Linux's */
		p->line[p->line_len++] = (char)c;
	} else {
		ring_put(&p->in, (char)c);
	}
	if (L(p, ECHO))
		pty_echo(p, c);
}

/* Bytes the replica can read now (ICANON: only complete lines). */
static bool replica_readable(struct pty *p)
{
	return L(p, ICANON) ? p->canon_n > 0 : p->in.len > 0;
}

/* A TCSETS changed ICANON: the pending line or the raw bytes change meaning. */
static void pty_switch_canon(struct pty *p, bool was_canon)
{
	if (was_canon && !L(p, ICANON)) {
		for (size_t i = 0; i < p->line_len; i++)
			ring_put(&p->in, p->line[i]);
		p->line_len = 0;
		p->canon_head = p->canon_n = 0;
	} else if (!was_canon && L(p, ICANON) && p->in.len) {
		p->canon_head = 0;
		p->canon[0] = p->in.len;
		p->canon_n = 1;
	}
}

/* ---- reads and writes, shared by the guest's files and the console relay ---- */

struct pty_wait {
	struct pty *p;
	bool master;
	size_t need; /* bytes of input the reader waits for (raw mode with VMIN) */
};

static bool master_can_read(struct pty *p)
{
	return p->out.len > 0 || (p->replica_opened && p->replicas == 0);
}

static bool master_can_write(struct pty *p)
{
	return input_room(p) || (p->replica_opened && p->replicas == 0);
}

static bool replica_can_read_locked(struct pty *p, size_t need)
{
	if (p->hungup)
		return true;
	if (L(p, ICANON))
		return p->canon_n > 0;
	return p->in.len >= need;
}

static bool pty_cond_read(void *arg)
{
	struct pty_wait *w = arg;
	pthread_mutex_lock(&w->p->lock);
	bool r = w->master ? master_can_read(w->p) : replica_can_read_locked(w->p, w->need);
	pthread_mutex_unlock(&w->p->lock);
	return r;
}

static bool pty_cond_write(void *arg)
{
	struct pty_wait *w = arg;
	pthread_mutex_lock(&w->p->lock);
	bool r = w->master ? master_can_write(w->p) : (ring_room(&w->p->out) >= 2 || w->p->hungup);
	pthread_mutex_unlock(&w->p->lock);
	return r;
}

static int wait_on(struct pty *p, bool (*cond)(void *), struct pty_wait *w,
		   const struct timespec *deadline)
{
	return task_wait_event(current(), &p->wq, cond, w, deadline);
}

/* Feeds bytes from the master into the line discipline while there is room; the count taken. */
static size_t pty_input(struct pty *p, struct iov_iter *it, size_t n)
{
	size_t done = 0;
	while (done < n) {
		int sig = 0;
		pthread_mutex_lock(&p->lock);
		while (done < n && input_room(p) && !sig) {
			unsigned char c;
			if (copy_from_iter(&c, 1, it) != 1)
				break;
			pty_receive_char(p, c, &sig);
			done++;
		}
		int fg = p->fg_pgrp;
		bool full = done < n && !input_room(p);
		pty_wake(p);
		pthread_mutex_unlock(&p->lock);
		if (sig)
			signal_pgrp(fg, sig);
		if (full || !sig)
			break;
	}
	return done;
}

static ssize_t master_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct pty *p = f->priv;
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	if (!it.count)
		return 0;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->out.len) {
			size_t n = ring_pop(&p->out, &it, it.count);
			pty_wake(p);
			pthread_mutex_unlock(&p->lock);
			return (ssize_t)n;
		}
		bool closed = p->replica_opened && p->replicas == 0;
		pthread_mutex_unlock(&p->lock);
		if (closed)
			return -EIO; /* the other side hung up, as Linux's master */
		if (file_flags(f) & O_NONBLOCK)
			return -EAGAIN;
		struct pty_wait w = { p, true, 0 };
		int r = wait_on(p, pty_cond_read, &w, NULL);
		if (r < 0)
			return r;
	}
}

static ssize_t master_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct pty *p = f->priv;
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	size_t total = it.count, done = 0;
	while (done < total) {
		size_t k = pty_input(p, &it, total - done);
		done += k;
		if (done == total || k)
			continue;
		if (file_flags(f) & O_NONBLOCK)
			return done ? (ssize_t)done : -EAGAIN;
		struct pty_wait w = { p, true, 0 };
		int r = wait_on(p, pty_cond_write, &w, NULL);
		if (r < 0)
			return done ? (ssize_t)done : r;
	}
	return (ssize_t)done;
}

static void deadline_after(struct timespec *dl, long ds)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += ds / 10;
	dl->tv_nsec += (ds % 10) * 100000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

/* n_tty_read: one line at most in canonical mode; VMIN/VTIME in raw mode. */
static ssize_t replica_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct pty *p = f->priv;
	int r = pty_job_control(p, current(), SIGTTIN);
	if (r < 0)
		return r;
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	if (!it.count)
		return 0;
	bool timed_out = false, armed = false;
	struct timespec dl;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t vmin = CC(p, VMIN), vtime = CC(p, VTIME);
		size_t want = vmin ? MIN(vmin, it.count) : 1;
		if (L(p, ICANON) && p->canon_n) {
			size_t len = p->canon[p->canon_head];
			size_t n = ring_pop(&p->in, &it, MIN(len, it.count));
			if (n == len) {
				p->canon_head = (p->canon_head + 1) % PTY_CANON_LINES;
				p->canon_n--;
			} else {
				p->canon[p->canon_head] -= n;
			}
			pty_wake(p);
			pthread_mutex_unlock(&p->lock);
			return (ssize_t)n;
		}
		bool nonblock = file_flags(f) & O_NONBLOCK;
		if (!L(p, ICANON) && p->in.len &&
		    (p->in.len >= want || timed_out || nonblock || !vmin)) {
			size_t n = ring_pop(&p->in, &it, it.count);
			pty_wake(p);
			pthread_mutex_unlock(&p->lock);
			return (ssize_t)n;
		}
		bool hungup = p->hungup, raw = !L(p, ICANON);
		size_t have = p->in.len;
		pthread_mutex_unlock(&p->lock);
		if (hungup || (raw && (timed_out || (!vmin && !vtime))))
			return 0;
		if (nonblock)
			return -EAGAIN;
		/* VTIME: from the call with VMIN 0, from the first byte otherwise. */
		if (raw && vtime && !armed && (!vmin || have)) {
			deadline_after(&dl, (long)vtime);
			armed = true;
		}
		struct pty_wait w = { p, false, armed && vmin ? have + 1 : want };
		r = wait_on(p, pty_cond_read, &w, armed ? &dl : NULL);
		if (r == -ETIMEDOUT)
			timed_out = true;
		else if (r < 0)
			return r;
	}
}

static ssize_t replica_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct pty *p = f->priv;
	pthread_mutex_lock(&p->lock);
	bool tostop = L(p, TOSTOP);
	pthread_mutex_unlock(&p->lock);
	if (tostop) {
		int r = pty_job_control(p, current(), SIGTTOU);
		if (r < 0)
			return r;
	}
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	size_t total = it.count, done = 0;
	while (done < total) {
		pthread_mutex_lock(&p->lock);
		if (p->hungup) {
			pthread_mutex_unlock(&p->lock);
			return done ? (ssize_t)done : -EIO;
		}
		size_t k = 0;
		while (done < total && ring_room(&p->out) >= 2) {
			unsigned char c;
			if (copy_from_iter(&c, 1, &it) != 1)
				break;
			pty_output_char(p, c);
			done++;
			k++;
		}
		if (k)
			pty_wake(p);
		pthread_mutex_unlock(&p->lock);
		if (done == total || k)
			continue;
		if (file_flags(f) & O_NONBLOCK)
			return done ? (ssize_t)done : -EAGAIN;
		struct pty_wait w = { p, false, 0 };
		int r = wait_on(p, pty_cond_write, &w, NULL);
		if (r < 0)
			return done ? (ssize_t)done : r;
	}
	return (ssize_t)done;
}

static unsigned int master_poll(struct file *f, struct waitqueue **wq)
{
	struct pty *p = f->priv;
	*wq = &p->wq;
	unsigned int m = 0;
	pthread_mutex_lock(&p->lock);
	if (p->out.len)
		m |= POLLIN | POLLRDNORM;
	if (input_room(p))
		m |= POLLOUT | POLLWRNORM;
	if (p->replica_opened && p->replicas == 0)
		m |= POLLHUP;
	pthread_mutex_unlock(&p->lock);
	return m;
}

static unsigned int replica_poll(struct file *f, struct waitqueue **wq)
{
	struct pty *p = f->priv;
	*wq = &p->wq;
	unsigned int m = 0;
	pthread_mutex_lock(&p->lock);
	if (replica_readable(p))
		m |= POLLIN | POLLRDNORM;
	if (p->hungup)
		m |= POLLIN | POLLRDNORM | POLLHUP;
	else if (ring_room(&p->out) >= 2)
		m |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&p->lock);
	return m;
}

/* ---- controlling terminals ---- */

/* The pty that is sid's controlling terminal, with a reference, or NULL. */
static struct pty *session_pty(int sid, struct pty *except)
{
	struct pty *found = NULL;
	if (sid <= 0)
		return NULL;
	pthread_mutex_lock(&devpts_lock);
	for (int i = 0; i < PTY_MAX && !found; i++) {
		struct pty *p = ptys[i];
		if (!p || p == except)
			continue;
		pthread_mutex_lock(&p->lock);
		if (p->session == sid) {
			found = p;
			pty_get(p);
		}
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_unlock(&devpts_lock);
	return found;
}

static void task_ids(struct task *t, int *sid, int *pgid, int *tgid)
{
	pthread_mutex_lock(&kernel_lock);
	*sid = task_process(t)->sid;
	*pgid = task_process(t)->pgid;
	*tgid = t->tgid;
	pthread_mutex_unlock(&kernel_lock);
}

static bool is_ctty(struct pty *p, struct task *t)
{
	int sid, pgid, tgid;
	task_ids(t, &sid, &pgid, &tgid);
	pthread_mutex_lock(&p->lock);
	bool r = sid > 0 && p->session == sid;
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* A session leader opening a terminal without O_NOCTTY, its session having none, gets it. */
static void maybe_acquire_ctty(struct pty *p, struct task *t)
{
	int sid, pgid, tgid;
	task_ids(t, &sid, &pgid, &tgid);
	if (sid != tgid)
		return;
	struct pty *other = session_pty(sid, NULL);
	if (other) {
		pty_put(other);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (!p->session && !p->hungup) {
		p->session = sid;
		p->fg_pgrp = pgid;
	}
	pthread_mutex_unlock(&p->lock);
}

static void set_ctty(struct pty *p, int sid, int pgid)
{
	struct pty *old;
	while ((old = session_pty(sid, p))) {
		pthread_mutex_lock(&old->lock);
		if (old->session == sid)
			old->session = old->fg_pgrp = 0;
		pthread_mutex_unlock(&old->lock);
		pty_put(old);
	}
	pthread_mutex_lock(&p->lock);
	p->session = sid;
	p->fg_pgrp = pgid;
	pthread_mutex_unlock(&p->lock);
}

/* Linux's tiocsctty. */
static long pty_tiocsctty(struct pty *p, struct task *t, struct file *f, uint64_t arg)
{
	int sid, pgid, tgid;
	task_ids(t, &sid, &pgid, &tgid);
	pthread_mutex_lock(&p->lock);
	int cur = p->session;
	pthread_mutex_unlock(&p->lock);
	if (sid == tgid && cur == sid)
		return 0;
	if (sid != tgid)
		return -EPERM;
	struct pty *other = session_pty(sid, p);
	if (other) {
		pty_put(other);
		return -EPERM;
	}
	bool root = t->creds.euid == 0;
	if (cur && !(arg == 1 && root))
		return -EPERM;
	if (!(f->mode & FMODE_READ) && !root)
		return -EPERM;
	set_ctty(p, sid, pgid);
	return 0;
}

/* Linux's tiocspgrp: the group must be in the caller's session. */
static long pty_tiocspgrp(struct pty *p, struct task *t, uint64_t arg)
{
	int r = pty_job_control(p, t, SIGTTOU);
	if (r == -EIO)
		return -ENOTTY;
	if (r < 0)
		return r;
	if (!is_ctty(p, t))
		return -ENOTTY;
	int pg;
	if (copy_in(t, &pg, arg, sizeof(pg)) < 0)
		return -EFAULT;
	if (pg < 0)
		return -EINVAL;
	pthread_mutex_lock(&kernel_lock);
	r = -ESRCH;
	for (struct task *q = kernel_tasks; q; q = q->next_task) {
		if (q->state == TASK_DEAD || task_process(q)->pgid != pg)
			continue;
		r = task_process(q)->sid == task_process(t)->sid ? 0 : -EPERM;
		break;
	}
	pthread_mutex_unlock(&kernel_lock);
	if (r < 0)
		return r;
	pthread_mutex_lock(&p->lock);
	p->fg_pgrp = pg;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* TIOCNOTTY by the session leader: the session loses its terminal, the foreground group
 * gets SIGHUP and SIGCONT (Linux's disassociate_ctty). */
static long pty_tiocnotty(struct pty *p, struct task *t)
{
	if (!is_ctty(p, t))
		return -ENOTTY;
	int sid, pgid, tgid;
	task_ids(t, &sid, &pgid, &tgid);
	if (sid != tgid)
		return 0;
	pthread_mutex_lock(&p->lock);
	int fg = p->fg_pgrp;
	p->session = p->fg_pgrp = 0;
	pthread_mutex_unlock(&p->lock);
	signal_pgrp(fg, SIGHUP);
	signal_pgrp(fg, SIGCONT);
	return 0;
}

static long put_int(struct task *t, uint64_t arg, int v)
{
	return copy_out(t, arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
}

static long pty_set_winsize(struct pty *p, const struct winsize *ws)
{
	pthread_mutex_lock(&p->lock);
	bool changed = memcmp(&p->ws, ws, sizeof(*ws)) != 0;
	p->ws = *ws;
	int fg = p->fg_pgrp;
	pthread_mutex_unlock(&p->lock);
	if (changed)
		signal_pgrp(fg, SIGWINCH);
	return 0;
}

static long pty_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg, bool master)
{
	struct pty *p = f->priv;
	long r;
	switch (cmd) {
	case TCGETS: {
		pthread_mutex_lock(&p->lock);
		struct kterm k = p->termios; /* the master's requests reach the replica's */
		pthread_mutex_unlock(&p->lock);
		return copy_out(t, arg, &k, sizeof(k)) < 0 ? -EFAULT : 0;
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF: {
		struct kterm k;
		if (copy_in(t, &k, arg, sizeof(k)) < 0)
			return -EFAULT;
		if ((r = pty_job_control(p, t, SIGTTOU)) < 0)
			return r;
		pthread_mutex_lock(&p->lock);
		bool was_canon = L(p, ICANON);
		p->termios = k;
		if (cmd == TCSETSF)
			flush_input(p);
		pty_switch_canon(p, was_canon);
		pty_wake(p);
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	case TIOCGWINSZ: {
		pthread_mutex_lock(&p->lock);
		struct winsize ws = p->ws;
		pthread_mutex_unlock(&p->lock);
		return copy_out(t, arg, &ws, sizeof(ws)) < 0 ? -EFAULT : 0;
	}
	case TIOCSWINSZ: {
		struct winsize ws;
		if (copy_in(t, &ws, arg, sizeof(ws)) < 0)
			return -EFAULT;
		return pty_set_winsize(p, &ws);
	}
	case FIONREAD: {
		pthread_mutex_lock(&p->lock);
		int n = (int)(master ? p->out.len : p->in.len);
		pthread_mutex_unlock(&p->lock);
		return put_int(t, arg, n);
	}
	case TIOCOUTQ:
		return put_int(t, arg, 0); /* written bytes are queued at the other side at once */
	case TCFLSH:
		if (arg > TCIOFLUSH)
			return -EINVAL;
		if (!master && (r = pty_job_control(p, t, SIGTTOU)) < 0)
			return r;
		pthread_mutex_lock(&p->lock);
		if (arg == TCIFLUSH || arg == TCIOFLUSH) {
			if (master)
				p->out.head = p->out.len = 0;
			else
				flush_input(p);
		}
		if (arg == TCOFLUSH || arg == TCIOFLUSH) {
			if (master)
				flush_input(p);
			else
				p->out.head = p->out.len = 0;
		}
		pty_wake(p);
		pthread_mutex_unlock(&p->lock);
		return 0;
	case TCSBRK:
	case TCSBRKP:
	case TCXONC:
		return 0; /* nothing is held back: drained, breaks and flow control are moot */
	case TIOCGPTN:
		return master ? put_int(t, arg, (int)p->index) : -ENOTTY;
	case TIOCSPTLCK: {
		int v;
		if (!master)
			return -ENOTTY;
		if (copy_in(t, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		pthread_mutex_lock(&p->lock);
		p->locked = v != 0;
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	case TIOCGPTLCK:
		if (!master)
			return -ENOTTY;
		pthread_mutex_lock(&p->lock);
		r = p->locked;
		pthread_mutex_unlock(&p->lock);
		return put_int(t, arg, (int)r);
	case TIOCGPGRP:
		if (!master && !is_ctty(p, t))
			return -ENOTTY;
		pthread_mutex_lock(&p->lock);
		r = p->fg_pgrp;
		pthread_mutex_unlock(&p->lock);
		return put_int(t, arg, (int)r);
	case TIOCSPGRP:
		return pty_tiocspgrp(p, t, arg);
	case TIOCGSID:
		if (!master && !is_ctty(p, t))
			return -ENOTTY;
		pthread_mutex_lock(&p->lock);
		r = p->session;
		pthread_mutex_unlock(&p->lock);
		return r ? put_int(t, arg, (int)r) : -ENOTTY;
	case TIOCSCTTY:
		return pty_tiocsctty(p, t, f, arg);
	case TIOCNOTTY:
		return pty_tiocnotty(p, t);
	case TIOCGETD:
		return put_int(t, arg, 0); /* N_TTY */
	case TIOCSETD: {
		int v;
		if (copy_in(t, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		return v == 0 ? 0 : -EINVAL;
	}
	default:
		return -ENOTTY;
	}
}

static long master_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
	return pty_ioctl(f, t, cmd, arg, true);
}

static long replica_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
	return pty_ioctl(f, t, cmd, arg, false);
}

/* A master goes; the last one hangs the replica up (Linux's pty_close and tty_vhangup). */
static void pty_master_close(struct pty *p)
{
	pthread_mutex_lock(&p->lock);
	bool last = --p->masters == 0;
	int sid = 0;
	if (last) {
		p->hungup = true;
		sid = p->session;
		p->session = p->fg_pgrp = 0;
	}
	pty_wake(p);
	pthread_mutex_unlock(&p->lock);
	if (last) {
		pty_unlist(p);
		signal_session_leader(sid);
	}
}

static void master_release(struct file *f)
{
	struct pty *p = f->priv;
	if (!p)
		return;
	pty_master_close(p);
	pty_put(p);
}

static void replica_release(struct file *f)
{
	struct pty *p = f->priv;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (--p->replicas == 0)
		p->session = p->fg_pgrp = 0; /* the final close: no session keeps it */
	pty_wake(p);
	pthread_mutex_unlock(&p->lock);
	pty_put(p);
}

static int replica_attach(struct pty *p, struct file *f)
{
	pthread_mutex_lock(&p->lock);
	if (p->locked || p->hungup) {
		pthread_mutex_unlock(&p->lock);
		return -EIO;
	}
	p->replicas++;
	p->replica_opened = true;
	pthread_mutex_unlock(&p->lock);
	pty_get(p);
	f->priv = p;
	f->ops = &replica_fops;
	f->mode |= FMODE_STREAM;
	return 0;
}

static int pts_open(struct dentry *d, struct file *f)
{
	struct pty *p = ((struct pts_inode *)d->inode)->pty;
	int r = replica_attach(p, f);
	if (r == 0 && current() && !(file_flags(f) & O_NOCTTY))
		maybe_acquire_ctty(p, current());
	return r;
}

static int ptmx_open(struct dentry *d, struct file *f)
{
	struct pty *p;
	struct task *t = current();
	int r = pty_new(t ? t->creds.fsuid : 0, &p);
	if (r < 0)
		return r;
	f->priv = p;
	return 0;
}

int devpts_open_ctty(struct file *f)
{
	struct task *t = current();
	if (!t)
		return -ENXIO;
	int sid, pgid, tgid;
	task_ids(t, &sid, &pgid, &tgid);
	struct pty *p = session_pty(sid, NULL);
	if (!p)
		return -ENXIO;
	int r = replica_attach(p, f);
	pty_put(p);
	return r;
}

int devpts_set_ctty_locked(struct file *f, struct task *t)
{
	if (f->ops != &replica_fops)
		return -ENOTTY;
	set_ctty(f->priv, task_process(t)->sid, task_process(t)->pgid);
	return 0;
}

static const struct file_ops master_fops = {
	.read = master_read,
	.write = master_write,
	.ioctl = master_ioctl,
	.poll = master_poll,
	.release = master_release,
};

static const struct file_ops replica_fops = {
	.read = replica_read,
	.write = replica_write,
	.ioctl = replica_ioctl,
	.poll = replica_poll,
	.release = replica_release,
};

static const struct inode_ops ptmx_ops = { .open = ptmx_open };
static const struct inode_ops pts_ops = { .open = pts_open };

/* ---- the directory ---- */

static int devpts_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	if (!strcmp(name, "ptmx")) {
		inode_get(&ptmx_node->vfs);
		*out = &ptmx_node->vfs;
		return 0;
	}
	char *end;
	if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
		return -ENOENT;
	unsigned long idx = strtoul(name, &end, 10);
	if (*end || idx > UINT32_MAX)
		return -ENOENT;
	struct inode *found = NULL;
	pthread_mutex_lock(&devpts_lock);
	if (idx < PTY_MAX && ptys[idx] && ptys[idx]->node)
		found = &ptys[idx]->node->vfs;
	for (int i = 0; i < nhost_names && !found; i++)
		if (host_names[i].index == idx)
			found = host_names[i].inode;
	if (found)
		inode_get(found);
	pthread_mutex_unlock(&devpts_lock);
	if (!found)
		return -ENOENT;
	*out = found;
	return 0;
}

struct pts_name {
	unsigned int index;
	uint64_t ino;
};

static int pts_name_cmp(const void *a, const void *b)
{
	unsigned int x = ((const struct pts_name *)a)->index,
		     y = ((const struct pts_name *)b)->index;
	return x < y ? -1 : x > y;
}

/* Entry positions: 2 is ptmx, 3 + N is /dev/pts/N. */
static int devpts_iterate(struct file *f, struct dir_context *ctx)
{
	if (ctx->pos <= 2) {
		ctx->pos = 2;
		if (!dir_emit(ctx, "ptmx", 4, 2, DT_CHR))
			return 0;
		ctx->pos = 3;
	}
	struct pts_name names[PTY_MAX + PTY_HOST_NAMES];
	int n = 0;
	pthread_mutex_lock(&devpts_lock);
	for (int i = 0; i < PTY_MAX; i++)
		if (ptys[i] && ptys[i]->node)
			names[n++] = (struct pts_name){ (unsigned int)i, ptys[i]->node->vfs.ino };
	for (int i = 0; i < nhost_names; i++)
		names[n++] = (struct pts_name){ host_names[i].index, host_names[i].inode->ino };
	pthread_mutex_unlock(&devpts_lock);
	qsort(names, (size_t)n, sizeof(names[0]), pts_name_cmp);
	for (int i = 0; i < n; i++) {
		int64_t pos = 3 + (int64_t)names[i].index;
		if (pos < ctx->pos)
			continue;
		char name[16];
		int len = snprintf(name, sizeof(name), "%u", names[i].index);
		ctx->pos = pos;
		if (!dir_emit(ctx, name, (size_t)len, names[i].ino, DT_CHR))
			return 0;
		ctx->pos = pos + 1;
	}
	return 0;
}

static const struct inode_ops devpts_dir_ops = { .lookup = devpts_lookup };
static const struct file_ops devpts_dir_fops = { .iterate = devpts_iterate };

/* ---- the console relay ---- */

#define CONSOLE_POLL_MS 150 /* how often the host terminal's window size is looked at */
#define CONSOLE_CHUNK 4096

/*
 * A pty joined to a host terminal, by two threads. It ends once the guest has closed every
 * replica and its output is written: the host terminal is closed then, so that runsc's side
 * sees the end (runsc exec --tty), and the last thread frees it.
 */
struct console {
	struct pty *p; /* a reference; the relay is the pty's master */
	int fd;	       /* the host terminal (the replica of runsc's pty, in raw mode) */
	int threads;   /* atomic: running relay threads */
	bool done;     /* p->lock: the guest is gone and its output written */
	struct console *next;
};

/* Guards consoles; taken before a pty's lock. */
static pthread_mutex_t consoles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct console *consoles;

/* The guest has closed the terminal for good (p->lock held). */
static bool console_finished(struct pty *p)
{
	return p->replica_opened && p->replicas == 0 && !p->out.len;
}

static void console_thread_exit(struct console *c)
{
	if (__atomic_sub_fetch(&c->threads, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_lock(&consoles_lock);
	for (struct console **pp = &consoles; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&consoles_lock);
	close(c->fd);
	pty_master_close(c->p);
	pty_put(c->p);
	free(c);
}

/* Host terminal → the pty's input. Follows the window size; ends when the host side hangs
 * up, which hangs up the pty. */
static void *console_in_main(void *arg)
{
	struct console *c = arg;
	struct pty *p = c->p;
	struct winsize last = { 0 };
	char buf[CONSOLE_CHUNK];
	for (;;) {
		struct winsize ws;
		pthread_mutex_lock(&p->lock);
		bool finished = c->done;
		pthread_mutex_unlock(&p->lock);
		if (finished)
			break;
		if (ioctl(c->fd, TIOCGWINSZ, &ws) == 0 && memcmp(&ws, &last, sizeof(ws))) {
			last = ws;
			pty_set_winsize(p, &ws);
		}
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int r = poll(&pfd, 1, CONSOLE_POLL_MS);
		if (r <= 0)
			continue;
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* EIO: nobody holds the host master any more */
		struct iovec iov = { buf, (size_t)n };
		struct iov_iter it;
		iov_iter_init(&it, &iov, 1);
		size_t done = 0;
		while (done < (size_t)n) {
			size_t k = pty_input(p, &it, (size_t)n - done);
			done += k;
			if (k)
				continue;
			pthread_mutex_lock(&p->lock);
			bool gone = p->replica_opened && p->replicas == 0;
			if (!gone && !input_room(p)) {
				struct timespec dl;
				clock_gettime(CLOCK_MONOTONIC, &dl);
				dl.tv_sec++;
				pthread_cond_timedwait(&p->relay_cond, &p->lock, &dl);
			}
			pthread_mutex_unlock(&p->lock);
			if (gone)
				break; /* nobody reads the terminal: the rest is dropped */
		}
	}
	/* The host side hung up: so does the pty (SIGHUP to the session leader). */
	pthread_mutex_lock(&p->lock);
	bool hangup = !c->done;
	c->done = true;
	pty_wake(p);
	pthread_mutex_unlock(&p->lock);
	if (hangup)
		pty_master_close(p);
	console_thread_exit(c);
	return NULL;
}

/* The pty's output → the host terminal. Once the host side is gone, output is dropped so
 * that guest writers do not block. */
static void *console_out_main(void *arg)
{
	struct console *c = arg;
	struct pty *p = c->p;
	char buf[CONSOLE_CHUNK];
	bool gone = false;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->out.len && !console_finished(p) && !c->done)
			pthread_cond_wait(&p->relay_cond, &p->lock);
		if (!p->out.len) {
			c->done = true;
			pty_wake(p);
			pthread_mutex_unlock(&p->lock);
			break;
		}
		struct iovec iov = { buf, sizeof(buf) };
		struct iov_iter it;
		iov_iter_init(&it, &iov, 1);
		size_t n = ring_pop(&p->out, &it, sizeof(buf));
		p->relay_busy = true;
		pty_wake(p);
		pthread_mutex_unlock(&p->lock);
		for (size_t off = 0; off < n && !gone;) {
			ssize_t w = write(c->fd, buf + off, n - off);
			if (w > 0) {
				off += (size_t)w;
			} else if (w < 0 && errno == EAGAIN) {
				struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
				poll(&pfd, 1, CONSOLE_POLL_MS);
			} else if (!(w < 0 && errno == EINTR)) {
				gone = true;
			}
		}
		pthread_mutex_lock(&p->lock);
		p->relay_busy = false;
		pty_wake(p);
		pthread_mutex_unlock(&p->lock);
	}
	console_thread_exit(c);
	return NULL;
}

int devpts_attach_console(int host_fd, uid_t uid, struct file **replica_out)
{
	struct console *c = calloc(1, sizeof(*c));
	struct pty *p;
	int r = c ? pty_new(uid, &p) : -ENOMEM;
	if (r < 0) {
		free(c);
		return r;
	}
	p->locked = false;
	char name[32];
	snprintf(name, sizeof(name), "/dev/pts/%u", p->index);
	/* The guest's path for it, on the internal mount: /proc/self/fd/0 reads /dev/pts/N, and
	 * a stat there finds the same inode, so ttyname() works. */
	inode_get(&p->node->vfs);
	struct dentry *d = dentry_new_anon(devpts_sb, name, &p->node->vfs);
	struct file *f = NULL;
	r = d ? vfs_dentry_open(devpts_internal, d, O_RDWR | O_NOCTTY, &f) : -ENOMEM;
	if (d)
		dentry_put(d);
	if (r < 0) {
		pty_master_close(p);
		pty_put(p);
		free(c);
		return r;
	}
	c->p = p;
	c->fd = host_fd;
	struct winsize ws;
	if (ioctl(host_fd, TIOCGWINSZ, &ws) == 0)
		p->ws = ws;
	/* The threads take no signals: they are for task threads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t in, out;
	c->threads = 2;
	pthread_mutex_lock(&consoles_lock);
	c->next = consoles;
	consoles = c;
	pthread_mutex_unlock(&consoles_lock);
	r = pthread_create(&out, NULL, console_out_main, c);
	if (r != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		c->threads = 1;
		console_thread_exit(c);
		file_put(f);
		return -r;
	}
	pthread_detach(out);
	/* Without an input thread the console still shows the output. */
	if (pthread_create(&in, NULL, console_in_main, c) == 0)
		pthread_detach(in);
	else
		console_thread_exit(c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*replica_out = f;
	return 0;
}

void devpts_console_drain(int timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&consoles_lock);
	for (struct console *c = consoles; c; c = c->next) {
		struct pty *p = c->p;
		pthread_mutex_lock(&p->lock);
		while ((p->out.len || p->relay_busy) && !c->done)
			if (pthread_cond_timedwait(&p->relay_cond, &p->lock, &dl) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_unlock(&consoles_lock);
}
