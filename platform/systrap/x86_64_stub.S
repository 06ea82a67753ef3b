/*
 * systrap's stub code for x86-64: copied into each stub's code page, position independent, and
 * the only code allowed to make host syscalls there (its seccomp filter checks the address).
 */
#include <asm/unistd.h>

#include "arch_regs.h"
#include "platform/systrap/systrap_abi.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define CLONE_PARENT 0x8000
#define SIGCHLD 17
#define PROT_RW 3
#define MAP_SHARED_FIXED 0x11
#define SECCOMP_SET_MODE_FILTER 1
#define RSEQ_SIG 0x53053053
#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGSEGV 11
#define SIGSYS 31

/* The kernel's struct ucontext (x86-64): uc_mcontext (struct sigcontext) at 40, its general
 * registers r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags in that order, then
 * segments, err, trapno, oldmask, cr2 and the FP area's address. */
#define UC_GREG(i) (40 + 8 * (i))
#define UC_RSP UC_GREG(15)
#define UC_RIP UC_GREG(16)
#define UC_EFLAGS UC_GREG(17)
#define UC_FPSTATE UC_GREG(23)
/* The first word of the kernel's sw bytes in a frame's FXSAVE area, when it used XSAVE. */
#define FX_SW_MAGIC1 464
#define FX_SW_XFEATURES 472
#define FP_XSTATE_MAGIC1 0x46505853
#define USER_CS 0x33
#define USER_DS 0x2b
/* IRETQ's frame: rip, cs, rflags, rsp, ss. */
#define IRET_FRAME 40

/* r12 holds the thread's context (its slot) throughout; syscalls clobber only rax, rcx, r11. */
#define CTX(field) SYSTRAP_CTX_##field(%r12)
#define CTX_AT(field, off) (SYSTRAP_CTX_##field + (off))(%r12)

	.text
	.globl systrap_stub_code, systrap_stub_code_end
	.globl systrap_stub_start, systrap_stub_handler, systrap_stub_restorer
	.globl systrap_stub_patched
systrap_stub_code:

/*
 * Entered once, from the setup in the cloned child, with rdi = this thread's slot: the host's
 * mappings below the guest's end go (the setup code among them), then the stub says it is
 * ready and waits for its first RUN, which enters the guest through the sentry's first frame.
 */
systrap_stub_start:
	mov %rdi, %r12
	lea (SYSTRAP_SLOT_SIZE / 2)(%r12), %rsp
	mov $__NR_munmap, %eax
	xor %edi, %edi
	mov CTX(GUEST_END), %rsi
	syscall
	test %rax, %rax
	jnz fail
	movl $0, CTX(SIGNO)
	jmp post_event

/*
 * The handler of every signal the stub catches (SA_SIGINFO|SA_NODEFER, on the slot's stack,
 * blocking nothing more than the guest's mask does, so that the guest can be resumed without a
 * syscall): rdi = signo, rsi = siginfo, rdx = ucontext. It never returns by ret: the resume
 * path below restores the guest from whatever frame the sentry left in the context.
 */
systrap_stub_handler:
	mov %rsp, %r12
	and $-SYSTRAP_SLOT_SIZE, %r12
	/* A signal that interrupted the stub's own code, not the guest's: see nested. */
	mov UC_RIP(%rdx), %rax
	lea systrap_stub_code(%rip), %rcx
	sub %rcx, %rax
	cmp $(systrap_stub_code_end - systrap_stub_code), %rax
	jb nested
	/* Or the per-site code of a patched syscall: as the stub's own code before its event. */
	mov UC_RIP(%rdx), %rax
	sub $ARCH_PATCH_TABLE, %rax
	cmp $ARCH_PATCH_TABLE_SIZE, %rax
	jae 1f
	xor %eax, %eax
	jmp nested
1:
	mov %edi, CTX(SIGNO)
	mov 8(%rsi), %eax /* si_code */
	mov %eax, CTX(CODE)
	mov 16(%rsi), %rax /* si_addr */
	mov %rax, CTX(ADDR)
handler_tls:
	mov %rdx, CTX(UC)
	/* With FSGSBASE the guest may change its thread pointers without a syscall: read them. */
	testl $SYSTRAP_FLAG_TLS_INSNS, CTX(FLAGS)
	jz post_event
	rdfsbase %rax
	mov %rax, CTX(TLS)
	rdgsbase %rax
	mov %rax, CTX_AT(TLS, 8)
	jmp post_event

/*
 * A signal inside the stub (rax = its offset in the code; 0 in the per-site code of a patched
 * syscall, which runs before the stub posts its event). A fault there is the stub's own
 * (a frame it cannot load): it dies. Anything else is an interrupt or a stray signal, which
 * matters only once the sentry has answered RUN, when the guest is about to run again: then
 * the context's frame (the sentry's, whole) is the guest's state, and the event reports it.
 * Before the stub has posted its event, or while the sentry has the turn, the sentry gets the
 * thread back anyway: return to the interrupted code.
 */
