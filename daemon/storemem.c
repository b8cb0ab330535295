/*
 * Where the key store's table and keys live.  With a million keys a
 * submission costs mostly the misses of the bucket and the key it reads,
 * in the caches and in the TLB: 200 MB of keys in 4 KiB pages are 50,000
 * pages, far more than a TLB holds, and under a hypervisor each TLB miss
 * walks two sets of page tables.  So a table of 2 MiB or more, and keys
 * once they fill that much, are put in 2 MiB blocks the kernel is asked
 * to back with huge pages (madvise; transparent_hugepage set to madvise
 * or always): one TLB entry for 2 MiB.  A few keys take no 2 MiB: the
 * first blocks are small and double up to that size.
 *
 * A removed key goes on a free list of its size (16-byte steps) for the
 * next key of that size; blocks are never given back, so the store keeps
 * the memory of the most keys it has held, which limits.max_keys bounds.
 * Under AddressSanitizer keys are malloc'd one by one, so that a key used
 * after its removal is still caught.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "daemon.h"
#include "log.h"
#include "xmalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define STOREMEM_MALLOC	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STOREMEM_MALLOC	1
#endif
#endif

#define HUGE_SIZE	((size_t)2 << 20)
#define FIRST_BLOCK	((size_t)64 << 10)
#define STEP		16
#define KEY_SIZE_MAX	(offsetof(struct key, name) + IPCD_KEY_MAX + 1)
#define NCLASSES	((KEY_SIZE_MAX + STEP - 1) / STEP + 1)

struct freekey {
	struct freekey	*next;
};

static struct {
	struct freekey	*free[NCLASSES];	/* of each size / STEP */
	char		*block;			/* carving from */
	size_t		 used, size;		/* of the block */
} km;

/*
 * N bytes (a multiple of 2 MiB), zero, aligned to 2 MiB, which the kernel
 * may back with huge pages.  Mapped, with what lies outside the alignment
 * unmapped again: the blocks of one advice next to each other are one
 * mapping, not one each (vm.max_map_count).
 */
static void *
huge_alloc(size_t n)
{
	char	*p, *a;

	p = mmap(NULL, n + HUGE_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap of %zu bytes", n + HUGE_SIZE);
	a = (char *)(((uintptr_t)p + HUGE_SIZE - 1) & ~(uintptr_t)(HUGE_SIZE - 1));
	if (a > p)
		(void)munmap(p, (size_t)(a - p));
	(void)munmap(a + n, (size_t)(p + HUGE_SIZE - a));
	(void)madvise(a, n, MADV_HUGEPAGE);	/* advice: may be refused */
	return a;
}

/* Does a table of N buckets take huge pages? */
static int
table_huge(size_t n)
{
	return n * sizeof(struct key *) >= HUGE_SIZE &&
	    n * sizeof(struct key *) % HUGE_SIZE == 0;
}

/* The table of N buckets, all NULL. */
struct key **
storemem_table(size_t n)
{
	if (!table_huge(n))
		return xcalloc(n, sizeof(struct key *));
	return huge_alloc(n * sizeof(struct key *));
}

void
storemem_table_free(struct key **t, size_t n)
{
	if (!table_huge(n))
		free(t);
	else
		(void)munmap(t, n * sizeof *t);
}

/* A key of SIZE bytes (at most the largest a key takes), all zero. */
void *
storemem_key(size_t size)
{
	size_t		 c = (size + STEP - 1) / STEP;
	struct freekey	*f;
	char		*p;

#ifdef STOREMEM_MALLOC
	(void)c;
	return xcalloc(1, size);
#endif
	if ((f = km.free[c]) != NULL) {
		km.free[c] = f->next;
		p = (char *)f;
	} else {
		if (km.block == NULL || km.used + c * STEP > km.size) {
			km.size = km.size == 0 ? FIRST_BLOCK :
			    km.size < HUGE_SIZE ? km.size * 2 : HUGE_SIZE;
			km.block = km.size < HUGE_SIZE ? xmalloc(km.size) :
			    huge_alloc(km.size);
			km.used = 0;
		}
		p = km.block + km.used;
		km.used += c * STEP;
	}
	memset(p, 0, size);
	return p;
}

/* Give back the key P of SIZE bytes, as storemem_key() was asked. */
void
storemem_key_free(void *p, size_t size)
{
	size_t		 c = (size + STEP - 1) / STEP;
	struct freekey	*f = p;

#ifdef STOREMEM_MALLOC
	(void)c;
	(void)f;
	free(p);
	return;
#endif
	f->next = km.free[c];
	km.free[c] = f;
}
