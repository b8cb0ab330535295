/* Configuration: defaults, the key table and the inih loader. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "netaddr.h"
#include "proto.h"
#include "rundir.h"
#include "shm.h"
#include "sysvkey.h"
#include "util.h"
#include "xmalloc.h"

enum conf_type { T_BOOL, T_PATH, T_OPTPATH, T_MODE, T_GROUP, T_IPCNAME,
    T_LONG, T_DURATION, T_SYNC, T_ADMIN, T_STRING };

/* The words of the enumerated types, indexed by value. */
static const char *const sync_names[] = {
	[SYNC_NEVER] = "never", [SYNC_BATCH] = "batch", [SYNC_ALWAYS] = "always",
	NULL
};
static const char *const admin_names[] = {
	[ADMIN_OWNER] = "owner", [ADMIN_ANYONE] = "anyone", NULL
};

struct conf_key {
	const char	*section;
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;
	long		 min, max;	/* T_LONG, T_DURATION (seconds) */
	/* T_STRING: the room that reads the value checks it. */
	int		(*check)(const char *, const char **);
	size_t		 size;		/* T_STRING: of the field */
};

#define K(sec, name, type, field) \
	{ sec, name, type, offsetof(struct conf, field), 0, 0, NULL, 0 }
#define KL(sec, name, field, min, max) \
	{ sec, name, T_LONG, offsetof(struct conf, field), min, max, NULL, 0 }
#define KD(sec, name, field, max) \
	{ sec, name, T_DURATION, offsetof(struct conf, field), 0, max, NULL, 0 }
#define KS(sec, name, field, check) \
	{ sec, name, T_STRING, offsetof(struct conf, field), 0, 0, check, \
	    sizeof ((struct conf *)0)->field }
/* The keys of a filesystem endpoint, [unix] and [fifo] alike. */
#define ENDPOINT(sec, field) \
	K(sec, "enabled", T_BOOL, field.enabled), \
	K(sec, "path", T_PATH, field.path), \
	K(sec, "mode", T_MODE, field.mode), \
	K(sec, "group", T_GROUP, field.group)

/* [spool]: a directory instead of a path. */
#define ENDPOINT_DIR(sec, field) \
	K(sec, "enabled", T_BOOL, field.enabled), \
	K(sec, "dir", T_PATH, field.dir), \
	K(sec, "mode", T_MODE, field.mode), \
	K(sec, "group", T_GROUP, field.group)

static const struct conf_key conf_keys[] = {
	ENDPOINT("unix", unix_),
	K("unix", "admin", T_ADMIN, unix_.admin),
	ENDPOINT("fifo", fifo),
	K("mq", "enabled", T_BOOL, mq.enabled),
	K("mq", "name", T_IPCNAME, mq.name),
	K("mq", "mode", T_MODE, mq.mode),
	KL("mq", "max_messages", mq.max_messages, 1, 65536),
	KL("mq", "message_size", mq.message_size, 128, 1048576),
	K("shm", "enabled", T_BOOL, shm.enabled),
	K("shm", "name", T_IPCNAME, shm.name),
	K("shm", "mode", T_MODE, shm.mode),
	KL("shm", "slots", shm.slots, 1, SHM_SLOTS_MAX),
	K("tcp", "enabled", T_BOOL, tcp.enabled),
	KS("tcp", "listen", tcp.listen, netaddr_check_listen),
	KS("tcp", "allow", tcp.allow, netaddr_check_allow),
	K("tcp", "token_file", T_OPTPATH, tcp.token_file),
	K("tcp", "admin", T_BOOL, tcp.admin),
	K("sysv", "enabled", T_BOOL, sysv.enabled),
	KS("sysv", "key", sysv.key, sysvkey_check),
	K("sysv", "mode", T_MODE, sysv.mode),
	ENDPOINT_DIR("spool", spool),
	KL("spool", "max_file_bytes", spool.max_file_bytes, 0, 1L << 40),
	K("http", "enabled", T_BOOL, http.enabled),
	KS("http", "listen", http.listen, netaddr_check_listen),
	KL("http", "max_clients", http.max_clients, 1, 10000),
	K("export", "textfile", T_OPTPATH, export_.textfile),
	KL("export", "interval", export_.interval, 1, 86400),
	K("state", "file", T_PATH, state.file),
	K("state", "sync", T_SYNC, state.sync),
	KL("state", "compact_bytes", state.compact_bytes, 4096, 1L << 40),
	KL("limits", "max_clients", limits.max_clients, 1, 1000000),
	KL("limits", "max_keys", limits.max_keys, 1, 100000000),
	KL("limits", "max_record_bytes", limits.max_record_bytes, 16, 4096),
	KL("limits", "idle_timeout", limits.idle_timeout, 0, 86400),
	KL("limits", "max_clients_per_uid", limits.max_clients_per_uid, 0,
	    1000000),
	KL("limits", "max_parts", limits.max_parts, 1, IPCD_PARTS_MAX),
	KL("limits", "parts_memory", limits.parts_memory, 4096, 1L << 40),
	KD("limits", "expire_after", limits.expire_after, DURATION_MAX),
	KL("client", "timeout", client.timeout, 1, 86400),
};

