/*
 * libipcd's inside: the handle, and what ipcctl uses beyond the public
 * API of ipcd.h (it shares the library's objects, not only its exports).
 * Not installed.
 */
#ifndef IPCD_LIB_H
#define IPCD_LIB_H

#include "ipcctl.h"

/* What the library exports; everything else is hidden (-fvisibility). */
#define IPCD_EXPORT	__attribute__((visibility("default")))

struct ipcd {
	struct conf		 conf;
	struct target		 tg;
	double			 wait;		/* result's bound; 0: timeout */
	char			*error;		/* NULL: none */
	int			 dead;		/* its configuration failed */
	const struct sender	*s;		/* the open sender, or NULL */
	void			*h;
	struct tally		 t;		/* over every sender opened */
	char			*answer;	/* the first one not reported */
	int			 answer_st;	/* its status: 1 or -1 */
	unsigned long		 answers;	/* answers not reported */
	void			(*forward)(void *, int, const char *);
	void			*forward_arg;
	struct conn		 ctl;		/* fd -1: not connected */
	char			 reply[IPCD_LINE_MAX + 1];
};

/* lib.c */
int			 lib_begin(struct ipcd *);
int			 lib_fail(struct ipcd *, int, char *);
/* A handle on TG's configuration (copied) and timeout; the answers to
 * submissions go to TG's hook too. */
struct ipcd		*lib_open_target(const struct target *);
/* The bound of result's wait, seconds; 0: the timeout, < 0: none. */
void			 lib_set_wait(struct ipcd *, double);
int			 lib_connect(struct ipcd *, const char *);
int			 lib_put(struct ipcd *, const struct record *,
			    const char *, size_t);
int			 lib_push(struct ipcd *);
const struct tally	*lib_tally(const struct ipcd *);
/* The reply line of the last request (result, ping). */
const char		*lib_reply(const struct ipcd *);

#endif
