/* The SIGBUS guard both sides of the shared-memory protocol use around
 * every access to a mapped segment; see shm.h. */

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "shm.h"

_Thread_local sigjmp_buf	shm_fault_jmp;
static _Thread_local const char	*volatile guard_base;
static _Thread_local volatile size_t	guard_len;
static _Thread_local volatile sig_atomic_t guarded;
/* The handler found at installation: a program that links libipcd may
 * have its own, which gets every SIGBUS that is not ours. */
static struct sigaction		prev;

static void
on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	const char	*a = si->si_addr;

	/* si_code > 0: raised by the kernel for an access, not sent. */
	if (guarded && si->si_code > 0 && a >= guard_base &&
	    a < guard_base + guard_len) {
		guarded = 0;
		siglongjmp(shm_fault_jmp, 1);
	}
	/* Not a guarded access: to the handler there was before, or die of
	 * it as if there were none. */
	if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction != NULL) {
		prev.sa_sigaction(sig, si, ctx);
		return;
	}
	if (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler != SIG_DFL &&
	    prev.sa_handler != SIG_IGN) {
		prev.sa_handler(sig);
		return;
	}
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

static int	installed = -1;

/* Once per process, whichever thread comes first: a second sigaction
 * would find our own handler as the one before it. */
static void
guard_install(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	/* SA_NODEFER: SIGBUS is not blocked in the handler, so leaving it
	 * by siglongjmp needs no saved signal mask, and the sigsetjmp of a
	 * guard costs no system call. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	installed = sigaction(SIGBUS, &sa, &prev);
}

int
shm_guard_init(void)
{
	static pthread_once_t	once = PTHREAD_ONCE_INIT;

	pthread_once(&once, guard_install);
	return installed;
}

void
shm_guard(const void *base, size_t len)
{
	guard_base = base;
	guard_len = len;
	atomic_signal_fence(memory_order_seq_cst);
	guarded = 1;
	atomic_signal_fence(memory_order_seq_cst);
}

void
shm_unguard(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	guarded = 0;
	atomic_signal_fence(memory_order_seq_cst);
}
