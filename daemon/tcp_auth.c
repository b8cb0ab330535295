/* The token gate of the tcp transport; see tcp_auth.h. */

#include <string.h>

#include "ctl.h"
#include "log.h"
#include "tcp_auth.h"
#include "token.h"

static struct {
	int	required;
	char	token[TOKEN_MAX + 1];
	size_t	len;
} ta;

int
tcp_auth_open(const struct conf *c, char **cause)
{
	char	token[TOKEN_MAX + 1];
	size_t	len;

	if (c->tcp.token_file[0] == '\0') {
		tcp_auth_close();
		return 0;
	}
	if (token_read(c->tcp.token_file, token, &len, cause) != 0)
		return -1;
	memcpy(ta.token, token, len + 1);
	ta.len = len;
	ta.required = 1;
	explicit_bzero(token, sizeof token);
	return 0;
}

void
tcp_auth_close(void)
{
	explicit_bzero(ta.token, sizeof ta.token);
	ta.len = 0;
	ta.required = 0;
}

/* Refuse C: said, counted, logged; then let it go. */
static void
gate_refuse(struct conn *c, const char *cause, const char *msg)
{
	server_reject(TR_TCP, RJ_DENIED, cause, conn_peer(c));
	conn_reply(c, "err %s %s", ERR_DENIED, msg);
	conn_shut(c);
}

/* The first request: "auth TOKEN" with the right token, or the end. */
static void
gate_request(struct conn *c, char *line, size_t len)
{
	size_t	n = strlen(REQ_AUTH);
	char	*tok;

	if (len <= n || strncmp(line, REQ_AUTH, n) != 0 ||
	    (line[n] != ' ' && line[n] != '\t')) {
		gate_refuse(c, "no token", "this connection must begin with \""
		    REQ_AUTH " TOKEN\" ([tcp] token_file)");
		return;
	}
	tok = line + n + strspn(line + n, " \t");
	len -= (size_t)(tok - line);
	while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		len--;
	if (!token_equal(tok, len, ta.token, ta.len)) {
		explicit_bzero(line, strlen(line));
		gate_refuse(c, "wrong token", "wrong token");
		return;
	}
	explicit_bzero(line, strlen(line));
	conn_set_handler(c, &ctl_handler);
	conn_write(c, "ok\n", 3);
}

static const struct stream_handler gate_handler = {
	.request = gate_request,
};

const struct stream_handler *
tcp_auth_handler(void)
{
	return ta.required ? &gate_handler : &ctl_handler;
}
