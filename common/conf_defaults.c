/*
 * Where ipcd and ipcctl look for their configuration, and the embedded
 * defaults: root gets the system paths, anybody else paths of their own.
 * Both programs come here, so they agree on every default.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "rundir.h"
#include "shm.h"

/* -c FILE, else $IPCD_CONFIG, else the system file if it exists. */
const char *
conf_find(const char *flag)
{
	const char	*env;

	if (flag != NULL)
		return flag;
	if ((env = getenv("IPCD_CONFIG")) != NULL && *env != '\0')
		return env;
	if (access(CONF_DEFAULT_FILE, F_OK) == 0)
		return CONF_DEFAULT_FILE;
	return NULL;
}

/*
 * The embedded defaults.  root gets the system paths; anybody else gets
 * paths of their own, so that "ipcd &" then "ipcctl submit 1" works for one
 * user with no file at all.  ipcd and ipcctl both come here.
 */
void
conf_defaults(struct conf *c)
{
	char		 run[PATH_MAX - 32], ipc[64];
	const char	*xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	uid_t		 uid = getuid();

	memset(c, 0, sizeof *c);
	if (uid == 0) {
		strcpy(run, "/run/ipcd");
		strcpy(ipc, "/ipcd");
		strcpy(c->state.file, "/var/lib/ipcd/state");
	} else {
		if (xdg != NULL && *xdg == '/' && strlen(xdg) < sizeof run - 8)
			snprintf(run, sizeof run, "%s/ipcd", xdg);
		else
			snprintf(run, sizeof run, RUNDIR_TMP_FMT, (unsigned)uid);
		snprintf(ipc, sizeof ipc, "/ipcd-%u", (unsigned)uid);
		/* A user without a usable home (nobody) keeps state with
		 * the runtime files. */
		if (home != NULL && *home == '/' && strlen(home) < PATH_MAX - 64 &&
		    access(home, W_OK) == 0)
			snprintf(c->state.file, sizeof c->state.file,
			    "%s/.local/state/ipcd/state", home);
		else
			snprintf(c->state.file, sizeof c->state.file,
			    "%s/state", run);
	}
	c->unix_.enabled = 1;
	snprintf(c->unix_.path, sizeof c->unix_.path, "%s/ipcd.sock", run);
	c->unix_.mode = 0660;
	c->fifo.enabled = 1;
	snprintf(c->fifo.path, sizeof c->fifo.path, "%s/ipcd.fifo", run);
	c->fifo.mode = 0620;
	c->mq.enabled = 1;
	strcpy(c->mq.name, ipc);
	c->mq.mode = 0620;
	c->mq.max_messages = 10;	/* the most an unprivileged user may ask */
	c->mq.message_size = 4096;
	c->shm.enabled = 1;
	strcpy(c->shm.name, ipc);
	c->shm.mode = 0660;
	c->shm.slots = SHM_SLOTS;
	c->tcp.enabled = 0;
	strcpy(c->tcp.listen, "127.0.0.1:7390");
	c->sysv.enabled = 1;
	c->sysv.mode = 0620;
	c->spool.enabled = 1;
	if (uid == 0)
		strcpy(c->spool.dir, "/var/spool/ipcd");
	else
		snprintf(c->spool.dir, sizeof c->spool.dir, "%s/spool", run);
	c->spool.mode = 0730;
	c->spool.max_file_bytes = 128L << 20;
	c->http.enabled = 0;
	strcpy(c->http.listen, "127.0.0.1:9473");
	c->http.max_clients = 16;
	c->export_.interval = 15;
	c->state.sync = SYNC_BATCH;
	c->state.compact_bytes = 64L << 20;
	c->limits.max_clients = 1024;
	c->limits.max_keys = 100000;
	c->limits.max_record_bytes = 4096;
	c->limits.idle_timeout = 600;
	c->limits.max_clients_per_uid = 0;	/* a quarter of max_clients */
	c->limits.max_parts = 100000;
	c->limits.parts_memory = 64L << 20;
	c->limits.expire_after = 0;	/* never */
	c->client.timeout = 30;
}
