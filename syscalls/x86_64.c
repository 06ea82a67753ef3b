/* The x86-64 syscall table, built from x86_64.def: the table is the documentation. */
#include <errno.h>

#include "lib/util.h"
#include "syscalls/syscalls.h"

#define FULL(nr, name, args) SYSCALL_DEFINE(name);
#define PARTIAL(nr, name, args, note) SYSCALL_DEFINE(name);
#define NOSYS(nr, name, note)
#define ERR(nr, name, err, note)
#include "syscalls/x86_64.def"
#undef FULL
#undef PARTIAL
#undef NOSYS
#undef ERR

#define FULL(nr, name, args) [nr] = { #name, sys_##name, SYSCALL_FULL, 0, args, NULL },
#define PARTIAL(nr, name, args, note) [nr] = { #name, sys_##name, SYSCALL_PARTIAL, 0, args, note },
#define NOSYS(nr, name, note) [nr] = { #name, NULL, SYSCALL_UNIMPLEMENTED, ENOSYS, NULL, note },
/* Answers with a fixed errno, as Linux does for a missing capability (gVisor's CapError). */
#define ERR(nr, name, err, note) [nr] = { #name, NULL, SYSCALL_UNIMPLEMENTED, err, NULL, note },
static const struct syscall_entry entries[] = {
#include "syscalls/x86_64.def"
};

const struct syscall_table syscall_table_native = {
	.arch = "x86_64",
	.entries = entries,
	.count = ARRAY_SIZE(entries),
};
