/*
 * devpts: the sandbox's own pseudo-terminals. /dev/pts/ptmx (and /dev/ptmx, a link to it) opens
 * a new master, /dev/pts/N its replica; the line discipline (termios, echo, line editing, job
 * control signals) runs in the sentry. A console relay joins one pair to a host terminal.
 */
#ifndef CVISOR_FS_DEVPTS_H
#define CVISOR_FS_DEVPTS_H

#include <stdbool.h>
#include <sys/types.h>

struct file;
struct fs_context;
struct inode;
struct task;

#define DEVPTS_SUPER_MAGIC 0x1cd1
#define PTY_REPLICA_MAJOR 136 /* /dev/pts/N is (136 + N / 256, N % 256) */

/* Mounts the sandbox's devpts (one instance: every pty is in it) on path. 0 or -errno. For
 * the sandbox's /dev/pts and a bundle's "devpts" mount. */
int devpts_mount(struct fs_context *fs, const char *path);

/* /dev/tty: binds f to the replica of the caller's controlling terminal, or -ENXIO when its
 * session has none among the sandbox's ptys. */
int devpts_open_ctty(struct file *f);

/* Names a host terminal /dev/pts/INDEX (sentry/fs/host: runsc's own terminal), so that
 * ttyname() finds it; the sandbox's ptys take other numbers. */
void devpts_name_host_tty(unsigned int index, struct inode *tty);

/*
 * The console: a new pty whose master is joined to the host terminal host_fd (the replica of a
 * pty runsc made, put in raw mode: only the sentry's line discipline acts) by relay threads
 * that copy bytes both ways and follow the host terminal's window size (the new size goes to
 * the pty, SIGWINCH to its foreground group). When the host side hangs up, the pty does (SIGHUP
 * to the session leader). *replica_out: the replica opened read-write, owned by uid. Takes
 * host_fd. 0 or -errno.
 */
int devpts_attach_console(int host_fd, uid_t uid, struct file **replica_out);

/* Makes the terminal behind f (a devpts replica) the controlling terminal of t's session with
 * t's process group in the foreground, as a session leader's open without O_NOCTTY would.
 * kernel_lock held (t's ids are read under it). */
int devpts_set_ctty_locked(struct file *f, struct task *t);

/* Waits (at most timeout_ms) until every console has written what the guest wrote: before
 * the sentry exits. A console ends (its host terminal closed) once the guest has closed every
 * replica and its output is written. */
void devpts_console_drain(int timeout_ms);

#endif
