/*
 * libFuzzer target: the record parsers every transport feeds.
 *
 *   record_parse()    the whole input as one line (FIFO, mq, socket);
 *   shm_rec_decode()  the first sizeof(struct shm_rec) bytes as one slot of
 *                     a shared-memory ring, when the input is that long.
 *
 * On success the record must satisfy what the rest of ipcd relies on: a
 * valid key, a finite value, a consistent part I/N; and record_format()
 * of it must parse back to the same record, bit for bit.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "shm.h"
#include "fuzz.h"

static void
check_record(const struct record *r)
{
	size_t	len = strnlen(r->key, sizeof r->key);

	CHECK(len <= IPCD_KEY_MAX);
	CHECK(key_valid(r->key, len));
	CHECK(isfinite(r->value));
	CHECK((r->part == 0 && r->nparts == 0) ||
	    (r->part >= 1 && r->part <= r->nparts &&
	    r->nparts <= IPCD_PARTS_MAX));
}

/* record_format(r) parses back to exactly r. */
static void
check_roundtrip(const struct record *r)
{
	char		 line[IPCD_LINE_MAX + 1];
	struct record	 back;
	const char	*cause = NULL;
	int		 n;

	n = record_format(line, sizeof line, r);
	CHECK(n > 0 && (size_t)n < sizeof line && line[n - 1] == '\n');
	CHECK(memchr(line, '\n', (size_t)n - 1) == NULL);
	memset(&back, 0xa5, sizeof back);
	if (record_parse(line, (size_t)n, &back, &cause) != 0) {
		fprintf(stderr, "record_format gave \"%.*s\", which does not "
		    "parse: %s\n", n - 1, line, cause);
		abort();
	}
	CHECK(strcmp(back.key, r->key) == 0);
	CHECK(memcmp(&back.value, &r->value, sizeof r->value) == 0);
	CHECK(back.part == r->part);
	CHECK(back.nparts == r->nparts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record	 r;
	struct shm_rec	 rec;
	const char	*cause = NULL;

	if (record_parse((const char *)data, size, &r, &cause) == 0) {
		check_record(&r);
		check_roundtrip(&r);
	} else
		CHECK(cause != NULL && *cause != '\0');

	if (size >= sizeof rec) {
		/* A private copy, as tr_shm.c takes one from the ring. */
		memcpy(&rec, data, sizeof rec);
		cause = NULL;
		memset(&r, 0, sizeof r);
		if (shm_rec_decode(&rec, &r, &cause) == 0) {
			check_record(&r);
			CHECK(strlen(r.key) == rec.keylen);
			CHECK(memcmp(r.key, rec.key, rec.keylen) == 0);
			check_roundtrip(&r);
		} else
			CHECK(cause != NULL && *cause != '\0');
	}
	return 0;
}
