/* Unit tests of the record format: a table of lines and what they mean. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "shm.h"
#include "t.h"

static const struct {
	const char	*line;
	const char	*key;		/* NULL: must be rejected */
	double		 value;
	unsigned	 part, nparts;
	const char	*cause;		/* a word of the error */
} cases[] = {
	{ "2.5\n", "default", 2.5, 0, 0, NULL },
	{ "pi 0.785 3/10\n", "pi", 0.785, 3, 10, NULL },
	{ "@1 pi 0.785 3/10\n", "pi", 0.785, 3, 10, NULL },
	{ "  k\t-1e16  \r\n", "k", -1e16, 0, 0, NULL },
	{ "k 0x1p-3", "k", 0.125, 0, 0, NULL },
	{ "a.b:c_d-e 1e-320", "a.b:c_d-e", 1e-320, 0, 0, NULL },
	{ "k 1 1/1", "k", 1, 1, 1, NULL },
	{ "k 1 1000000/1000000", "k", 1, 1000000, 1000000, NULL },
	{ "k -0", "k", -0.0, 0, 0, NULL },
	{ "1e400", NULL, 0, 0, 0, "range" },
	{ "k nan", NULL, 0, 0, 0, "NaN" },
	{ "k NAN", NULL, 0, 0, 0, "NaN" },
	{ "k inf", NULL, 0, 0, 0, "infinite" },
	{ "k -Infinity", NULL, 0, 0, 0, "infinite" },
	{ "k 1.5x", NULL, 0, 0, 0, "not a number" },
	{ "k abc", NULL, 0, 0, 0, "not a number" },
	{ "", NULL, 0, 0, 0, "empty" },
	{ "   \n", NULL, 0, 0, 0, "empty" },
	{ "@1", NULL, 0, 0, 0, "empty" },
	{ "@2 k 1", NULL, 0, 0, 0, "version" },
	{ "k 1 2/3 x", NULL, 0, 0, 0, "too many" },
	{ "a b c d e", NULL, 0, 0, 0, "too many" },
	{ "k 1 0/3", NULL, 0, 0, 0, "part" },
	{ "k 1 4/3", NULL, 0, 0, 0, "part" },
	{ "k 1 1/0", NULL, 0, 0, 0, "part" },
	{ "k 1 3", NULL, 0, 0, 0, "part" },
	{ "k 1 1/1000001", NULL, 0, 0, 0, "part" },
	{ "k 1 -1/3", NULL, 0, 0, 0, "part" },
	{ "k 1 1/3/4", NULL, 0, 0, 0, "part" },
	{ "k 1 99999999999999999999/3", NULL, 0, 0, 0, "part" },
	{ "k/x 1", NULL, 0, 0, 0, "character" },
	{ "k\x01 1", NULL, 0, 0, 0, "control" },
	{ "k\xc3\xa9 1", NULL, 0, 0, 0, "non-ASCII" },
	{ "k\x7f 1", NULL, 0, 0, 0, "control" },
	{ "k 1\n2\n", NULL, 0, 0, 0, "control" },
	{ "01234567890123456789012345678901234567890123456789012345678901234 1",
	    NULL, 0, 0, 0, "longer than 64" },
	{ "0123456789012345678901234567890123456789012345678901234567890123 1",
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    1, 0, 0, NULL },
};

/* The line as C would write it, for the test's name. */
static const char *
show(const char *s)
{
	static char	buf[128];
	size_t		n = 0;

	buf[0] = '\0';
	for (; *s != '\0' && n < 40; s++)
		n += (size_t)snprintf(buf + n, sizeof buf - n,
		    *s >= 0x20 && *s < 0x7f ? "%c" : "\\x%02x",
		    (unsigned char)*s);
	return buf;
}

