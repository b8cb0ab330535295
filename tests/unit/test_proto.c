/* Unit tests of the record format: a table of lines and what they mean. */

#include <float.h>
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

/* Numbers and their shortest text, whatever the double. */
static const struct {
	double		 value;
	const char	*text;
} fmt[] = {
	{ 1, "1" }, { 0.1, "0.1" }, { 0.0, "0" }, { -0.0, "-0" },
	{ 1e16, "1e+16" }, { 5e-324, "5e-324" }, { DBL_TRUE_MIN, "5e-324" },
	{ -DBL_TRUE_MIN, "-5e-324" }, { DBL_MIN, "2.2250738585072014e-308" },
	{ DBL_MAX, "1.7976931348623157e+308" },
	{ -DBL_MAX, "-1.7976931348623157e+308" },
	{ 3.141592653589793, "3.141592653589793" },
	{ 1.0 / 3, "0.3333333333333333" }, { 5000050000, "5000050000" },
	{ 1e15 + 0.5, "1000000000000000.5" }, { 0.0001, "0.0001" },
	{ 0.00001, "1e-05" }, { -2.5e-7, "-2.5e-07" }, { 123.456, "123.456" },
	{ 9007199254740993.0, "9007199254740992" },
	{ 63522638825431704.0, "6.3522638825431704e+16" },
	/* A power of two: its nearest 16-digit decimal lies below it and
	 * reads back as the double below; the one above reads back. */
	{ 0x1p-1017, "7.120236347223045e-307" },
	{ INFINITY, "inf" }, { -INFINITY, "-inf" }, { NAN, "nan" },
};

