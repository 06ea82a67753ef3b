/* Guest test: exact errnos of failing syscalls; the program must keep running after each.
 * Raw syscall() is used where libc would check the arguments itself. */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "guest.h"

int main(void)
{
	static char long_name[5000];
	char buf[16];
	int p[2], fd;
	void *unmapped;

	guest_init();
	scratch_init("errno");

	/* An address that is certainly unmapped: map a page, then unmap it. */
	unmapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (unmapped == MAP_FAILED || munmap(unmapped, 4096) != 0)
		die("mmap");
	if (pipe(p) != 0)
		die("pipe");

	report_err("write_unmapped_buffer", syscall(SYS_write, p[1], unmapped, 10));
	report_err("write_null_buffer", syscall(SYS_write, p[1], NULL, 10));
	report_long("write_zero_bytes_null", syscall(SYS_write, p[1], NULL, 0));
	if (write(p[1], "x", 1) != 1)
		die("write");
	report_err("read_into_unmapped", syscall(SYS_read, p[0], unmapped, 1));
	report_err("open_unmapped_path", syscall(SYS_openat, AT_FDCWD, unmapped, O_RDONLY));
	report_err("unknown_syscall_10000", syscall(10000));
	report_err("unknown_syscall_negative", syscall(-1L));
	report_err("open_missing", open("missing", O_RDONLY));
	report_err("open_missing_dir_component", open("missing/x", O_RDONLY));
	report_err("open_empty_path", open("", O_RDONLY));

	fd = open("file", O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		die("open");
	close(fd);
	report_err("open_creat_excl_exists", open("file", O_WRONLY | O_CREAT | O_EXCL, 0644));
	report_err("open_file_as_directory", open("file", O_RDONLY | O_DIRECTORY));
	report_err("open_path_through_file", open("file/x", O_RDONLY));
	report_err("open_directory_for_write", open(".", O_WRONLY));

	fd = open(".", O_RDONLY);
	report_err("read_directory", read(fd, buf, sizeof(buf)));
	close(fd);
	report_err("close_9999", close(9999));
	report_err("close_negative", close(-1));
	report_err("read_bad_fd", read(9999, buf, 1));
	report_err("fstat_bad_fd", syscall(SYS_fstat, 9999, buf));
	report_err("lseek_pipe", lseek(p[0], 0, SEEK_SET));
	report_err("kill_bad_signal", kill(getpid(), 12345));
	report_err("kill_missing_pid", kill(999999, 0));
	report_err("mmap_bad_fd", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 9999, 0));
	report_err("mmap_zero_length",
		   (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	report_err("munmap_unaligned", munmap((char *)unmapped + 1, 4096));
	report_err("mkdir_exists", mkdir(".", 0755));
	report_err("rmdir_not_empty", rmdir(scratch_path));
	report_err("unlink_directory", unlink(scratch_path));
	report_err("chdir_file", chdir("file"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	report_err("name_too_long", open(long_name, O_RDONLY));
	report_err("fcntl_bad_cmd", fcntl(p[0], 99999));
	report_err("dup2_bad_target", dup2(p[0], -1));
	printf("still_running: yes\n");
	scratch_done();
	return 0;
}
