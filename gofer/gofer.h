/*
 * The gofer process: the only one that opens the container's root filesystem. It answers
 * the sentry's requests (gofer/proto.h) and donates opened fds with SCM_RIGHTS.
 */
#ifndef CVISOR_GOFER_GOFER_H
#define CVISOR_GOFER_GOFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bind mount's source that the gofer serves besides the rootfs (export 1, 2, ... in the
 * order given; export 0 is the rootfs). path is a host path, a directory or a file.
 */
struct gofer_export {
	const char *path;
	bool readonly;	/* writes get EROFS (the mount is also made read-only on the host side) */
	bool recursive; /* rbind: the host mounts below path are served too */
};

/*
 * What runsc calls in the forked gofer process. Names the process runsc-gofer, resets
 * inherited signal handlers to the default (as exec would), keeps only sock, stderr and the
 * debug log open (stdin and stdout become /dev/null), enters a new mount namespace, opens
 * each export as a detached bind mount (open_tree; read-only ones with MOUNT_ATTR_RDONLY),
 * chroots into root, keeps only the capabilities that file serving needs (CAP_CHOWN,
 * CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID: the sentry
 * checks permissions, the gofer acts for every guest user), installs a seccomp allow-list
 * of the syscalls the server makes (anything else kills the process; the environment
 * variable CVISOR_GOFER_SECCOMP=log or =trap makes a violation logged or SIGSYS instead),
 * then serves. The rootfs is served read-only: the sentry's overlay keeps the guest's writes
 * in memory, so the gofer never needs to change it. Needs to start as root, or with
 * CAP_SYS_ADMIN and CAP_SYS_CHROOT in its user namespace. Returns the process's exit code:
 * 0 when the sentry closed the connection, 1 otherwise (the reason is on stderr).
 */
int gofer_main(int sock, const char *root, const struct gofer_export *exports, size_t nexports);

/* One root a connection serves: an O_PATH fd (a directory or a regular file). */
struct gofer_root {
	int fd;
	bool readonly; /* every change below it gets -EROFS */
};

/*
 * Serves one connection (SOCK_SEQPACKET or SOCK_STREAM) on the files under root_fd (export 0,
 * writable) until the peer closes it (returns 0), a request is malformed (-EBADMSG: bad framing or length,
 * unknown type, bad name, unknown fid) or the socket fails (-errno). Then it shuts sock down,
 * so the peer sees the end; sock and root_fd stay the caller's. Sets the umask to 0: modes
 * arrive with the guest's umask already applied.
 *
 * Re-opening a file for I/O goes through /proc/self/fd of the file's own O_PATH fd, which
 * reaches that very inode without walking a path again; gofer_serve opens /proc/self/fd
 * itself, so it suits a caller that has not chrooted. gofer_serve_proc takes a
 * /proc/self/fd directory fd opened before a chroot; the server only ever looks up the
 * decimal numbers of its own fds in it.
 *
 * Policy beyond Linux's own errnos: only regular files can be opened (-EISDIR for a
 * directory, -ELOOP for a symlink, -ENXIO for a socket, -EPERM for FIFOs and devices, which
 * the sentry implements itself); create always creates (O_EXCL), so owners are only ever
 * set on new files; mknod makes regular files, FIFOs and sockets, devices get -EPERM.
 *
 * Confinement: an export's fd lies outside the chroot, but nothing above an export's root
 * can be reached from it: every walk is one name (never "..", never with a '/'), opened
 * with O_NOFOLLOW, so neither a name nor a symlink leads out.
 */
int gofer_serve(int sock, int root_fd);
/* The same for several roots (attach names one by its index), with a /proc/self/fd fd. */
int gofer_serve_proc(int sock, const struct gofer_root *roots, uint32_t nroots, int proc_fd);

#endif