nested:
	cmp $SIGSEGV, %edi
	je fail
	cmp $SIGBUS, %edi
	je fail
	cmp $SIGILL, %edi
	je fail
	cmp $SIGFPE, %edi
	je fail
	cmp $SIGTRAP, %edi
	je fail
	cmp $(event_posted - systrap_stub_code), %rax
	jb 1f
	mov CTX(STATE), %eax
	and $~SYSTRAP_ST_WAITING, %eax
	cmp $SYSTRAP_ST_RUN, %eax
	jne 1f
	mov %edi, CTX(SIGNO)
	movl $0, CTX(CODE)
	movq $0, CTX(ADDR)
	jmp post_event
1:	mov %rdx, %rsp
	mov $__NR_rt_sigreturn, %eax
	syscall
	jmp fail

/*
 * A patched syscall: the per-site code has saved the guest's rsp in the context and switched
 * to this thread's patch stack (rsp), with eax = the number and rcx = the return address, as a
 * syscall instruction leaves rcx. r11 gets the flags (a syscall's too); every other register is
 * the guest's. The frame built at SYSTRAP_PATCH_UC_OFF is the kernel's SIGSYS frame's layout,
 * so that the sentry reads it and the stub resumes from it as from any other.
 */
systrap_stub_patched:
	pushfq
	mov %rsp, %r11
	and $-SYSTRAP_SLOT_SIZE, %r11
	add $SYSTRAP_PATCH_UC_OFF, %r11
	mov %r8, UC_GREG(0)(%r11)
	mov %r9, UC_GREG(1)(%r11)
	mov %r10, UC_GREG(2)(%r11)
	mov %r12, UC_GREG(4)(%r11)
	mov %r13, UC_GREG(5)(%r11)
	mov %r14, UC_GREG(6)(%r11)
	mov %r15, UC_GREG(7)(%r11)
	mov %rdi, UC_GREG(8)(%r11)
	mov %rsi, UC_GREG(9)(%r11)
	mov %rbp, UC_GREG(10)(%r11)
	mov %rbx, UC_GREG(11)(%r11)
	mov %rdx, UC_GREG(12)(%r11)
	mov %rax, UC_GREG(13)(%r11)
	mov %rcx, UC_GREG(14)(%r11)
	mov %rcx, UC_RIP(%r11)
	pop %rax
	mov %rax, UC_EFLAGS(%r11)
	mov %rax, UC_GREG(3)(%r11)
	mov %r11, %r12
	and $-SYSTRAP_SLOT_SIZE, %r12
	mov CTX(APP_RSP), %rax
	mov %rax, UC_RSP(%r11)
	lea (SYSTRAP_PATCH_FP_OFF - SYSTRAP_PATCH_UC_OFF)(%r11), %rdi
	mov CTX(XSAVE_MASK), %eax
	mov CTX_AT(XSAVE_MASK, 4), %edx
	xsave (%rdi)
	mov %r11, %rdx
	movl $SIGSYS, CTX(SIGNO)
	movl $SYSTRAP_CODE_PATCHED, CTX(CODE)
	movq $0, CTX(ADDR)
	jmp handler_tls

/* Hands the turn to the sentry, waking it if it sleeps. */
post_event:
	mov $SYSTRAP_ST_EVENT, %eax
	xchg %eax, CTX(STATE)
event_posted:
	test $SYSTRAP_ST_WAITING, %eax
	jz wait
	lea CTX(STATE), %rdi
	mov $FUTEX_WAKE, %esi
	mov $1, %edx
	mov $__NR_futex, %eax
	syscall

/* Waits for the sentry's answer: spins first (waking a sleeping thread costs far more), then
 * sleeps. */
wait:
	mov CTX(SPIN), %ecx
	/* Spinning on the sentry's CPU would only keep it from answering: sleep at once. */
	mov CTX(STUB_CPU), %eax
	cmp CTX(SENTRY_CPU), %eax
	jne spin
	xor %ecx, %ecx
spin:
	mov CTX(STATE), %eax
	cmp $SYSTRAP_ST_EVENT, %eax
	jne dispatch
	test %ecx, %ecx
	jz sleep
	dec %ecx
	pause
	jmp spin
sleep:
	/* eax = EVENT: mark the state as slept on, unless the sentry has answered meanwhile. */
	mov $(SYSTRAP_ST_EVENT | SYSTRAP_ST_WAITING), %edx
	lock cmpxchg %edx, CTX(STATE)
	jne dispatch
	mov %edx, %eax
