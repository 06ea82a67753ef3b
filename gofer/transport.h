/*
 * Whole gofer messages over a Unix socket, each with at most one fd (SCM_RIGHTS).
 * SOCK_SEQPACKET (one message per record; what runsc should use) and SOCK_STREAM both work.
 */
#ifndef CVISOR_GOFER_TRANSPORT_H
#define CVISOR_GOFER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether sock is a stream socket (framed by the header's size) or a record socket. */
int gofer_sock_is_stream(int sock, bool *stream);

/* Sends buf[0..len) with fd attached (-1: none), retrying on EINTR; never raises SIGPIPE. */
int gofer_send_msg(int sock, bool stream, const uint8_t *buf, size_t len, int fd);

/*
 * Receives one message into buf (cap >= GOFER_MSG_MAX). Returns its length, 0 when the peer
 * closed between messages, -EBADMSG on a framing violation (size out of bounds, a truncated
 * record, EOF inside a message, more than one fd or other control data), or -errno.
 * *fd gets the fd that came with the message (close-on-exec), or -1.
 */
ssize_t gofer_recv_msg(int sock, bool stream, uint8_t *buf, size_t cap, int *fd);

#endif
