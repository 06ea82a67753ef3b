/*
 * Guest test: capabilities and no_new_privs — capget/capset, prctl's capability calls, what
 * setuid and execve do to the sets, /proc/self/status, and EPERM once a capability is gone.
 * Run as root; the sets themselves differ between hosts, so it prints relations between them.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "guest.h"

#define BIT(c) (1ULL << (c))

struct sets {
	unsigned long long eff, prm, inh;
};

static int capget_self(struct sets *s)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	s->eff = d[0].effective | (unsigned long long)d[1].effective << 32;
	s->prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
	s->inh = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
	return 0;
}

static int capset_self(const struct sets *s)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)s->eff, (uint32_t)s->prm, (uint32_t)s->inh },
		{ (uint32_t)(s->eff >> 32), (uint32_t)(s->prm >> 32), (uint32_t)(s->inh >> 32) },
	};

	return syscall(SYS_capset, &h, d);
}

/* A /proc/self/status line's hex value ("CapEff"), or ~0 if it is missing. */
static unsigned long long status_hex(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return v;
}

/* Runs fn in a child and waits for it, so that what it changes stays there. */
static void in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		fn();
		exit(0);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("child: status %#x\n", st);
}

static const char *self_exe;

/* Exec'd as "caps show": what execve left of the sets. */
static void show_after_exec(void)
{
	struct sets s;

	if (capget_self(&s) < 0)
		die("capget: %s", strerror(errno));
	printf("exec: uid %d euid %d\n", (int)getuid(), (int)geteuid());
	report_bool("exec: eff_is_prm", s.eff == s.prm);
	report_bool("exec: eff_has_chown", s.eff & BIT(CAP_CHOWN));
	report_bool("exec: eff_has_kill", s.eff & BIT(CAP_KILL));
	printf("exec: CapAmb %016llx CapInh %016llx\n", status_hex("CapAmb"), status_hex("CapInh"));
	report_bool("exec: prm_is_bnd_or_amb",
		    s.prm == (getuid() == 0 ? status_hex("CapBnd") | s.inh : status_hex("CapAmb")));
}

static void exec_show(void)
{
	execl(self_exe, self_exe, "show", (char *)NULL);
	die("execl: %s", strerror(errno));
}

static void capget_checks(void)
{
	struct __user_cap_header_struct h = { 0, 0 };
	struct __user_cap_data_struct d[2];
	struct sets s;

	/* Asking with no data: the preferred version comes back, no error. */
	report("capget_version_query", syscall(SYS_capget, &h, NULL));
	printf("capget_preferred_version: %#x\n", h.version);
	h.version = 0x12345678;
	report_err("capget_bad_version", syscall(SYS_capget, &h, d));
	printf("capget_bad_version_rewritten: %#x\n", h.version);
	h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, -1 };
	report_err("capget_negative_pid", syscall(SYS_capget, &h, d));
	h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, 999999 };
	report_err("capget_missing_pid", syscall(SYS_capget, &h, d));
	h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, 1 << 30 };
	report_err("capset_other_pid", syscall(SYS_capset, &h, d));
	report_err("capget_bad_data",
		   syscall(SYS_capget,
			   &(struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, 0 },
			   (void *)8));

	report("capget_self", capget_self(&s));
	report_bool("root_eff_is_prm", s.eff == s.prm);
	report_bool("root_eff_has_chown", s.eff & BIT(CAP_CHOWN));
	report_bool("root_inh_empty", s.inh == 0);
	report_bool("status_CapEff_matches", status_hex("CapEff") == s.eff);
	report_bool("status_CapPrm_matches", status_hex("CapPrm") == s.prm);
	report_bool("status_CapInh_matches", status_hex("CapInh") == s.inh);
	printf("status_CapAmb: %016llx\n", status_hex("CapAmb"));

	unsigned long long bnd = 0;
	for (int c = 0; c <= 40; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			bnd |= BIT(c);
	report_bool("capbset_read_matches_CapBnd", bnd == status_hex("CapBnd"));
	report_long("capbset_read_chown", prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0));
	report_err("capbset_read_past_last", prctl(PR_CAPBSET_READ, 64, 0, 0, 0));
	report_err("capbset_read_negative", prctl(PR_CAPBSET_READ, -1L, 0, 0, 0));
}

