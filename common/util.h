/* Small helpers shared by both programs. */
#ifndef IPCD_UTIL_H
#define IPCD_UTIL_H

char	*fmtstr(const char *, ...) __attribute__((format(printf, 1, 2)));
double	 mono_sec(void);

#endif
