/*
 * The memory systrap's stub code and the sentry share: where the stub's pages sit and the layout
 * of a context slot. Included by C and by the per-arch stub assembly, hence plain #defines.
 */
#ifndef CVISOR_PLATFORM_SYSTRAP_ABI_H
#define CVISOR_PLATFORM_SYSTRAP_ABI_H

/*
 * The stub's region starts at ARCH_STUB_ADDR (above every guest mapping): its code page, then
 * one slot per stub thread, each SYSTRAP_SLOT_SIZE and aligned to it, so that a signal handler
 * finds its own slot by rounding its stack pointer down. A slot is a range of the memory file
 * mapped in the stub and seen by the sentry: the context page, then the thread's signal stack,
 * on which the kernel writes the guest's registers (the frame the sentry reads and rewrites).
 */
#define SYSTRAP_SLOT_SIZE 0x10000
#define SYSTRAP_CTX_SIZE 0x1000
#define SYSTRAP_STACK_SIZE (SYSTRAP_SLOT_SIZE - SYSTRAP_CTX_SIZE)

/* The context's state word (a shared futex): whose turn it is. */
#define SYSTRAP_ST_RUN 1     /* sentry -> stub: resume the guest with the frame's registers */
#define SYSTRAP_ST_EVENT 2   /* stub -> sentry: an event is in the context; the stub waits */
#define SYSTRAP_ST_REQUEST 3 /* sentry -> stub: make the syscall in req, then post an event */
/*
 * sentry -> the template stub: fork a new stub (CLONE_PARENT: the sentry's child), which puts
 * the slot at memory-file offset req_args[0] (fd req_args[1]) in place of the template's,
 * installs the filter found there and posts its "ready" in it; the template's event carries
 * the new pid in req_ret.
 */
#define SYSTRAP_ST_FORK 4
/*
 * sentry -> a stub thread: start another stub thread (clone with SYSTRAP_THREAD_FLAGS), whose
 * slot, mapped already and laid out by the sentry, is at req_args[0]; it posts its "ready"
 * there. The event in the asking thread's context carries the new thread's host tid in req_ret.
 */
#define SYSTRAP_ST_CLONE 5
/* CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_CHILD_SETTID|
 * CLONE_CHILD_CLEARTID: a thread of the stub, whose tid word in its context the kernel sets, and
 * clears and futex-wakes when the thread is gone. */
#define SYSTRAP_THREAD_FLAGS 0x01250f00
/* Or'ed into the state by the side that goes to sleep on it: the other side must wake it. */
#define SYSTRAP_ST_WAITING 0x100

/* Context offsets (struct systrap_ctx below; checked there). */
#define SYSTRAP_CTX_STATE 0
#define SYSTRAP_CTX_SPIN 4
#define SYSTRAP_CTX_SIGNO 8
#define SYSTRAP_CTX_CODE 12
#define SYSTRAP_CTX_ADDR 16
#define SYSTRAP_CTX_UC 24
#define SYSTRAP_CTX_TLS 32
#define SYSTRAP_CTX_CUR_TLS 48
#define SYSTRAP_CTX_FLAGS 64
#define SYSTRAP_CTX_MASK_READY 68
#define SYSTRAP_CTX_GUEST_END 72
#define SYSTRAP_CTX_REQ_NR 80
#define SYSTRAP_CTX_REQ_ARGS 88
#define SYSTRAP_CTX_REQ_RET 136
#define SYSTRAP_CTX_SENTRY_CPU 144
#define SYSTRAP_CTX_FILTER_LEN 148
#define SYSTRAP_CTX_TID 152
#define SYSTRAP_CTX_RSEQ 192
/* rseq's cpu_id: the CPU the kernel last ran the stub thread on. */
#define SYSTRAP_CTX_STUB_CPU (SYSTRAP_CTX_RSEQ + 4)
#define SYSTRAP_CTX_FILTER 224
#define SYSTRAP_CTX_FILTER_MAX 32
#define SYSTRAP_CTX_APP_RSP 480
#define SYSTRAP_CTX_PATCH_SP 488
#define SYSTRAP_CTX_PATCH_ENTRY 496
#define SYSTRAP_CTX_XSAVE_MASK 504

/*
 * Patched syscalls (sentry/arch/<arch>/patch.c): a guest syscall site rewritten to jump to
 * per-site code the platform writes (systrap_arch_patch_code), which saves the guest's stack
 * pointer in app_rsp, switches to patch_sp and jumps to patch_entry with the number and return
 * address in registers, all through the thread pointer the stub keeps at its slot (x86-64: the
 * GS base). The entry builds a frame like the kernel's SIGSYS frame at SYSTRAP_PATCH_UC_OFF of
 * the slot, its XSAVE area at SYSTRAP_PATCH_FP_OFF (the kernel's sw bytes filled in by the
 * sentry), and posts an event with this code instead of SIGSYS's SI_SECCOMP.
 */