/* A path, a group or an IPC name, checked, into P. */
static int
set_string(enum conf_type type, char *p, const char *v, const char **cause)
{
	switch (type) {
	case T_OPTPATH:
		if (*v == '\0') {
			*p = '\0';
			return 0;
		}
		/* FALLTHROUGH */
	case T_PATH:
		if (*v != '/') {
			*cause = "expected an absolute path";
			return -1;
		}
		if (strlen(v) >= PATH_MAX - 1) {
			*cause = "path too long";
			return -1;
		}
		strcpy(p, v);
		return 0;
	case T_GROUP:
		if (strlen(v) > CONF_NAME_MAX) {
			*cause = "group name too long";
			return -1;
		}
		if (*v != '\0' && getgrnam(v) == NULL) {
			*cause = "no such group";
			return -1;
		}
		strcpy(p, v);
		return 0;
	case T_IPCNAME:
		if (v[0] != '/' || v[1] == '\0' || strchr(v + 1, '/') != NULL ||
		    strlen(v) > CONF_NAME_MAX) {
			*cause = "expected a name like /ipcd: one leading slash, "
			    "no other, at most " CONF_NAME_MAX_STR " characters";
			return -1;
		}
		strcpy(p, v);
		return 0;
	default:
		break;
	}
	*cause = "internal error: not a string key";
	return -1;
}

static int
set_value(struct conf *c, const struct conf_key *k, const char *v,
    const char **cause)
{
	char		*p = (char *)c + k->offset, *end;
	const char *const *names;
	long		 l;

	switch (k->type) {
	case T_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
		    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
			*(int *)p = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
		    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
			*(int *)p = 0;
		else {
			*cause = "expected yes or no";
			return -1;
		}
		return 0;
	case T_PATH:
	case T_OPTPATH:
	case T_GROUP:
	case T_IPCNAME:
		return set_string(k->type, p, v, cause);
	case T_STRING:
		if (strlen(v) >= k->size) {
			static _Thread_local char msg[64];
			snprintf(msg, sizeof msg, "longer than the %zu bytes "
			    "it may have", k->size - 1);
			*cause = msg;
			return -1;
		}
		if (k->check != NULL && k->check(v, cause) != 0)
			return -1;
		strcpy(p, v);
		return 0;
	case T_MODE:
		errno = 0;
		l = strtol(v, &end, 8);
		if (*v == '\0' || *end != '\0' || errno != 0 || l < 0 ||
		    l > 0777) {
			*cause = "expected an octal mode from 0 to 0777";
			return -1;
		}
		*(mode_t *)p = (mode_t)l;
		return 0;
	case T_SYNC:
	case T_ADMIN:
		names = k->type == T_SYNC ? sync_names : admin_names;
		for (l = 0; names[l] != NULL; l++)
			if (strcmp(v, names[l]) == 0) {
				*(int *)p = (int)l;
				return 0;
			}
		*cause = k->type == T_SYNC ? "expected always, batch or never" :
		    "expected owner or anyone";
		return -1;
	case T_LONG:
		errno = 0;
		l = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || l < k->min ||
		    l > k->max) {
			static _Thread_local char msg[80];
			snprintf(msg, sizeof msg,
			    "expected a whole number from %ld to %ld",
			    k->min, k->max);
			*cause = msg;
			return -1;
		}
		*(long *)p = l;
		return 0;
	case T_DURATION:
		if (duration_parse(v, &l, cause) != 0)
			return -1;
		*(long *)p = l;
		return 0;
	}
	*cause = "internal error: unknown key type";
	return -1;
}

