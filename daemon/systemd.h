/*
 * Every libsystemd call of the project lives in systemd.c, behind these
 * functions, used by ipcd alone (ipcctl does not link libsystemd); each returns 0 or -1 with errno (libsystemd's negative errno
 * is converted there) and does nothing harmful outside systemd.
 */
#ifndef IPCD_SYSTEMD_H
#define IPCD_SYSTEMD_H

struct log_fields;

int	sysd_journal(int, const char *, const char *, const struct log_fields *);
int	sysd_notify(const char *);
long long sysd_watchdog_usec(void);

/* Descriptors passed by socket activation, claimed by FileDescriptorName.
 * A sysd_take_* returns the descriptor, or -1 with *cause NULL when none
 * of that name was passed, or -1 with *cause set when the one passed is
 * not what the configuration says. */
int	sysd_listen_init(void);
int	sysd_take_socket(const char *, const char *, char **);
int	sysd_take_fifo(const char *, const char *, char **);
int	sysd_take_mq(const char *, const char *, char **);
int	sysd_take_inet(const char *, int *, int, char **);
void	sysd_listen_done(void);

#endif
