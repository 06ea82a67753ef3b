/* Guest test: small system calls — uname, getrandom, prlimit64, umask, getcwd, ids. */
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "guest.h"

int main(void)
{
	struct utsname u;
	struct rlimit old, lim;
	unsigned char bytes[64] = { 0 };
	char cwd[4096];
	mode_t prev;
	int nonzero = 0;

	guest_init();
	report("uname", uname(&u));
	printf("uname_sysname: %s\n", u.sysname);
	report_bool("uname_release_set", u.release[0] != 0);
	report_bool("uname_machine_set", u.machine[0] != 0);

	report_long("getrandom", getrandom(bytes, sizeof(bytes), 0));
	for (size_t i = 0; i < sizeof(bytes); i++)
		nonzero += bytes[i] != 0;
	report_bool("getrandom_filled", nonzero > 32);
	report_long("getrandom_nonblock", getrandom(bytes, 16, GRND_NONBLOCK));
	report_err("getrandom_bad_flags", getrandom(bytes, 16, 0x1000));

	report("prlimit64_get_nofile", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old));
	report_bool("nofile_soft_le_hard", old.rlim_cur <= old.rlim_max);
	lim = (struct rlimit){ 64, old.rlim_max };
	report("prlimit64_set_nofile", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &lim, NULL));
	getrlimit(RLIMIT_NOFILE, &lim);
	report_long("nofile_after_set", (long)lim.rlim_cur);
	report_err("open_fd_over_limit", dup2(0, 100));
	lim = (struct rlimit){ old.rlim_max, old.rlim_max };
	report("raise_soft_to_hard", setrlimit(RLIMIT_NOFILE, &lim));
	lim = (struct rlimit){ 10, 5 };
	report_err("soft_above_hard", setrlimit(RLIMIT_NOFILE, &lim));
	setrlimit(RLIMIT_NOFILE, &old);

	umask(022);
	prev = umask(027);
	printf("umask_previous: %03o\n", prev);
	printf("umask_round_trip: %03o\n", umask(prev));

	report("chdir_root", chdir("/"));
	printf("getcwd_root: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	report("chdir_usr_bin", chdir("/usr/bin"));
	printf("getcwd_usr_bin: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	report_err("getcwd_small_buffer", getcwd(cwd, 3) ? 0 : -1);

	report_bool("uid_matches_euid", getuid() == geteuid());
	report_bool("gid_matches_egid", getgid() == getegid());
	report_bool("getpgid_self", getpgid(0) == getpgrp());
	return 0;
}