int
main(void)
{
	struct record	 r;
	struct shm_rec	 rec;
	const char	*cause;
	char		 buf[IPCD_LINE_MAX + 8], num[32];
	size_t		 i;
	int		 rc, n;
	double		 d;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = "";
		rc = record_parse(cases[i].line, strlen(cases[i].line), &r,
		    &cause);
		if (cases[i].key != NULL)
			CHECK(rc == 0 && strcmp(r.key, cases[i].key) == 0 &&
			    memcmp(&r.value, &cases[i].value, sizeof r.value) == 0 &&
			    r.part == cases[i].part && r.nparts == cases[i].nparts,
			    "parse \"%s\"", show(cases[i].line));
		else
			CHECK(rc == -1 && strstr(cause, cases[i].cause) != NULL,
			    "reject \"%s\": %s", show(cases[i].line), cause);
	}

	/* A NUL inside a record, and a record of IPCD_LINE_MAX bytes. */
	CHECK(record_parse("k 1\0x\n", 6, &r, &cause) == -1 &&
	    strstr(cause, "NUL") != NULL, "reject an embedded NUL");
	memset(buf, '1', IPCD_LINE_MAX);
	buf[IPCD_LINE_MAX] = '\n';
	CHECK(record_parse(buf, IPCD_LINE_MAX + 1, &r, &cause) == -1 &&
	    strstr(cause, "too long") != NULL, "reject a record of 4097 bytes");

	/* Formatting round-trips, shortest first. */
	{
		static const double vals[] = { 1, 0.1, -0.0, 1e16, 5e-324,
		    1.7976931348623157e308, 3.141592653589793, 1.0 / 3,
		    5000050000, 1e15 + 0.5, 0.0001, 0.00001, -2.5e-7, 123.456,
		    9007199254740993.0 };
		static const char *want[] = { "1", "0.1", "-0", "1e+16",
		    "5e-324", "1.7976931348623157e+308",
		    "3.141592653589793", "0.3333333333333333", "5000050000",
		    "1000000000000000.5", "0.0001", "1e-05", "-2.5e-07",
		    "123.456", "9007199254740992" };

		for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
			double_format(num, sizeof num, vals[i]);
			d = strtod(num, NULL);
			CHECK(strcmp(num, want[i]) == 0 &&
			    memcmp(&d, &vals[i], sizeof d) == 0,
			    "format %s", want[i]);
		}
	}
	strcpy(r.key, "k");
	r.value = 0.1;
	r.part = 2;
	r.nparts = 7;
	n = record_format(buf, sizeof buf, &r);
	CHECK(n > 0 && strcmp(buf, "k 0.1 2/7\n") == 0, "record_format");
	CHECK(record_format(buf, 5, &r) == -1, "record_format refuses to truncate");

	/* Shared-memory records get the same checks. */
	memset(&rec, 0, sizeof rec);
	rec.keylen = 2;
	memcpy(rec.key, "ok", 2);
	rec.value = 1;
	CHECK(shm_rec_decode(&rec, &r, &cause) == 0 && strcmp(r.key, "ok") == 0,
	    "shm record decodes");
	rec.keylen = 200;
	CHECK(shm_rec_decode(&rec, &r, &cause) == -1, "shm keylen 200 rejected");
	rec.keylen = 0;
	CHECK(shm_rec_decode(&rec, &r, &cause) == -1, "shm empty key rejected");
	rec.keylen = 2;
	rec.value = NAN;
	CHECK(shm_rec_decode(&rec, &r, &cause) == -1, "shm NaN rejected");
	rec.value = 1;
	rec.part = 3;
	rec.nparts = 2;
	CHECK(shm_rec_decode(&rec, &r, &cause) == -1, "shm part 3/2 rejected");
	rec.part = 1;
	rec.nparts = 0;
	CHECK(shm_rec_decode(&rec, &r, &cause) == -1, "shm part 1/0 rejected");
	rec.key[1] = ' ';
	rec.part = 0;
	CHECK(shm_rec_decode(&rec, &r, &cause) == -1, "shm key with a space rejected");
	return t_failed;
}
