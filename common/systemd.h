/*
 * Every libsystemd call of the project lives in systemd.c, behind these
 * functions; each returns 0 or -1 with errno (libsystemd's negative errno
 * is converted there) and does nothing harmful outside systemd.
 */
#ifndef IPCD_SYSTEMD_H
#define IPCD_SYSTEMD_H

struct log_fields;

int	sysd_journal(int, const char *, const char *, const struct log_fields *);
int	sysd_notify(const char *);

#endif