#define SYSTRAP_CODE_PATCHED 0x5053
/* Below the first frame (a thread's first resume may follow a patched call: a fork child's)
 * and the kernel's frames, which go at the top of the stack. */
#define SYSTRAP_PATCH_FP_OFF (SYSTRAP_SLOT_SIZE - 0x3000)
#define SYSTRAP_PATCH_UC_OFF (SYSTRAP_PATCH_FP_OFF - 0x200)
#define SYSTRAP_PATCH_SP_OFF (SYSTRAP_PATCH_UC_OFF - 0x80)

/* ctx.flags: the stub reads and writes the thread pointers with instructions (x86 FSGSBASE)
 * rather than a syscall. */
#define SYSTRAP_FLAG_TLS_INSNS 0x1

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/*
 * One stub thread's half of the hand-off. Everything here is writable by the guest, which runs
 * in the same address space: the sentry reads each field once and checks it before use.
 */
struct systrap_ctx {
	uint32_t state;	     /* SYSTRAP_ST_*, maybe | SYSTRAP_ST_WAITING */
	uint32_t spin;	     /* pause loops the stub spins before sleeping (set by the sentry) */
	uint32_t signo;	     /* the event: the signal the stub caught, 0 for "ready" */
	int32_t code;	     /* its si_code */
	uint64_t addr;	     /* its si_addr */
	uint64_t uc;	     /* stub address of the ucontext holding the guest's registers */
	uint64_t tls[2];     /* thread pointers: the sentry's on resume, or read by the stub */
	uint64_t cur_tls[2]; /* the ones the stub last set by syscall (~0: unknown) */
	uint32_t flags;	     /* SYSTRAP_FLAG_* */
	/* Set by the stub once an rt_sigreturn has given it the guest's signal mask: until then
	 * (a new stub or stub thread) it resumes the guest only that way. */
	uint32_t mask_ready;
	uint64_t guest_end; /* the stub unmaps [0, guest_end) once it runs from its pages */
	uint64_t req_nr;    /* SYSTRAP_ST_REQUEST: syscall number and arguments, and result */
	uint64_t req_args[6];
	int64_t req_ret;
	uint32_t sentry_cpu; /* the CPU the sentry last posted from: no spinning against it */
	uint32_t filter_len; /* SYSTRAP_ST_FORK: the new stub's own filter, in filter below */
	uint32_t tid;	     /* a cloned stub thread's host tid; 0 once it has exited */
	uint32_t pad[9];
	/* The stub thread's rseq area (struct rseq, 32-byte aligned): the kernel keeps its cpu_id
	 * current, for the same purpose. */
	uint32_t rseq[8] __attribute__((aligned(32)));
	uint64_t filter[SYSTRAP_CTX_FILTER_MAX]; /* struct sock_filter */
	/* Patched syscalls (see SYSTRAP_CODE_PATCHED): set by the per-site code, then by the
	 * sentry. */
	uint64_t app_rsp;
	uint64_t patch_sp;
	uint64_t patch_entry;
	uint64_t xsave_mask; /* XSAVE's component bitmap (edx:eax) for the patch frame */
};

_Static_assert(offsetof(struct systrap_ctx, state) == SYSTRAP_CTX_STATE, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, spin) == SYSTRAP_CTX_SPIN, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, signo) == SYSTRAP_CTX_SIGNO, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, code) == SYSTRAP_CTX_CODE, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, addr) == SYSTRAP_CTX_ADDR, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, uc) == SYSTRAP_CTX_UC, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, tls) == SYSTRAP_CTX_TLS, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, cur_tls) == SYSTRAP_CTX_CUR_TLS, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, flags) == SYSTRAP_CTX_FLAGS, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, mask_ready) == SYSTRAP_CTX_MASK_READY, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, guest_end) == SYSTRAP_CTX_GUEST_END, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, req_nr) == SYSTRAP_CTX_REQ_NR, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, req_args) == SYSTRAP_CTX_REQ_ARGS, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, req_ret) == SYSTRAP_CTX_REQ_RET, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, sentry_cpu) == SYSTRAP_CTX_SENTRY_CPU, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, rseq) == SYSTRAP_CTX_RSEQ, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, filter_len) == SYSTRAP_CTX_FILTER_LEN, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, tid) == SYSTRAP_CTX_TID, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, filter) == SYSTRAP_CTX_FILTER, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, app_rsp) == SYSTRAP_CTX_APP_RSP, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, patch_sp) == SYSTRAP_CTX_PATCH_SP, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, patch_entry) == SYSTRAP_CTX_PATCH_ENTRY, "ctx layout");
_Static_assert(offsetof(struct systrap_ctx, xsave_mask) == SYSTRAP_CTX_XSAVE_MASK, "ctx layout");
_Static_assert(sizeof(struct systrap_ctx) <= SYSTRAP_CTX_SIZE, "ctx size");
#endif

#endif
