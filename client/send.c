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

int
tx_line(const struct record *r, const char **line, size_t *len, size_t max,
    char *buf)
{
	int	n;

	if (*len <= max)
		return 0;
	if ((n = record_format(buf, IPCD_LINE_MAX, r)) < 0 || (size_t)n > max)
		return -1;
	*line = buf;
	*len = (size_t)n;
	return 0;
}

static const struct sender *const senders[] = {
	&tx_unix, &tx_fifo, &tx_mq, &tx_shm, &tx_tcp, &tx_sysv, &tx_spool,
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
	return sender_put_line(s, h, r, NULL, 0, t);
}

/* R, whose record line LINE (newline included; NULL: none) reads as R
 * in record_parse: sent as it is where the transport carries text. */
int
sender_put_line(const struct sender *s, void *h, const struct record *r,
    const char *line, size_t len, struct tally *t)
{
	char	buf[IPCD_LINE_MAX];
	int	n;

	t->sent++;
	if (line == NULL && !s->binary) {
		if ((n = record_format(buf, sizeof buf, r)) < 0)
			return tally_fail(t, fmtstr("cannot format a record"));
		line = buf;
		len = (size_t)n;
	}
	return s->put(h, r, line, len, t);
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