dispatch:
	/* eax = state. The sentry's own WAITING bit does not change what it asks. */
	mov %eax, %edx
	and $~SYSTRAP_ST_WAITING, %edx
	cmp $SYSTRAP_ST_RUN, %edx
	je resume
	cmp $SYSTRAP_ST_REQUEST, %edx
	je request
	cmp $SYSTRAP_ST_FORK, %edx
	je fork
	cmp $SYSTRAP_ST_CLONE, %edx
	je clone_thread
	cmp $SYSTRAP_ST_EVENT, %eax
	je sleep
	/* EVENT|WAITING, or whatever the guest wrote there: sleep while it stays so. */
	lea CTX(STATE), %rdi
	mov $FUTEX_WAIT, %esi
	mov %eax, %edx
	xor %r10d, %r10d
	mov $__NR_futex, %eax
	syscall
	mov CTX(STATE), %eax
	jmp dispatch

/* An address-space change the sentry asked for (mmap, munmap, mprotect): run it, report. */
request:
	mov CTX(REQ_NR), %rax
	mov CTX(REQ_ARGS), %rdi
	mov CTX_AT(REQ_ARGS, 8), %rsi
	mov CTX_AT(REQ_ARGS, 16), %rdx
	mov CTX_AT(REQ_ARGS, 24), %r10
	mov CTX_AT(REQ_ARGS, 32), %r8
	mov CTX_AT(REQ_ARGS, 40), %r9
	syscall
	mov %rax, CTX(REQ_RET)
	jmp post_event

/*
 * The template's request: a new stub, a copy of this tiny process (a fork of the sentry would
 * copy, then tear down, the sentry's address space). The copy swaps in its own slot at the
 * same address (r12 and the stack stay valid), forbids itself the clone and seccomp that only
 * this path needs, and reports ready in its new slot.
 */
fork:
	/* The copy's slot, in registers: the template's context gets the next request at once. */
	mov CTX(REQ_ARGS), %r13
	mov CTX_AT(REQ_ARGS, 8), %r14
	mov $__NR_clone, %eax
	mov $(CLONE_PARENT | SIGCHLD), %edi
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	syscall
	test %rax, %rax
	jz new_stub
	mov %rax, CTX(REQ_RET)
	jmp post_event
new_stub:
	mov %r13, %r9
	mov %r14, %r8
	mov %r12, %rdi
	mov $SYSTRAP_SLOT_SIZE, %esi
	mov $PROT_RW, %edx
	mov $MAP_SHARED_FIXED, %r10d
	mov $__NR_mmap, %eax
	syscall
	cmp %rax, %r12
	jne fail
	/* struct sock_fprog { unsigned short len; struct sock_filter *filter; } on the stack */
	sub $16, %rsp
	mov CTX(FILTER_LEN), %eax
	mov %ax, (%rsp)
	lea CTX(FILTER), %rax
	mov %rax, 8(%rsp)
	mov $SECCOMP_SET_MODE_FILTER, %edi
	xor %esi, %esi
	mov %rsp, %rdx
	mov $__NR_seccomp, %eax
	syscall
	add $16, %rsp
	test %rax, %rax
	jnz fail
	movl $0, CTX(SIGNO)
	jmp post_event

/*
 * Another stub thread, for another guest thread of this address space: it runs on its own slot
 * (r12 and the stack inside it), with the signals blocked as here (this thread is inside its
 * handler), sets the alternate stack that a CLONE_VM thread starts without and its own rseq
 * area, and reports ready in its slot.
 */
clone_thread:
	mov CTX(REQ_ARGS), %r13
	mov $__NR_clone, %eax
	mov $SYSTRAP_THREAD_FLAGS, %edi
	lea (SYSTRAP_SLOT_SIZE / 2)(%r13), %rsi
	xor %edx, %edx
	lea SYSTRAP_CTX_TID(%r13), %r10
	xor %r8d, %r8d
	syscall
	test %rax, %rax
	jz new_thread
	mov %rax, CTX(REQ_RET)
	jmp post_event
new_thread:
	mov %r13, %r12
	/* stack_t { ss_sp, ss_flags, ss_size } on the stack */
	sub $32, %rsp
	lea SYSTRAP_CTX_SIZE(%r12), %rax
	mov %rax, (%rsp)
	movq $0, 8(%rsp)
	movq $SYSTRAP_STACK_SIZE, 16(%rsp)
	mov %rsp, %rdi
	xor %esi, %esi
	mov $__NR_sigaltstack, %eax
	syscall
	add $32, %rsp
	test %rax, %rax
	jnz fail
	/* Without rseq, both sides just spin. */
	lea CTX(RSEQ), %rdi
	mov $32, %esi
	xor %edx, %edx
	mov $RSEQ_SIG, %r10d
	mov $__NR_rseq, %eax
	syscall
	movl $0, CTX(SIGNO)
	jmp post_event

