/* Unix-domain sockets (AF_UNIX): stream, seqpacket and datagram, named in the file system or in
 * the sandbox-wide abstract namespace. */
#ifndef CVISOR_FS_SOCKET_UNIX_H
#define CVISOR_FS_SOCKET_UNIX_H

struct socket;

/* socket(AF_UNIX, type, protocol): SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM (SOCK_RAW is made a
 * datagram socket, as Linux does); -ESOCKTNOSUPPORT, -EPROTONOSUPPORT. */
int unix_create(int type, int protocol, struct socket **out);
/* socketpair(AF_UNIX ...): two connected sockets, each with the caller as its SO_PEERCRED. */
int unix_create_pair(int type, int protocol, struct socket **a, struct socket **b);

#endif