struct conf_parse {
	struct conf	*conf;
	const char	*file;
	FILE		*f;
	int		 line;
	char		*error;		/* the first error, "FILE:LINE: ..." */
};

static void
parse_error(struct conf_parse *cp, const char *section, const char *name,
    const char *msg)
{
	if (cp->error != NULL)
		return;
	if (section != NULL)
		cp->error = fmtstr("%s:%d: [%s] %s: %s", cp->file,
		    cp->line, section, name, msg);
	else
		cp->error = fmtstr("%s:%d: %s", cp->file, cp->line,
		    msg);
}

/* An fgets for inih that counts lines and refuses, rather than silently
 * truncates, a line longer than inih's buffer. */
static char *
conf_reader(char *str, int num, void *arg)
{
	struct conf_parse	*cp = arg;
	int			 c, n = 0, toolong = 0;

	while ((c = getc(cp->f)) != EOF) {
		if (n < num - 2)
			str[n++] = (char)c;
		else if (c != '\n')
			toolong = 1;
		if (c == '\n')
			break;
	}
	if (n == 0 && c == EOF)
		return NULL;
	cp->line++;
	if (toolong) {
		parse_error(cp, NULL, NULL, "line too long");
		strcpy(str, "#\n");	/* keep inih from seeing half a line */
		return str;
	}
	str[n] = '\0';
	return str;
}

static int
conf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct conf_parse	*cp = arg;
	const char		*cause;
	size_t			 i;

	for (i = 0; i < sizeof conf_keys / sizeof conf_keys[0]; i++) {
		if (strcmp(conf_keys[i].section, section) != 0 ||
		    strcmp(conf_keys[i].name, name) != 0)
			continue;
		if (set_value(cp->conf, &conf_keys[i], value, &cause) != 0) {
			parse_error(cp, section, name, cause);
			return 0;
		}
		return 1;
	}
	if (*section == '\0')
		parse_error(cp, "", name, "key outside any section");
	else
		parse_error(cp, section, name, "unknown key");
	return 0;
}

/* "-c /dev/null", the usual way to say "no file", reads as an empty one. */
static int
conf_devnull(const struct stat *st)
{
	struct stat	null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && st->st_rdev == null.st_rdev;
}

/*
 * Open FILE for reading if it is a regular file of at most CONF_SIZE_MAX
 * bytes.  A symlink to one is fine (/etc/ipcd/ipcd.conf may be one); the
 * check is on what was opened, and O_NONBLOCK keeps a FIFO from blocking
 * the open.  /dev/zero or a FIFO would otherwise be read for ever.
 */
