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

/* N bytes aligned to 2 MiB, which the kernel may back with huge pages. */
static void *
huge_alloc(size_t n)
{
	void	*p;

	if ((p = aligned_alloc(HUGE_SIZE, n)) == NULL)
		fatalx("out of memory (%zu bytes)", n);
	(void)madvise(p, n, MADV_HUGEPAGE);	/* advice: may be refused */
	return p;
}

/* The table of N buckets, all NULL; free() frees it. */
struct key **
storemem_table(size_t n)
{
	struct key	**t;

	if (n * sizeof *t < HUGE_SIZE || n * sizeof *t % HUGE_SIZE != 0)
		return xcalloc(n, sizeof *t);
	t = huge_alloc(n * sizeof *t);
	memset(t, 0, n * sizeof *t);
	return t;
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
