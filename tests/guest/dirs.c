/* Guest test: directories and names — mkdir, getdents64, rmdir, chdir/fchdir/getcwd, rename,
 * unlink, symlink/readlink and link, in a scratch directory. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "guest.h"

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char type_char(unsigned char t)
{
	switch (t) {
	case DT_REG:
		return 'f';
	case DT_DIR:
		return 'd';
	case DT_LNK:
		return 'l';
	default:
		return '?';
	}
}

/* Prints "name: entries" of a directory read with raw getdents64, sorted, with their types. */
static void list_dir(const char *name, const char *path)
{
	char buf[256], *names[64];
	int fd = open(path, O_RDONLY | O_DIRECTORY), n = 0;
	long len;

	if (fd < 0) {
		printf("%s: %s\n", name, errname(errno));
		return;
	}
	/* A small buffer, so that a listing takes more than one call. */
	while ((len = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < len && n < 64;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);

			if (asprintf(&names[n], "%s/%c", d->d_name, type_char(d->d_type)) < 0)
				die("asprintf");
			n++;
			off += d->d_reclen;
		}
	}
	if (len < 0)
		printf("%s: getdents64 %s\n", name, errname(errno));
	close(fd);
	qsort(names, n, sizeof(names[0]), cmp_str);
	printf("%s:", name);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

/* getcwd, with the scratch directory's random name replaced by SCRATCH. */
static void print_cwd(const char *name)
{
	char cwd[4096];
	size_t len = strlen(scratch_path);

	if (!getcwd(cwd, sizeof(cwd)))
		printf("%s: %s\n", name, errname(errno));
	else if (strncmp(cwd, scratch_path, len) == 0)
		printf("%s: SCRATCH%s\n", name, cwd + len);
	else
		printf("%s: %s\n", name, cwd);
}

int main(void)
{
	char buf[256];
	long n;
	int fd;

	guest_init();
	scratch_init("dirs");

	report("mkdir", mkdir("d", 0755));
	report_err("mkdir_exists", mkdir("d", 0755));
	report_err("mkdir_missing_parent", mkdir("nope/d", 0755));
	report("mkdir_sub", mkdir("d/sub", 0755));
	for (int i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "d/file-with-a-long-name-%02d", i);
		fd = open(buf, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			die("creating %s", buf);
		close(fd);
	}
	report("symlink", symlink("sub", "d/link"));
	list_dir("listing", "d");
	list_dir("listing_empty", "d/sub");

	print_cwd("getcwd_start");
	report("chdir", chdir("d/sub"));
	print_cwd("getcwd_after_chdir");
	report("chdir_dotdot", chdir(".."));
	print_cwd("getcwd_after_dotdot");
	fd = open("sub", O_RDONLY | O_DIRECTORY);
	report("fchdir", fchdir(fd));
	close(fd);
	print_cwd("getcwd_after_fchdir");
	report("chdir_through_symlink", chdir("../link"));
	print_cwd("getcwd_after_symlink");
	report_err("chdir_to_file", chdir("../file-with-a-long-name-00"));
	report_err("chdir_missing", chdir("missing"));
	report("chdir_back", chdir(scratch_path));

	n = readlink("d/link", buf, sizeof(buf));
	printf("readlink: %.*s\n", n < 0 ? 0 : (int)n, buf);
	report_err("readlink_not_symlink", readlink("d/sub", buf, sizeof(buf)));
	n = readlink("d/link", buf, 2);
	report_long("readlink_truncated", n);

	report("rename_file", rename("d/file-with-a-long-name-00", "d/renamed"));
	report("rename_over_file", rename("d/file-with-a-long-name-01", "d/renamed"));
	report("rename_dir", rename("d/sub", "subdir"));
	report_err("rename_dir_over_file", rename("subdir", "d/renamed"));
	report_err("rename_into_itself", rename("d", "d/x"));
	report_err("rename_missing", rename("missing", "x"));

	report("link", link("d/renamed", "hardlink"));
	report_err("link_exists", link("d/renamed", "hardlink"));
	report_err("link_dir", link("subdir", "dirlink"));
	report("unlink", unlink("hardlink"));
	report_err("unlink_missing", unlink("hardlink"));
	report_err("unlink_dir", unlink("subdir"));
	report("unlink_symlink", unlink("d/link"));

	report_err("rmdir_not_empty", rmdir("d"));
	report_err("rmdir_file", rmdir("d/renamed"));
	report("rmdir", rmdir("subdir"));
	report_err("rmdir_missing", rmdir("subdir"));
	report_err("rmdir_dot", rmdir("d/."));
	list_dir("listing_after", "d");
	list_dir("listing_scratch", ".");
	scratch_done();
	return 0;
}
