/*
 * The Accept header of a scrape: which exposition format it asks for.
 * Parsing only, apart from the server (http.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "xmalloc.h"

static char *
trim(char *s)
{
	char	*end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/*
 * The format an Accept header asks for: OpenMetrics if it names
 * application/openmetrics-text (version 1.0.0, or none) with a quality
 * above 0 and at least that of the classic text (text/plain, text/ *,
 * * / *); else, and without the header, the classic text.
 */
enum metrics_format
http_format(const char *accept)
{
	char	*copy, *s, *range, *type, *p;
	double	 q, om = 0, text = 0;
	int	 version;

	if (accept == NULL)
		return MF_TEXT;
	s = copy = xstrdup(accept);
	while ((range = strsep(&s, ",")) != NULL) {
		type = trim(strsep(&range, ";"));
		q = 1;
		version = 1;
		while ((p = strsep(&range, ";")) != NULL) {
			p = trim(p);
			if (strncasecmp(p, "q=", 2) == 0)
				q = strtod(p + 2, NULL);
			else if (strncasecmp(p, "version=", 8) == 0)
				version = strcmp(p + 8, "1.0.0") == 0;
		}
		if (strcasecmp(type, "application/openmetrics-text") == 0) {
			if (version && q > om)
				om = q;
		} else if (strcasecmp(type, "text/plain") == 0 ||
		    strcasecmp(type, "text/*") == 0 || strcmp(type, "*/*") == 0) {
			if (q > text)
				text = q;
		}
	}
	free(copy);
	return om > 0 && om >= text ? MF_OPENMETRICS : MF_TEXT;
}
