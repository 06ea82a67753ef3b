/*
 * linux.seccomp of config.json: checked field by field and compiled into the table the sentry
 * evaluates on every guest syscall (sentry/kernel/seccomp.h). What the profile means follows
 * runc over libseccomp: names the native table does not know are ignored, a rule with the
 * default action is dropped, an entry comparing one argument twice becomes one rule per
 * comparison, an unconditional rule for a syscall overrides its conditional ones (the first
 * unconditional one counts), and a conditional rule with the conditions of an earlier one but
 * another action is refused. Among overlapping conditional rules the first that matches
 * decides (the runtime spec's order); libseccomp's tree may order those otherwise.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/bundle_json.h"
#include "sentry/kernel/seccomp.h"
#include "syscalls/syscalls.h"

#define BAD(...) cli_error(err, 1, "config.json: " __VA_ARGS__)

static const struct {
	const char *name;
	uint32_t action;  /* SECCOMP_RET_*; 0 with notify set: refused */
	bool takes_errno; /* errnoRet is its data */
	bool notify;
} actions[] = {
	{ "SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD, false, false },
	{ "SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD, false, false },
	{ "SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS, false, false },
	{ "SCMP_ACT_TRAP", SECCOMP_RET_TRAP, false, false },
	{ "SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO, true, false },
	{ "SCMP_ACT_TRACE", SECCOMP_RET_TRACE, true, false },
	{ "SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW, false, false },
	{ "SCMP_ACT_LOG", SECCOMP_RET_LOG, false, false },
	{ "SCMP_ACT_NOTIFY", 0, false, true },
};

static const struct {
	const char *name;
	enum seccomp_op op;
} ops[] = {
	{ "SCMP_CMP_NE", SECCOMP_OP_NE },
	{ "SCMP_CMP_LT", SECCOMP_OP_LT },
	{ "SCMP_CMP_LE", SECCOMP_OP_LE },
	{ "SCMP_CMP_EQ", SECCOMP_OP_EQ },
	{ "SCMP_CMP_GE", SECCOMP_OP_GE },
	{ "SCMP_CMP_GT", SECCOMP_OP_GT },
	{ "SCMP_CMP_MASKED_EQ", SECCOMP_OP_MASKED_EQ },
};

/* libseccomp's architecture names; the rules apply to the native one, which is always in. */
static const char *const arch_names[] = {
	"SCMP_ARCH_NATIVE",	 "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",
	"SCMP_ARCH_ARM",	 "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",	    "SCMP_ARCH_MIPS64",
	"SCMP_ARCH_MIPS64N32",	 "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
	"SCMP_ARCH_PPC",	 "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",
	"SCMP_ARCH_S390X",	 "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
	"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",	    "SCMP_ARCH_SHEB",
};

/* The filter flags runc knows; they change how a host filter is loaded, nothing here. */
static const char *const flag_names[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

/* A rule on its way into the table: for syscall nr, in config order. */
struct pending_rule {
	uint32_t nr;
	struct seccomp_rule rule;
};

struct compiler {
	struct pending_rule *rules;
	size_t n, cap;
};

static bool known(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return true;
	return false;
}

/* The action named by obj's member key (with errnoRet from errno_key) into *out. */
static int parse_action(json_object *obj, const char *path, const char *key, const char *errno_key,
			uint32_t *out, struct cli_error **err)
{
	uint64_t errno_ret = UINT64_MAX;
	const char *name;
	size_t k;

	if (member_string(obj, path, key, true, &name, err) < 0 ||
	    member_uint(obj, path, errno_key, false, SECCOMP_RET_DATA, &errno_ret, err) < 0)
		return -1;
	for (k = 0; k < ARRAY_SIZE(actions); k++)
		if (!strcmp(name, actions[k].name))
			break;
	if (k == ARRAY_SIZE(actions))
		return BAD("%s.%s: unknown action \"%s\"", path, key, name);
	if (actions[k].notify)
		return BAD("%s.%s: %s is not supported (no seccomp agent can be reached from the "
			   "sandbox)",
			   path, key, name);
	if (errno_ret != UINT64_MAX && !actions[k].takes_errno)
		return BAD("%s.%s is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s", path,
			   errno_key, name);
	*out = actions[k].action;
	/* Without errnoRet, ERRNO is EPERM, as runc makes it. */
	if (actions[k].action == SECCOMP_RET_ERRNO)
		*out |= errno_ret != UINT64_MAX ? errno_ret : EPERM;
	return 0;
}

static int parse_strings(json_object *obj, const char *path, const char *key,
			 const char *const *names, size_t n, const char *what,
			 struct cli_error **err)
{
	cleanup_free const char **v = NULL;

	if (member_strv(obj, path, key, false, false, &v, err) < 0)
		return -1;
	for (size_t i = 0; v && v[i]; i++)
		if (!known(names, n, v[i]))
			return BAD("%s.%s[%zu]: unknown %s \"%s\"", path, key, i, what, v[i]);
	return 0;
}

static bool same_cmp(const struct seccomp_cmp *a, const struct seccomp_cmp *b)
{
	return a->index == b->index && a->op == b->op && a->value == b->value &&
	       a->value_two == b->value_two;
}

static bool same_conditions(const struct seccomp_rule *a, const struct seccomp_rule *b)
{
	if (a->ncmp != b->ncmp)
		return false;
	for (int i = 0; i < a->ncmp; i++) {
		int k;

		for (k = 0; k < b->ncmp; k++)
			if (same_cmp(&a->cmp[i], &b->cmp[k]))
				break;
		if (k == b->ncmp)
			return false;
	}
	return true;
}

/* Adds r for syscall nr (named name, from entry path); libseccomp refuses, and so runc, a
 * conditional rule whose conditions an earlier rule has with another action. */
static int add_rule(struct compiler *c, uint32_t nr, const struct seccomp_rule *r, const char *path,
		    const char *name, struct cli_error **err)
{
	for (size_t i = 0; r->ncmp && i < c->n; i++)
		if (c->rules[i].nr == nr && c->rules[i].rule.action != r->action &&
		    same_conditions(&c->rules[i].rule, r))
			return BAD("%s: %s has the same conditions as an earlier rule with another "
				   "action",
				   path, name);
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct pending_rule *p = realloc(c->rules, cap * sizeof(*p));

		if (!p)
			return cli_error(err, 1, "out of memory");
		c->rules = p;
		c->cap = cap;
	}
	c->rules[c->n].nr = nr;
	c->rules[c->n].rule = *r;
	c->n++;
	return 0;
}

static int parse_args(json_object *entry, const char *path, struct seccomp_rule *r,
		      struct cli_error **err)
{
	json_object *args;
	size_t n;

	r->ncmp = 0;
	if (member(entry, path, "args", json_type_array, false, &args, err) < 0)
		return -1;
	n = args ? json_object_array_length(args) : 0;
	if (n > ARRAY_SIZE(r->cmp))
		return BAD("%s.args has %zu comparisons; at most %zu", path, n, ARRAY_SIZE(r->cmp));
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(args, i);
		struct seccomp_cmp *cmp = &r->cmp[i];
		uint64_t index = 0, value = 0, value_two = 0;
		const char *op;
		char p[96];
		size_t k;

		snprintf(p, sizeof(p), "%s.args[%zu]", path, i);
		if (!json_object_is_type(a, json_type_object))
			return BAD("%s must be an object, not %s", p, type_name(a));
		if (member_uint(a, p, "index", true, 5, &index, err) < 0 ||
		    member_uint(a, p, "value", true, UINT64_MAX, &value, err) < 0 ||
		    member_uint(a, p, "valueTwo", false, UINT64_MAX, &value_two, err) < 0 ||
		    member_string(a, p, "op", true, &op, err) < 0)
			return -1;
		for (k = 0; k < ARRAY_SIZE(ops); k++)
			if (!strcmp(op, ops[k].name))
				break;
		if (k == ARRAY_SIZE(ops))
			return BAD("%s.op: unknown operator \"%s\"", p, op);
		cmp->index = index;
		cmp->op = ops[k].op;
		cmp->value = value;
		cmp->value_two = value_two;
		r->ncmp++;
	}
	return 0;
}

/* The native number of a syscall name, or -1 for a name it does not have. */
static long syscall_number(const char *name)
{
	const struct syscall_table *t = &syscall_table_native;

	for (unsigned nr = 0; nr < t->count; nr++)
		if (t->entries[nr].name && !strcmp(t->entries[nr].name, name))
			return nr;
	return -1;
}

/* One entry of syscalls[]: its rules, for each name the native table knows. */
static int parse_entry(struct compiler *c, json_object *entry, const char *path,
		       uint32_t default_action, struct cli_error **err)
{
	cleanup_free const char **names = NULL;
	struct seccomp_rule r = { 0 };
	bool split = false;
	unsigned seen = 0;

	if (!json_object_is_type(entry, json_type_object))
		return BAD("%s must be an object, not %s", path, type_name(entry));
	if (member_strv(entry, path, "names", true, true, &names, err) < 0 ||
	    parse_action(entry, path, "action", "errnoRet", &r.action, err) < 0 ||
	    parse_args(entry, path, &r, err) < 0)
		return -1;
	/* libseccomp refuses a rule that does what the default does; runc leaves it out. */
	if (r.action == default_action)
		return 0;
	for (int i = 0; i < r.ncmp; i++) {
		if (seen & (1U << r.cmp[i].index))
			split = true;
		seen |= 1U << r.cmp[i].index;
	}
	for (size_t i = 0; names[i]; i++) {
		long nr = syscall_number(names[i]);

		if (nr < 0)
			continue;
		if (!split) {
			if (add_rule(c, nr, &r, path, names[i], err) < 0)
				return -1;
			continue;
		}
		for (int k = 0; k < r.ncmp; k++) {
			struct seccomp_rule one = { .action = r.action, .ncmp = 1 };

			one.cmp[0] = r.cmp[k];
			if (add_rule(c, nr, &one, path, names[i], err) < 0)
				return -1;
		}
	}
	return 0;
}

/* The per-syscall table from the pending rules, which are in config order. */
static int compile(struct compiler *c, struct seccomp_profile *p, struct cli_error **err)
{
	uint32_t n = syscall_table_native.count;

	p->nsyscalls = n;
	p->by_nr = calloc(n, sizeof(*p->by_nr));
	p->rules = calloc(c->n ? c->n : 1, sizeof(*p->rules));
	if (!p->by_nr || !p->rules)
		return cli_error(err, 1, "out of memory");
	for (uint32_t nr = 0; nr < n; nr++) {
		const struct seccomp_rule *uncond = NULL;

		for (size_t i = 0; i < c->n && !uncond; i++)
			if (c->rules[i].nr == nr && c->rules[i].rule.ncmp == 0)
				uncond = &c->rules[i].rule;
		p->by_nr[nr].first = p->nrules;
		if (uncond) {
			p->rules[p->nrules++] = *uncond;
		} else {
			for (size_t i = 0; i < c->n; i++)
				if (c->rules[i].nr == nr)
					p->rules[p->nrules++] = c->rules[i].rule;
		}
		p->by_nr[nr].count = p->nrules - p->by_nr[nr].first;
	}
	return 0;
}

int bundle_parse_seccomp(json_object *lnx, struct seccomp_profile **out, struct cli_error **err)
{
	static const char *const path = "linux.seccomp";
	struct compiler c = { 0 };
	struct seccomp_profile *p;
	json_object *sc, *calls, *o;
	const char *s;
	int ret = -1;

	*out = NULL;
	if (member(lnx, "linux", "seccomp", json_type_object, false, &sc, err) < 0)
		return -1;
	if (!sc)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return cli_error(err, 1, "out of memory");
	if (parse_action(sc, path, "defaultAction", "defaultErrnoRet", &p->default_action, err) <
		    0 ||
	    parse_strings(sc, path, "architectures", arch_names, ARRAY_SIZE(arch_names),
			  "architecture", err) < 0 ||
	    parse_strings(sc, path, "flags", flag_names, ARRAY_SIZE(flag_names), "flag", err) < 0 ||
	    member_string(sc, path, "listenerPath", false, &s, err) < 0 ||
	    member_string(sc, path, "listenerMetadata", false, &s, err) < 0 ||
	    member(sc, path, "syscalls", json_type_array, false, &calls, err) < 0)
		goto out;
	for (size_t i = 0; calls && i < json_object_array_length(calls); i++) {
		char ep[64];

		o = json_object_array_get_idx(calls, i);
		snprintf(ep, sizeof(ep), "%s.syscalls[%zu]", path, i);
		if (parse_entry(&c, o, ep, p->default_action, err) < 0)
			goto out;
	}
	if (compile(&c, p, err) < 0)
		goto out;
	*out = steal_pointer(&p);
	ret = 0;
out:
	free(c.rules);
	bundle_free_seccomp(p);
	return ret;
}

void bundle_free_seccomp(struct seccomp_profile *p)
{
	if (!p)
		return;
	free(p->by_nr);
	free(p->rules);
	free(p);
}
