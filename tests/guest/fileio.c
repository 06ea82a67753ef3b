/* Guest test: file I/O — open, read, write, pread/pwrite, readv/writev, lseek, dup*, fcntl,
 * O_APPEND, O_NONBLOCK and ftruncate on a file in a scratch directory. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "guest.h"

static void print_bytes(const char *name, const char *buf, long n)
{
	if (n < 0) {
		printf("%s: %s\n", name, errname(errno));
		return;
	}
	printf("%s: %ld \"", name, n);
	for (long i = 0; i < n; i++)
		putchar(buf[i] ? buf[i] : '0');
	printf("\"\n");
}

static void read_write(void)
{
	char buf[64];
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);

	report("open_creat", fd);
	report_long("write", write(fd, "hello world", 11));
	report_long("lseek_cur", lseek(fd, 0, SEEK_CUR));
	report_long("lseek_set", lseek(fd, 6, SEEK_SET));
	print_bytes("read_after_seek", buf, read(fd, buf, sizeof(buf)));
	print_bytes("read_at_eof", buf, read(fd, buf, sizeof(buf)));
	report_long("lseek_end", lseek(fd, -5, SEEK_END));
	report_long("lseek_past_end", lseek(fd, 20, SEEK_SET));
	report_err("lseek_negative", lseek(fd, -1, SEEK_SET));

	report_long("pwrite", pwrite(fd, "HELLO", 5, 0));
	print_bytes("pread", buf, pread(fd, buf, 8, 2));
	report_long("offset_after_pread", lseek(fd, 0, SEEK_CUR));
	close(fd);
}

static void vectored(void)
{
	char a[4], b[8];
	struct iovec out[] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
	struct iovec in[] = { { a, sizeof(a) }, { b, sizeof(b) } };
	int fd = open("v", O_RDWR | O_CREAT | O_TRUNC, 0644);

	report_long("writev", writev(fd, out, 3));
	lseek(fd, 0, SEEK_SET);
	long n = readv(fd, in, 2);
	report_long("readv", n);
	print_bytes("readv_first", a, sizeof(a));
	print_bytes("readv_second", b, n - (long)sizeof(a));
	close(fd);
}

static void dups(void)
{
	char buf[8];
	int fd = open("f", O_RDONLY);
	int d = dup(fd);

	report_bool("dup_new_fd", d > fd);
	lseek(fd, 3, SEEK_SET);
	report_long("dup_shares_offset", lseek(d, 0, SEEK_CUR));
	report_long("dup2_to_100", dup2(fd, 100));
	print_bytes("read_via_dup2", buf, read(100, buf, 4));
	report_long("dup2_same_fd", dup2(fd, fd));
	report_err("dup3_same_fd", dup3(fd, fd, 0));
	report_long("dup3_cloexec", dup3(fd, 101, O_CLOEXEC));
	report_long("dup3_fd_flags", fcntl(101, F_GETFD));
	report_long("dup2_fd_flags", fcntl(100, F_GETFD));
	report_err("dup_bad_fd", dup(9999));
	close(d);
	close(100);
	close(101);
	close(fd);
}

static void fcntls(void)
{
	int fd = open("f", O_RDONLY);

	report_long("getfd_default", fcntl(fd, F_GETFD));
	report("setfd_cloexec", fcntl(fd, F_SETFD, FD_CLOEXEC));
	report_long("getfd_cloexec", fcntl(fd, F_GETFD));
	report_bool("getfl_nonblock_off", !(fcntl(fd, F_GETFL) & O_NONBLOCK));
	report("setfl_nonblock", fcntl(fd, F_SETFL, O_NONBLOCK));
	report_bool("getfl_nonblock_on", fcntl(fd, F_GETFL) & O_NONBLOCK);
	report_long("getfl_accmode", fcntl(fd, F_GETFL) & O_ACCMODE);
	report_bool("dupfd_min_10", fcntl(fd, F_DUPFD, 10) >= 10);
	report_long("dupfd_cloexec_flags", fcntl(fcntl(fd, F_DUPFD_CLOEXEC, 20), F_GETFD));
	close(fd);

	fd = open("f", O_RDONLY | O_CLOEXEC);
	report_long("open_cloexec_flags", fcntl(fd, F_GETFD));
	close(fd);
}

static void append_and_truncate(void)
{
	char buf[32];
	struct stat st;
	int fd = open("a", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);

	write(fd, "one", 3);
	lseek(fd, 0, SEEK_SET);
	write(fd, "two", 3);
	report_long("append_offset", lseek(fd, 0, SEEK_CUR));
	close(fd);
	fd = open("a", O_RDWR);
	print_bytes("append_content", buf, read(fd, buf, sizeof(buf)));

	report("ftruncate_grow", ftruncate(fd, 10));
	fstat(fd, &st);
	report_long("size_after_grow", st.st_size);
	print_bytes("grown_content", buf, pread(fd, buf, sizeof(buf), 0));
	report("ftruncate_shrink", ftruncate(fd, 2));
	fstat(fd, &st);
	report_long("size_after_shrink", st.st_size);
	report_err("ftruncate_negative", ftruncate(fd, -1));
	close(fd);

	fd = open("a", O_RDONLY);
	report_err("write_readonly_fd", write(fd, "x", 1));
	report_err("ftruncate_readonly_fd", ftruncate(fd, 0));
	close(fd);
	fd = open("a", O_WRONLY);
	report_err("read_writeonly_fd", read(fd, buf, 1));
	close(fd);
	fd = open("a", O_RDWR | O_TRUNC);
	fstat(fd, &st);
	report_long("size_after_o_trunc", st.st_size);
	close(fd);
}

int main(void)
{
	guest_init();
	scratch_init("fileio");
	read_write();
	vectored();
	dups();
	fcntls();
	append_and_truncate();
	scratch_done();
	return 0;
}
