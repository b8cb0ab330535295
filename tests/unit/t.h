/* The unit tests' harness: one "ok - ..." or "not ok - ..." line per
 * check, counted by tests/run.sh; the exit status says if any failed. */
#ifndef IPCD_T_H
#define IPCD_T_H

#include <stdio.h>

static int	t_failed;

#define CHECK(cond, ...) do {						\
	int t_ok_ = (cond) ? 1 : 0;					\
	printf("%s - ", t_ok_ ? "ok" : "not ok");			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!t_ok_) {							\
		t_failed = 1;						\
		printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);\
	}								\
} while (0)

#endif