/* Back to the guest: its thread pointers, then its registers from the frame the sentry wrote. */
resume:
	testl $SYSTRAP_FLAG_TLS_INSNS, CTX(FLAGS)
	jz 1f
	mov CTX(TLS), %rax
	wrfsbase %rax
	mov CTX_AT(TLS, 8), %rax
	wrgsbase %rax
	jmp 3f
1:	mov CTX(TLS), %rsi
	cmp CTX(CUR_TLS), %rsi
	je 2f
	mov $ARCH_SET_FS, %edi
	mov $__NR_arch_prctl, %eax
	syscall
	mov %rsi, CTX(CUR_TLS)
2:	mov CTX_AT(TLS, 8), %rsi
	cmp CTX_AT(CUR_TLS, 8), %rsi
	je 3f
	mov $ARCH_SET_GS, %edi
	mov $__NR_arch_prctl, %eax
	syscall
	mov %rsi, CTX_AT(CUR_TLS, 8)
	/* rsp = the ucontext: where a handler's ret to sa_restorer leaves it (frame + 8). */
3:	mov CTX(UC), %rsp
	/*
	 * A frame with a kernel-made XSAVE area (its magic, 64-byte aligned) is loaded here: the
	 * FP state by XRSTOR, the rest by IRETQ from a frame built below the ucontext (rip, cs,
	 * rflags, rsp, ss), the other registers by moves. The signal mask needs nothing: the
	 * handler ran with the guest's. Any other frame (the sentry's first one) goes through
	 * rt_sigreturn, which loads what the kernel accepts of it; so does the first resume of a
	 * stub thread, which runs with every signal blocked until then.
	 */
	cmpl $0, CTX(MASK_READY)
	je first_sigreturn
	mov UC_FPSTATE(%rsp), %rdi
	test $63, %rdi
	jnz sigreturn
	cmpl $FP_XSTATE_MAGIC1, FX_SW_MAGIC1(%rdi)
	jne sigreturn
	/* The components the frame holds, as rt_sigreturn restores (the rest is in its initial
	 * state since the signal: the stub's code uses none). A component outside them may not
	 * even be allowed (x86's XFD). */
	mov FX_SW_XFEATURES(%rdi), %eax
	mov (FX_SW_XFEATURES + 4)(%rdi), %edx
	xrstor (%rdi)
	sub $IRET_FRAME, %rsp
	mov (IRET_FRAME + UC_RIP)(%rsp), %rax
	mov %rax, 0(%rsp)
	movq $USER_CS, 8(%rsp)
	mov (IRET_FRAME + UC_EFLAGS)(%rsp), %rax
	mov %rax, 16(%rsp)
	mov (IRET_FRAME + UC_RSP)(%rsp), %rax
	mov %rax, 24(%rsp)
	movq $USER_DS, 32(%rsp)
	mov (IRET_FRAME + UC_GREG(0))(%rsp), %r8
	mov (IRET_FRAME + UC_GREG(1))(%rsp), %r9
	mov (IRET_FRAME + UC_GREG(2))(%rsp), %r10
	mov (IRET_FRAME + UC_GREG(3))(%rsp), %r11
	mov (IRET_FRAME + UC_GREG(4))(%rsp), %r12
	mov (IRET_FRAME + UC_GREG(5))(%rsp), %r13
	mov (IRET_FRAME + UC_GREG(6))(%rsp), %r14
	mov (IRET_FRAME + UC_GREG(7))(%rsp), %r15
	mov (IRET_FRAME + UC_GREG(8))(%rsp), %rdi
	mov (IRET_FRAME + UC_GREG(9))(%rsp), %rsi
	mov (IRET_FRAME + UC_GREG(10))(%rsp), %rbp
	mov (IRET_FRAME + UC_GREG(11))(%rsp), %rbx
	mov (IRET_FRAME + UC_GREG(12))(%rsp), %rdx
	mov (IRET_FRAME + UC_GREG(13))(%rsp), %rax
	mov (IRET_FRAME + UC_GREG(14))(%rsp), %rcx
	iretq
first_sigreturn:
	movl $1, CTX(MASK_READY)
sigreturn:
	mov $__NR_rt_sigreturn, %eax
	syscall
	/* A frame the kernel refused: it has queued SIGSEGV, which kills the stub. */
fail:
	mov $__NR_exit_group, %eax
	mov $124, %edi
	syscall
	ud2

/* sa_restorer (x86-64 requires one); unused, since the handler never returns by ret. */
systrap_stub_restorer:
	mov $__NR_rt_sigreturn, %eax
	syscall
	ud2
systrap_stub_code_end:

	.section .note.GNU-stack, "", @progbits
