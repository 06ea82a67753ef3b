/* Guest test: stat, fstat, lstat, fstatat and statx on files, directories and symlinks it makes:
 * only the fields that do not depend on the host (type, mode, size, nlink). */
#include <fcntl.h>
#include <sys/stat.h>

#include "guest.h"

static const char *type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISCHR(m))
		return "chardev";
	return "other";
}

static void print_stat(const char *name, int ret, const struct stat *st)
{
	if (ret != 0) {
		printf("%s: %s\n", name, errname(errno));
		return;
	}
	printf("%s: type=%s mode=%04o nlink=%lu", name, type_name(st->st_mode),
	       (unsigned int)(st->st_mode & 07777), (unsigned long)st->st_nlink);
	/* A directory's size depends on the filesystem. */
	if (!S_ISDIR(st->st_mode))
		printf(" size=%lld", (long long)st->st_size);
	printf("\n");
}

int main(void)
{
	struct stat st, st2;
	struct statx stx;
	int fd, dirfd;

	guest_init();
	umask(022);
	scratch_init("stat");

	fd = open("file", O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd < 0 || write(fd, "twelve bytes", 12) != 12)
		die("writing file");
	print_stat("fstat_file", fstat(fd, &st), &st);
	close(fd);
	print_stat("stat_file", stat("file", &st), &st);
	fd = open("file", O_RDONLY);
	report_bool("fstat_matches_stat",
		    fstat(fd, &st2) == 0 && st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
	close(fd);
	report("chmod", chmod("file", 0604));
	print_stat("stat_after_chmod", stat("file", &st), &st);

	fd = open("umasked", O_WRONLY | O_CREAT, 0777);
	print_stat("stat_umasked_create", fstat(fd, &st), &st);
	close(fd);

	if (mkdir("dir", 0750) != 0 || mkdir("dir/sub", 0700) != 0)
		die("mkdir");
	print_stat("stat_dir", stat("dir", &st), &st);
	print_stat("stat_dir_with_subdir_nlink", stat("dir/sub", &st), &st);

	if (symlink("file", "link") != 0)
		die("symlink");
	print_stat("lstat_symlink", lstat("link", &st), &st);
	print_stat("stat_through_symlink", stat("link", &st), &st);
	if (link("file", "hard") != 0)
		die("link");
	print_stat("stat_after_link", stat("file", &st), &st);

	dirfd = open("dir", O_RDONLY | O_DIRECTORY);
	print_stat("fstatat_relative", fstatat(dirfd, "sub", &st, 0), &st);
	print_stat("fstatat_empty_path", fstatat(dirfd, "", &st, AT_EMPTY_PATH), &st);
	print_stat("fstatat_nofollow", fstatat(AT_FDCWD, "link", &st, AT_SYMLINK_NOFOLLOW), &st);
	print_stat("fstatat_missing", fstatat(dirfd, "missing", &st, 0), &st);
	close(dirfd);

	if (statx(AT_FDCWD, "file", 0, STATX_BASIC_STATS, &stx) != 0) {
		printf("statx: %s\n", errname(errno));
	} else {
		printf("statx: type=%s mode=%04o nlink=%u size=%llu basic_stats=%s\n",
		       type_name(stx.stx_mode), stx.stx_mode & 07777, stx.stx_nlink,
		       (unsigned long long)stx.stx_size,
		       (stx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no");
	}
	report_bool("statx_matches_stat", stat("file", &st) == 0 && stx.stx_ino == st.st_ino &&
						  stx.stx_size == (unsigned long long)st.st_size);
	print_stat("stat_missing", stat("missing", &st), &st);
	print_stat("stat_dev_null", stat("/dev/null", &st), &st);
	scratch_done();
	return 0;
}
