/* Guest test: pipes — pipe2 flags, data across fork, EOF when the writers are gone, SIGPIPE and
 * EPIPE when the readers are gone, O_NONBLOCK's EAGAIN on both ends. */
#include <fcntl.h>
#include <signal.h>

#include "guest.h"

static void across_fork(void)
{
	char buf[64];
	int p[2];
	long n, total = 0;
	pid_t pid;

	if (pipe2(p, 0) != 0)
		die("pipe2");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (int i = 0; i < 100; i++)
			if (write(p[1], "0123456789", 10) != 10)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		total += n;
	report_long("bytes_from_child", total);
	report_long("read_at_eof", n);
	printf("child: %s\n", wait_str(pid));
	close(p[0]);
}

static void eof_only_when_all_writers_close(void)
{
	char c;
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		/* Holds a copy of the write end for a while, then writes one byte. */
		close(p[0]);
		usleep(100 * 1000);
		_exit(write(p[1], "z", 1) == 1 ? 0 : 1);
	}
	close(p[1]);
	report_long("read_waits_for_other_writer", read(p[0], &c, 1));
	report_long("read_eof_after_writer_exit", read(p[0], &c, 1));
	printf("writer: %s\n", wait_str(pid));
	close(p[0]);
}

static void no_readers(void)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		die("pipe");
	close(p[0]);
	pid = fork();
	if (pid == 0) {
		write(p[1], "x", 1);
		_exit(0); /* not reached: SIGPIPE kills */
	}
	printf("writer_without_reader: %s\n", wait_str(pid));

	signal(SIGPIPE, SIG_IGN);
	report_err("write_without_reader_ignored", write(p[1], "x", 1));
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

static void nonblocking(void)
{
	static char big[4096];
	char c;
	int p[2];
	long n, total = 0;

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
		die("pipe2");
	report_bool("pipe2_nonblock_read_end", fcntl(p[0], F_GETFL) & O_NONBLOCK);
	report_bool("pipe2_nonblock_write_end", fcntl(p[1], F_GETFL) & O_NONBLOCK);
	report_long("pipe2_cloexec", fcntl(p[0], F_GETFD));
	report_long("pipe_accmode_read_end", fcntl(p[0], F_GETFL) & O_ACCMODE);
	report_long("pipe_accmode_write_end", fcntl(p[1], F_GETFL) & O_ACCMODE);
	report_err("read_empty_nonblocking", read(p[0], &c, 1));
	while ((n = write(p[1], big, sizeof(big))) > 0 && total < (1L << 24))
		total += n;
	report_err("write_full_nonblocking", n);
	report_bool("pipe_holds_4k_at_least", total >= 4096);
	report_long("read_full_pipe", read(p[0], big, sizeof(big)));
	report_err("write_to_read_end", write(p[0], "x", 1));
	report_err("read_from_write_end", read(p[1], &c, 1));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	guest_init();
	across_fork();
	eof_only_when_all_writers_close();
	no_readers();
	nonblocking();
	return 0;
}