/* capset's rules: no new permitted bits, effective within permitted. */
static void capset_rules(void)
{
	struct sets s, t;

	capget_self(&s);
	t = s;
	t.eff &= ~BIT(CAP_CHOWN);
	report("capset_drop_eff_chown", capset_self(&t));
	capget_self(&t);
	report_bool("eff_chown_gone", !(t.eff & BIT(CAP_CHOWN)));
	report_bool("prm_chown_kept", t.prm & BIT(CAP_CHOWN));
	t.eff |= BIT(CAP_CHOWN);
	report("capset_raise_eff_again", capset_self(&t));
	t.prm &= ~BIT(CAP_CHOWN);
	report_err("capset_eff_outside_prm", capset_self(&t));
	t.eff &= ~BIT(CAP_CHOWN);
	report("capset_drop_prm_chown", capset_self(&t));
	t.prm |= BIT(CAP_CHOWN);
	report_err("capset_raise_prm_back", capset_self(&t));
	/* Version 1 carries only the low 32 bits: the high ones are dropped. */
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_1, 0 };
	struct __user_cap_data_struct d = { (uint32_t)s.eff & ~BIT(CAP_CHOWN),
					    (uint32_t)s.prm & ~BIT(CAP_CHOWN), 0 };
	report("capset_v1", syscall(SYS_capset, &h, &d));
	capget_self(&t);
	report_bool("v1_high_bits_dropped", (t.prm >> 32) == 0);
}

/* Without CAP_CHOWN, giving a file away fails; without CAP_FOWNER, chmod of another's file. */
static void chown_without_cap(void)
{
	struct sets s;
	const char *f = "/tmp/caps-test-file";

	unlink(f);
	close(open(f, O_CREAT | O_WRONLY, 0644));
	report("chown_with_cap", chown(f, 1, 1));
	report("chown_back", chown(f, 0, 0));
	capget_self(&s);
	s.eff &= ~BIT(CAP_CHOWN);
	capset_self(&s);
	report_err("chown_without_cap", chown(f, 1, 1));
	report("chown_same_owner_without_cap", chown(f, 0, -1));
	s.eff |= BIT(CAP_CHOWN);
	capset_self(&s);
	report("chown_to_1", chown(f, 1, 1));
	s.eff &= ~BIT(CAP_FOWNER);
	capset_self(&s);
	report_err("chmod_others_file_without_fowner", chmod(f, 0600));
	unlink(f);
}

/* Signalling a process of another user takes CAP_KILL. */
static void kill_without_cap(void)
{
	struct sets s;
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		if (setresuid(1000, 1000, 1000) < 0)
			_exit(1);
		write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	read(p[0], &c, 1);
	report("kill_other_user_with_cap", kill(pid, 0));
	capget_self(&s);
	s.eff &= ~BIT(CAP_KILL);
	capset_self(&s);
	report_err("kill_other_user_without_cap", kill(pid, 0));
	s.eff |= BIT(CAP_KILL);
	capset_self(&s);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void bounding_drop(void)
{
	report("capbset_drop_chown", prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0));
	report_long("capbset_read_chown_after", prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0));
	report_err("capbset_drop_bad", prctl(PR_CAPBSET_DROP, 99, 0, 0, 0));
	/* Root's execve: permitted = bounding | inheritable, so CAP_CHOWN is gone. */
	exec_show();
}

