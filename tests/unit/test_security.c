/*
 * The security pieces that need no sandbox: linux.seccomp compiled by runsc and evaluated as the
 * sentry does, process.capabilities as bits, and how setuid and execve change capability sets.
 */
#include <check.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "runsc-cli/bundle.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/seccomp.h"
#include "syscalls/syscalls.h"

#define CONFIG_WITH(linux_members, process_members)                                                   \
	"{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0," \
	"\"gid\":0}" process_members "},\"root\":{\"path\":\"rootfs\"},\"linux\":{" linux_members     \
	"}}"

static struct bundle *parse(const char *text)
{
	struct cli_error *err = NULL;
	struct bundle *b = NULL;

	if (bundle_parse("/bundle", text, &b, &err) < 0)
		ck_abort_msg("refused: %s", err->msg);
	return b;
}

static long nr(const char *name)
{
	for (unsigned i = 0; i < syscall_table_native.count; i++)
		if (syscall_table_native.entries[i].name &&
		    !strcmp(syscall_table_native.entries[i].name, name))
			return i;
	ck_abort_msg("no syscall %s", name);
	return -1;
}

static uint32_t action(const struct bundle *b, const char *name, uint64_t a0, uint64_t a1)
{
	uint64_t a[6] = { a0, a1, 0, 0, 0, 0 };

	return seccomp_profile_action(b->seccomp, nr(name), a);
}

START_TEST(seccomp_actions_and_conditions)
{
	struct bundle *b = parse(CONFIG_WITH(
		"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
		"\"syscalls\":["
		"{\"names\":[\"read\",\"no_such_call\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		"{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
		"{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		"{\"index\":0,\"value\":2114060288,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
		"{\"names\":[\"mmap\"],\"action\":\"SCMP_ACT_TRAP\",\"args\":["
		"{\"index\":0,\"value\":4096,\"op\":\"SCMP_CMP_LT\"},"
		"{\"index\":1,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_GE\"}]},"
		"{\"names\":[\"write\"],\"action\":\"SCMP_ACT_KILL_PROCESS\",\"args\":["
		"{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_GT\"}]},"
		"{\"names\":[\"write\"],\"action\":\"SCMP_ACT_LOG\"},"
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\"},"
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
		""));

	ck_assert_ptr_nonnull(b->seccomp);
	ck_assert_uint_eq(action(b, "read", 0, 0), SECCOMP_RET_ALLOW);
	ck_assert_uint_eq(action(b, "open", 0, 0), SECCOMP_RET_ERRNO | 38);
	/* One argument compared twice: each comparison is a rule of its own (OR). */
	ck_assert_uint_eq(action(b, "kill", 1, 0), SECCOMP_RET_ALLOW);
	ck_assert_uint_eq(action(b, "kill", 1, 9), SECCOMP_RET_ALLOW);
	ck_assert_uint_eq(action(b, "kill", 1, 15), SECCOMP_RET_ERRNO | 38);
	ck_assert_uint_eq(action(b, "clone", 0x11, 0), SECCOMP_RET_ALLOW);
	ck_assert_uint_eq(action(b, "clone", 0x10000000, 0), SECCOMP_RET_ERRNO | 38);
	/* Different arguments in one entry: all must hold (AND), compared as 64-bit unsigned. */
	ck_assert_uint_eq(action(b, "mmap", 0, UINT64_MAX), SECCOMP_RET_TRAP);
	ck_assert_uint_eq(action(b, "mmap", 0, UINT64_MAX - 1), SECCOMP_RET_ERRNO | 38);
	ck_assert_uint_eq(action(b, "mmap", 1ULL << 32, UINT64_MAX), SECCOMP_RET_ERRNO | 38);
	/* The unconditional rule overrides the conditional one. */
	ck_assert_uint_eq(action(b, "write", 5, 0), SECCOMP_RET_LOG);
	/* ERRNO without errnoRet is EPERM; the one equal to the default is dropped. */
	ck_assert_uint_eq(action(b, "getpid", 0, 0), SECCOMP_RET_ERRNO | EPERM);
	ck_assert_uint_eq(action(b, "getppid", 0, 0), SECCOMP_RET_ERRNO | 38);
	ck_assert_uint_eq(seccomp_profile_action(b->seccomp, 100000, (uint64_t[6]){ 0 }),
			  SECCOMP_RET_ERRNO | 38);
	bundle_free(b);
}
END_TEST

START_TEST(no_seccomp_section)
{
	struct bundle *b = parse(CONFIG_WITH("\"namespaces\":[]", ""));

	ck_assert_ptr_null(b->seccomp);
	ck_assert(!b->process.has_capabilities);
	bundle_free(b);
}
END_TEST

START_TEST(capability_sets)
{
	struct bundle *b = parse(CONFIG_WITH(
		"\"namespaces\":[]", ",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],"
				     "\"effective\":[\"CAP_KILL\"],\"ambient\":[]},"
				     "\"noNewPrivileges\":true"));

	ck_assert(b->process.has_capabilities);
	ck_assert_uint_eq(b->process.cap_bounding, (1ULL << CAP_CHOWN) | (1ULL << CAP_KILL));
	ck_assert_uint_eq(b->process.cap_effective, 1ULL << CAP_KILL);
	ck_assert_uint_eq(b->process.cap_permitted, 0);
	ck_assert(b->process.no_new_privileges);
	bundle_free(b);
}
END_TEST

START_TEST(creds_transitions)
{
	struct creds c = { 0 }, old;

	creds_init_caps(&c);
	ck_assert_uint_eq(c.cap_effective, CRED_CAP_FULL);
	/* Root's execve: permitted = bounding | inheritable, all effective. */
	c.cap_bset = CRED_CAP(CAP_KILL) | CRED_CAP(CAP_CHOWN);
	creds_exec(&c);
	ck_assert_uint_eq(c.cap_permitted, c.cap_bset);
	ck_assert_uint_eq(c.cap_effective, c.cap_bset);
	/* fsuid away from 0 drops CAP_CHOWN, not CAP_KILL; back to 0 restores it. */
	old = c;
	c.fsuid = 1000;
	creds_fix_setfsuid(&c, &old);
	ck_assert_uint_eq(c.cap_effective, CRED_CAP(CAP_KILL));
	old = c;
	c.fsuid = 0;
	creds_fix_setfsuid(&c, &old);
	ck_assert_uint_eq(c.cap_effective, c.cap_bset);
	/* Every uid away from 0: nothing left, unless SECBIT_KEEP_CAPS keeps the permitted set. */
	old = c;
	c.uid = c.euid = c.suid = c.fsuid = 1000;
	c.securebits = CRED_SECBIT_KEEP_CAPS;
	creds_fix_setuid(&c, &old);
	ck_assert_uint_eq(c.cap_effective, 0);
	ck_assert_uint_eq(c.cap_permitted, c.cap_bset);
	/* A non-root execve keeps only the ambient set. */
	c.cap_inheritable = c.cap_ambient = CRED_CAP(CAP_KILL);
	creds_exec(&c);
	ck_assert_uint_eq(c.cap_permitted, CRED_CAP(CAP_KILL));
	ck_assert_uint_eq(c.cap_effective, CRED_CAP(CAP_KILL));
}
END_TEST

static Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("security");

	tcase_add_test(tc, seccomp_actions_and_conditions);
	tcase_add_test(tc, no_seccomp_section);
	tcase_add_test(tc, capability_sets);
	tcase_add_test(tc, creds_transitions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(security_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