static FILE *
conf_open(const char *file, char **cause)
{
	struct stat	 st;
	FILE		*f;
	int		 fd;

	if ((fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		*cause = fmtstr("%s: %s", file, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		*cause = fmtstr("%s: %s", file, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) && !conf_devnull(&st)) {
		*cause = fmtstr("%s is %s, not a regular file", file,
		    S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ?
		    "a FIFO" : S_ISCHR(st.st_mode) ? "a character device" :
		    "a special file");
		close(fd);
		return NULL;
	}
	if (st.st_size > CONF_SIZE_MAX) {
		*cause = fmtstr("%s is %lld bytes, larger than the %d a "
		    "configuration may be", file, (long long)st.st_size,
		    CONF_SIZE_MAX);
		close(fd);
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		*cause = fmtstr("%s: %s", file, strerror(errno));
		close(fd);
	}
	return f;
}

/* What the keys cannot check one by one: the values as a whole, whether
 * they came from FILE or from the defaults. */
static int
conf_check(const struct conf *c, const char *file, char **cause)
{
	if (strlen(c->unix_.path) > CONF_SOCKPATH_MAX) {
		*cause = fmtstr("%s: [unix] path: %s is %zu bytes, longer than "
		    "the %zu a socket address holds", file != NULL ? file :
		    "embedded defaults", c->unix_.path, strlen(c->unix_.path),
		    CONF_SOCKPATH_MAX);
		return -1;
	}
	return 0;
}

/* Parse the open file CP->f into CP->conf; the first error in CP->error. */
static void
conf_parse(struct conf_parse *cp)
{
	int	r;

	/* Continuation lines would make line numbers lie; a stray indented
	 * line is better reported than silently joined to the key above. */
	ini_allow_multiline = 0;
	r = ini_parse_stream(conf_reader, cp, conf_handler, cp);
	if (ferror(cp->f) && cp->error == NULL)
		cp->error = fmtstr("%s: read error", cp->file);
	if (r > 0 && cp->error == NULL) {
		cp->line = r;
		parse_error(cp, NULL, NULL, "syntax error (expected [section] "
		    "or key = value)");
	}
	if (r != 0 && cp->error == NULL)
		cp->error = fmtstr("%s: parse error", cp->file);
}

/*
 * Load FILE (or nothing, if NULL) over the defaults into *out.  *out is
 * written only on success; on failure *cause says which file, line and key.
 */
int
conf_load(const char *file, struct conf *out, char **cause)
{
	struct conf_parse	 cp;
	struct conf		*c;

	*cause = NULL;
	c = xmalloc(sizeof *c);
	conf_defaults(c);
	memset(&cp, 0, sizeof cp);
	if (file != NULL && strlen(file) >= sizeof c->file)
		*cause = fmtstr("%s: name too long", file);
	else if (file != NULL && (cp.f = conf_open(file, cause)) != NULL) {
		strcpy(c->file, file);
		cp.conf = c;
		cp.file = file;
		conf_parse(&cp);
		fclose(cp.f);
		*cause = cp.error;
	}
	if (*cause == NULL && conf_check(c, file, cause) == 0)
		*out = *c;
	free(c);
	return *cause == NULL ? 0 : -1;
}

/* The effective configuration as an INI file (ipcd -n -v). */
void
conf_print(const struct conf *c)
{
	const char	*cur = "";
	const char	*p;
	char		 buf[DURATION_TEXT_MAX];
	size_t		 i;

	for (i = 0; i < sizeof conf_keys / sizeof conf_keys[0]; i++) {
		const struct conf_key *k = &conf_keys[i];

		p = (const char *)c + k->offset;
		if (strcmp(cur, k->section) != 0)
			printf("%s[%s]\n", i == 0 ? "" : "\n", cur = k->section);
		printf("%s = ", k->name);
		switch (k->type) {
		case T_BOOL:
			printf("%s\n", *(const int *)p ? "yes" : "no");
			break;
		case T_MODE:
			printf("%04o\n", (unsigned)*(const mode_t *)p);
			break;
		case T_LONG:
			printf("%ld\n", *(const long *)p);
			break;
		case T_DURATION:
			duration_format(buf, sizeof buf, *(const long *)p);
			printf("%s\n", buf);
			break;
		case T_SYNC:
			printf("%s\n", sync_names[*(const int *)p]);
			break;
		case T_ADMIN:
			printf("%s\n", admin_names[*(const int *)p]);
			break;
		default:
			printf("%s\n", p);
			break;
		}
	}
}