static void setuid_effects(void)
{
	struct sets s;

	report("seteuid_1000", setresuid(-1, 1000, -1));
	capget_self(&s);
	report_bool("euid_1000_eff_empty", s.eff == 0);
	report_bool("euid_1000_prm_kept", s.prm & BIT(CAP_SETUID));
	printf("euid_1000_status_CapEff: %016llx\n", status_hex("CapEff"));
	report("seteuid_0", setresuid(-1, 0, -1));
	capget_self(&s);
	report_bool("euid_0_eff_is_prm", s.eff == s.prm);

	/* setfsuid away from 0 drops the filesystem capabilities only. */
	report_long("setfsuid_1000_old", syscall(SYS_setfsuid, 1000));
	capget_self(&s);
	report_bool("fsuid_1000_no_chown", !(s.eff & BIT(CAP_CHOWN)));
	report_bool("fsuid_1000_no_dac_override", !(s.eff & BIT(CAP_DAC_OVERRIDE)));
	report_bool("fsuid_1000_kill_kept", s.eff & BIT(CAP_KILL));
	report_long("setfsuid_0_old", syscall(SYS_setfsuid, 0));
	capget_self(&s);
	report_bool("fsuid_0_chown_back", s.eff & BIT(CAP_CHOWN));

	report_long("keepcaps_default", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	report("keepcaps_set", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	report_err("keepcaps_bad", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
	report_long("keepcaps_now", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	report("setresuid_1000_keepcaps", setresuid(1000, 1000, 1000));
	capget_self(&s);
	report_bool("keepcaps_prm_kept", s.prm & BIT(CAP_SETUID));
	report_bool("keepcaps_eff_empty", s.eff == 0);
	report_err("setresuid_0_now", setresuid(0, 0, 0));
}

static void setuid_drops_all(void)
{
	struct sets s;

	report("setresuid_1000", setresuid(1000, 1000, 1000));
	capget_self(&s);
	report_bool("uid_1000_all_empty", s.eff == 0 && s.prm == 0);
	printf("uid_1000_status: %016llx %016llx\n", status_hex("CapPrm"), status_hex("CapEff"));
	report_err("uid_1000_setuid_0", setuid(0));
	report_err("uid_1000_capbset_drop", prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0));
	exec_show();
}

/* Ambient capabilities survive a non-root execve; they need permitted and inheritable. */
static void ambient(void)
{
	struct sets s;

	report_long("ambient_is_set",
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
	report_err("ambient_raise_not_inheritable",
		   prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
	capget_self(&s);
	s.inh = BIT(CAP_CHOWN);
	report("capset_inheritable_chown", capset_self(&s));
	report("ambient_raise", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
	report_long("ambient_is_set_now",
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
	printf("ambient_status_CapAmb: %016llx\n", status_hex("CapAmb"));
	report_err("ambient_bad_op", prctl(PR_CAP_AMBIENT, 99, CAP_CHOWN, 0, 0));
	report_err("ambient_bad_cap", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 99, 0, 0));
	report_err("ambient_clear_extra_arg",
		   prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	report("setresuid_1000", setresuid(1000, 1000, 1000));
	report_long("ambient_cleared_by_setuid",
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
	report("ambient_raise_again", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
	exec_show();
}

static void no_new_privs(void)
{
	report_long("nnp_before", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("nnp_status_before: %llu\n", status_hex("NoNewPrivs"));
	report_err("nnp_set_bad", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
	report_err("nnp_get_bad", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
	report("nnp_set", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	report_long("nnp_after", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("nnp_status_after: %llu\n", status_hex("NoNewPrivs"));
	report_long("get_seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	printf("status_Seccomp: %llu\n", status_hex("Seccomp"));
	pid_t pid = fork();
	if (pid == 0) {
		printf("nnp_in_child: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	guest_init();
	self_exe = argv[0];
	if (argc > 1 && !strcmp(argv[1], "show")) {
		show_after_exec();
		return 0;
	}
	if (geteuid() != 0) {
		printf("# not root: nothing to compare\n");
		return 0;
	}
	capget_checks();
	in_child(capset_rules);
	in_child(chown_without_cap);
	in_child(kill_without_cap);
	in_child(bounding_drop);
	in_child(setuid_effects);
	in_child(setuid_drops_all);
	in_child(ambient);
	in_child(no_new_privs);
	return 0;
}
