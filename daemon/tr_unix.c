/*
 * The Unix socket transport: the listener.  It binds the socket (or adopts
 * the one systemd passed), admits each connection against the limits and
 * hands it to the stream layer with the control plane as its handler.
 * Everything after accept(2) is stream.c's and ctl.c's.  A reload that
 * changes only the mode or group updates the socket in place; a new path
 * opens a new listener, and connections already made go on.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "node.h"
#include "stream.h"
#include "systemd.h"
#include "util.h"

#define ACCEPT_PAUSE	1	/* seconds without accepting after EMFILE */

static struct {
	int			 fd;
	char			 path[PATH_MAX];
	struct event		*ev;
	struct event		*pause;		/* accept paused on EMFILE */
	int			 passed;	/* by systemd: not ours to close */
} ux = { .fd = -1 };

static int
unix_update(const struct conf *a, const struct conf *b, char **cause)
{
	if (ux.passed || (a->unix_.mode == b->unix_.mode &&
	    strcmp(a->unix_.group, b->unix_.group) == 0))
		return 0;
	return node_perms(-1, ux.path, b->unix_.mode, b->unix_.group, cause);
}

static void
accept_resume(evutil_socket_t fd, short events, void *arg)
{
	event_add(ux.ev, NULL);
}

/* Who is at the other end, as the kernel says. */
static void
peer_of(int fd, struct peer *p)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;

	memset(p, 0, sizeof *p);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		p->pid = cred.pid;
		p->uid = cred.uid;
		p->gid = cred.gid;
	}
}

static void
unix_accept(evutil_socket_t lfd, short events, void *arg)
{
	struct timeval	 sec = { ACCEPT_PAUSE, 0 };
	struct peer	 p;
	const char	*why;
	int		 fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Retrying at once would spin: wait a second. */
				log_warn("unix: accept");
				event_del(ux.ev);
				evtimer_add(ux.pause, &sec);
			}
			return;
		}
		peer_of(fd, &p);
		if ((why = stream_admit(&p)) != NULL) {
			server_reject(TR_UNIX, RJ_LIMIT_CLIENTS, why, &p);
			stream_refuse(fd, why);
			continue;
		}
		log_debug("unix: client pid %ld uid %lu connected", (long)p.pid,
		    (unsigned long)p.uid);
		stream_new(fd, TR_UNIX, &p, &ctl_handler);
	}
}

/* Replace a socket left by an ipcd that died; refuse one that answers. */
static int
stale_socket(const char *path, char **cause)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	struct stat		st;
	int			fd, r;

	if (lstat(path, &st) != 0)
		return 0;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = fmtstr("socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (r == 0) {
		*cause = fmtstr("another ipcd is listening on %s", path);
		return -1;
	}
	if (unlink(path) != 0) {
		*cause = fmtstr("unlink %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
unix_open(const struct conf *c, char **cause)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	mode_t			old;
	int			r;

	if (strlen(c->unix_.path) >= sizeof sun.sun_path) {
		*cause = fmtstr("socket path %s is longer than %zu bytes",
		    c->unix_.path, sizeof sun.sun_path - 1);
		return -1;
	}
	strcpy(sun.sun_path, c->unix_.path);
	ux.fd = sysd_take_socket("unix", c->unix_.path, cause);
	if (*cause != NULL)
		return -1;
	if ((ux.passed = ux.fd != -1)) {
		ux.path[0] = '\0';	/* systemd's node: not ours to remove */
		goto watch;
	}
	if (node_prepare(c->unix_.path, S_IFSOCK, cause) != 0 ||
	    stale_socket(c->unix_.path, cause) != 0)
		return -1;
	ux.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ux.fd == -1) {
		*cause = fmtstr("socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);	/* nobody gets in before the chmod below */
	r = bind(ux.fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (r != 0) {
		*cause = fmtstr("bind %s: %s", c->unix_.path, strerror(errno));
		goto fail;
	}
	strcpy(ux.path, c->unix_.path);
	if (node_perms(-1, c->unix_.path, c->unix_.mode, c->unix_.group,
	    cause) != 0)
		goto fail_unlink;
	if (listen(ux.fd, SOMAXCONN) != 0) {
		*cause = fmtstr("listen %s: %s", c->unix_.path, strerror(errno));
		goto fail_unlink;
	}
watch:
	ux.ev = event_new(server_base(), ux.fd, EV_READ | EV_PERSIST,
	    unix_accept, NULL);
	ux.pause = evtimer_new(server_base(), accept_resume, NULL);
	if (ux.ev == NULL || ux.pause == NULL || event_add(ux.ev, NULL) != 0) {
		*cause = fmtstr("cannot watch the socket");
		goto fail_unlink;
	}
	return 0;
fail_unlink:
	if (!ux.passed)
		unlink(c->unix_.path);
fail:
	if (ux.ev != NULL)
		event_free(ux.ev);
	if (ux.pause != NULL)
		event_free(ux.pause);
	ux.ev = ux.pause = NULL;
	if (!ux.passed)
		close(ux.fd);
	ux.fd = -1;
	return -1;
}

/* The listener goes; connections already made finish their requests,
 * unless ipcd is stopping (server.c then closes them). */
static void
unix_close(void)
{
	event_free(ux.ev);
	event_free(ux.pause);
	ux.ev = ux.pause = NULL;
	if (!ux.passed) {
		close(ux.fd);
		unlink(ux.path);
	}
	ux.fd = -1;
}

const struct transport tr_unix = {
	.name = "unix", TR_CONF(unix_, path),
	.open = unix_open, .close = unix_close, .update = unix_update,
};
