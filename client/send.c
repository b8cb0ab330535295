/*
 * Submitting records over a chosen transport: the table of senders
 * (one file each, tx_*.c) and the calls the commands make.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "send.h"
#include "util.h"
#include "xmalloc.h"

int
tally_fail(struct tally *t, char *cause)
{
	if (t->cause == NULL)
		t->cause = cause;
	else
		free(cause);
	return -1;
}

static const struct sender *const senders[] = {
	&tx_unix, &tx_fifo, &tx_mq, &tx_shm, &tx_tcp, &tx_sysv,
};

const struct sender *
sender_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof senders / sizeof senders[0]; i++)
		if (strcmp(senders[i]->name, name) == 0)
			return senders[i];
	return NULL;
}

/* The names of the senders, "a, b or c", allocated. */
char *
sender_list(void)
{
	size_t	 i, n = sizeof senders / sizeof senders[0];
	char	*list = xstrdup(""), *next;

	for (i = 0; i < n; i++) {
		next = fmtstr("%s%s%s", list, senders[i]->name,
		    i + 2 < n ? ", " : i + 1 < n ? " or " : "");
		free(list);
		list = next;
	}
	return list;
}

const char *
sender_name(const struct sender *s)
{
	return s->name;
}

void *
sender_open(const struct sender *s, const struct target *tg, char **cause)
{
	return s->open(tg, cause);
}

int
sender_put(const struct sender *s, void *h, const struct record *r,
    struct tally *t)
{
	t->sent++;
	return s->put(h, r, t);
}

int
sender_flush(const struct sender *s, void *h, struct tally *t)
{
	return s->flush(h, t);
}

int
sender_close(const struct sender *s, void *h, struct tally *t)
{
	return s->close(h, t);
}