/* Integer values: every one must read as strtod reads it. */
static const char *const ints[] = {
	"0", "-0", "+0", "1", "-1", "+7", "007", "999999999999999",
	"-999999999999999", "9999999999999999", "99999999999999999999",
	"9007199254740993", "000000000000000000001", " 5", "\t-3",
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

/* The rule key_valid's bitmap must keep, one comparison at a time. */
static int
key_valid_ref(const char *s, size_t len)
{
	size_t		i;
	unsigned char	c;

	if (len == 0 || len > IPCD_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

/* Every byte value at the first, a middle and the last place of keys of
 * every length 0..65 (the rest valid, or the same byte throughout), and
 * random strings: key_valid answers as the rule does. */
static void
key_valid_all(void)
{
	char		 s[IPCD_KEY_MAX + 2];
	size_t		 len, at[3], j, n, wrong = 0, tried = 0;
	unsigned	 c, seed = 1;

	for (len = 0; len <= IPCD_KEY_MAX + 1; len++)
		for (c = 0; c < 256; c++) {
			memset(s, c, len);
			wrong += key_valid(s, len) != key_valid_ref(s, len);
			tried++;
			at[0] = 0;
			at[1] = len / 2;
			at[2] = len - 1;
			for (j = 0; j < 3 && len > 0; j++) {
				memset(s, 'a', len);
				s[at[j]] = (char)c;
				wrong += key_valid(s, len) !=
				    key_valid_ref(s, len);
				tried++;
			}
		}
	for (n = 0; n < 200000; n++) {
		len = n % (IPCD_KEY_MAX + 2);
		for (j = 0; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			/* Mostly key characters, so long valid keys come. */
			s[j] = (seed >> 16) % 8 == 0 ? (char)(seed >> 24) :
			    "aZ9_.:-b"[(seed >> 20) % 8];
		}
		wrong += key_valid(s, len) != key_valid_ref(s, len);
		tried++;
	}
	CHECK(wrong == 0, "key_valid agrees with the per-character rule "
	    "(%zu keys, %zu differ)", tried, wrong);
}

/* Records in a row, each a small change from the one before (key bytes,
 * bytes past the key, length, value, part): decoded as the drain does,
 * by shm_rec_decode_more after a record of the same key that decoded,
 * they give what shm_rec_decode gives. */
static void
decode_runs(void)
{
	static const double	 values[] = { 1, -0.5, NAN, 1e300, -0.0, 2, INFINITY,
	    3 };
	struct shm_rec		 rec, last;
	struct record		 slow, fast;
	const char		*cs, *cf;
	const struct shm_rec	*prev = NULL;
	size_t			 n, wrong = 0, same = 0;
	unsigned		 seed = 7, x;
	int			 rs, rf;

	memset(&rec, 0, sizeof rec);
	memset(&fast, 0, sizeof fast);
	memset(rec.key, 'k', sizeof rec.key);
	rec.keylen = 3;
	rec.value = 1;
	for (n = 0; n < 100000; n++) {
		seed ^= seed << 13;	/* xorshift: every bit random */
		seed ^= seed >> 17;
		seed ^= seed << 5;
		x = seed;
		switch (x % 16) {
		case 0:		/* a key byte, maybe a bad one */
			rec.key[(x >> 4) % 8] = (x >> 7) % 4 == 0 ?
			    (char)(x >> 9) : "xyz"[(x >> 9) % 3];
			break;
		case 1:		/* a byte past the key, maybe a bad one */
			rec.key[8 + (x >> 4) % (IPCD_KEY_MAX - 8)] =
			    (x >> 10) % 16 == 0 ? (char)(x >> 14) :
			    "qrs"[(x >> 14) % 3];
			break;
		case 2:		/* the length: 0..9, or 62..67 */
			rec.keylen = (uint8_t)((x >> 4) % 4 == 0 ?
			    IPCD_KEY_MAX - 2 + (x >> 6) % 6 : (x >> 6) % 10);
			break;
		case 3:
			rec.value = values[(x >> 4) % 8];
			break;
		case 4:
			rec.nparts = (x >> 4) % 4;
			rec.part = (x >> 6) % 4 == 0 ? (x >> 8) % 5 :
			    rec.nparts;
			break;
		default:	/* the same again */
			break;
		}
		cs = cf = "";
		rs = shm_rec_decode(&rec, &slow, &cs);
		rf = prev != NULL && shm_rec_same_key(&rec, prev) ?
		    shm_rec_decode_more(&rec, &fast, &cf) :
		    shm_rec_decode(&rec, &fast, &cf);
		if (rs != rf || strcmp(cs, cf) != 0 || (rs == 0 &&
		    (strcmp(slow.key, fast.key) != 0 ||
		    memcmp(&slow.value, &fast.value, sizeof slow.value) != 0 ||
		    slow.part != fast.part || slow.nparts != fast.nparts)))
			wrong++;
		if (prev != NULL && last.keylen == rec.keylen &&
		    memcmp(last.key, rec.key, sizeof rec.key) == 0)
			same++;	/* the fast path */
		last = rec;
		prev = rf == 0 ? &last : NULL;
	}
	CHECK(wrong == 0 && same > 10000, "shm_rec_decode_more after "
	    "shm_rec_same_key answers as shm_rec_decode (%zu records, %zu "
	    "differ, %zu repeats)", n,
	    wrong, same);
}

int
main(void)
{
	struct record	 r;
	struct shm_rec	 rec;
	const char	*cause;
	char		 buf[IPCD_LINE_MAX + 8], num[NUM_FORMAT_MAX];
	size_t		 i;
	int		 rc, n;
	double		 d;

	key_valid_all();
	decode_runs();
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

	/* Integers, read without strtod up to 15 digits: as strtod reads
	 * them, signs and zeros included, and longer ones by strtod. */
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		d = strtod(ints[i], NULL);
		rc = value_parse(ints[i], &r.value, &cause);
		CHECK(rc == 0 && memcmp(&r.value, &d, sizeof d) == 0,
		    "value \"%s\" as strtod reads it", ints[i]);
	}
	CHECK(value_parse("1-", &d, &cause) == -1 && value_parse("-", &d,
	    &cause) == -1 && value_parse("+-1", &d, &cause) == -1 &&
	    value_parse("1 ", &d, &cause) == -1, "no half integers");

	/* A NUL inside a record, and a record of IPCD_LINE_MAX bytes. */
	CHECK(record_parse("k 1\0x\n", 6, &r, &cause) == -1 &&
	    strstr(cause, "NUL") != NULL, "reject an embedded NUL");
	memset(buf, '1', IPCD_LINE_MAX);
	buf[IPCD_LINE_MAX] = '\n';
	CHECK(record_parse(buf, IPCD_LINE_MAX + 1, &r, &cause) == -1 &&
	    strstr(cause, "too long") != NULL, "reject a record of 4097 bytes");

	/* Formatting round-trips, shortest first, for every double. */
	for (i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
		memset(num, 'x', sizeof num);
		n = double_format(num, sizeof num, fmt[i].value);
		d = strtod(num, NULL);
		CHECK(strcmp(num, fmt[i].text) == 0 && n == (int)strlen(num) &&
		    n < NUM_FORMAT_MAX && (!isfinite(fmt[i].value) ||
		    memcmp(&d, &fmt[i].value, sizeof d) == 0),
		    "format %s (got %.*s)", fmt[i].text, NUM_FORMAT_MAX, num);
	}
	CHECK(double_format(num, 4, -DBL_MIN) == 24 && strcmp(num, "-2.") == 0,
	    "double_format truncates like snprintf and gives the whole length");
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
