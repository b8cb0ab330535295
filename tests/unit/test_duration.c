/* Unit tests of the one duration syntax (util.c): what is taken, what is
 * refused and why, and that what is printed reads back. */

#include <stdio.h>
#include <string.h>

#include "util.h"
#include "t.h"

static const struct {
	const char	*text;
	long		 seconds;	/* -1: refused */
} cases[] = {
	{ "0", 0 }, { "90", 90 }, { "90s", 90 }, { "15m", 900 },
	{ "1h", 3600 }, { "7d", 604800 }, { "0d", 0 }, { "007m", 420 },
	{ "36500d", 36500L * 86400 }, { "3153600000", 3153600000L },
	{ "36501d", -1 }, { "3153600001", -1 },
	{ "99999999999999999999999d", -1 }, { "", -1 }, { "s", -1 },
	{ "-5", -1 }, { "+5", -1 }, { " 5", -1 }, { "5 ", -1 },
	{ "5 s", -1 }, { "1.5h", -1 }, { "1h30m", -1 }, { "1w", -1 },
	{ "1S", -1 }, { "0x10", -1 }, { "5ss", -1 }, { "5\t", -1 },
};

int
main(void)
{
	char		 buf[DURATION_TEXT_MAX];
	const char	*cause;
	long		 v, back;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = -2;
		cause = NULL;
		r = duration_parse(cases[i].text, &v, &cause);
		if (cases[i].seconds >= 0)
			CHECK(r == 0 && v == cases[i].seconds,
			    "\"%s\" is %ld s", cases[i].text, cases[i].seconds);
		else
			CHECK(r == -1 && cause != NULL && v == -2,
			    "\"%s\" is refused: %s", cases[i].text,
			    cause ? cause : "(no cause)");
	}
	CHECK(duration_parse("1y", &v, &cause) == -1 &&
	    strcmp(cause, DURATION_CAUSE) == 0, "a bad unit says what a "
	    "duration is");
	CHECK(duration_parse("36501d", &v, &cause) == -1 &&
	    strstr(cause, "century") != NULL, "too long says the limit");

	static const struct {
		long		 seconds;
		const char	*text;
	} out[] = { { 0, "0" }, { 1, "1s" }, { 90, "90s" }, { 900, "15m" },
	    { 3600, "1h" }, { 5400, "90m" }, { 86400, "1d" },
	    { 604800, "7d" }, { 90061, "90061s" }, { DURATION_MAX, "36500d" } };
	for (i = 0; i < sizeof out / sizeof out[0]; i++) {
		duration_format(buf, sizeof buf, out[i].seconds);
		CHECK(strcmp(buf, out[i].text) == 0 &&
		    duration_parse(buf, &back, &cause) == 0 &&
		    back == out[i].seconds, "%ld s prints as %s (got %s) and "
		    "reads back", out[i].seconds, out[i].text, buf);
	}
	return t_failed;
}
