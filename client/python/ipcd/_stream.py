"""The socket protocol over the Unix socket or TCP, as ipcctl speaks it.

Every connection opens with "hello 2" (after "auth TOKEN" over TCP when
[tcp] token_file is set), written together with the first request; their
replies are read, and checked, before the request's.  Each wait for ipcd
(connecting, room to write, a reply) takes at most the timeout.
"""

import errno
import os
import select
import socket
import stat
import time

from . import _conf, _proto
from ._errors import ConfigError, Unreachable

TOKEN_MAX = 256		# bytes of a token
WINDOW = 256		# requests in flight when submitting many values
REPLY_MAX = 64 * 1024	# bytes of one reply line, at most


def rundir_check(path):
    """Never talk to a socket in a user's /tmp directory that someone else
    could have made: it must be ours, a real directory, closed to others."""
    d = os.path.dirname(path)
    if d != _conf.RUNDIR_TMP_FMT % os.getuid():
        return
    try:
        st = os.lstat(d)
    except OSError as e:
        raise Unreachable("%s: %s" % (d, e.strerror)) from None
    if stat.S_ISLNK(st.st_mode):
        why = "is a symbolic link; refusing to follow it"
    elif not stat.S_ISDIR(st.st_mode):
        why = "is not a directory; refusing to use it"
    elif st.st_uid != os.geteuid():
        why = "belongs to uid %d, not to uid %d; refusing to trust it" \
            % (st.st_uid, os.geteuid())
    elif st.st_mode & 0o027:	# others: anything; the group: write
        why = "has mode %04o, open to others; refusing to use it" \
            % stat.S_IMODE(st.st_mode)
    else:
        return
    raise Unreachable("%s %s" % (d, why))


def token_read(file):
    """The token in FILE, refused when others could read or swap it."""
    what = "[tcp] token_file %s" % file
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK |
                     os.O_CLOEXEC)
    except OSError as e:
        raise ConfigError("%s: %s" % (what, "is a symbolic link; name the "
                          "file itself" if e.errno == errno.ELOOP
                          else e.strerror)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError("%s is not a regular file" % what)
        if st.st_mode & 0o007:
            raise ConfigError("%s may be used by other users (mode %04o); "
                              "run: chmod o-rwx %s"
                              % (what, stat.S_IMODE(st.st_mode), file))
        if st.st_size > TOKEN_MAX + 2:
            raise ConfigError("%s is longer than a token of %d bytes and a "
                              "line end" % (what, TOKEN_MAX))
        raw = os.read(fd, TOKEN_MAX + 3)
    finally:
        os.close(fd)
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if not 1 <= len(raw) <= TOKEN_MAX or any(b <= 32 or b >= 127
                                              for b in raw):
        raise ConfigError("%s: the token must be one line of 1 to %d "
                          "printable characters without spaces"
                          % (what, TOKEN_MAX))
    return raw.decode("ascii")


class Stream:
    """One connection to ipcd's socket protocol over VIA, "unix" or
    "tcp"."""

    def __init__(self, conf, via, timeout):
        self.via = via
        self.timeout = timeout
        self.pid = os.getpid()
        self._buf = b""
        self._pre = []		# replies owed to "auth" and "hello"
        token = None
        if via == "unix":
            self.sock = self._connect_unix(conf.unix_path)
        else:
            if conf.token_file:
                token = token_read(conf.token_file)
            self.sock = self._connect_tcp(conf.tcp_listen)
        self._out = b""
        if token is not None:
            self._out += b"auth %s\n" % token.encode()
            self._pre.append("auth")
        self._out += b"hello %d\n" % _proto.PROTO_VERSION
        self._pre.append("hello")

    def _connect_unix(self, path):
        rundir_check(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.monotonic() + self.timeout
        s.settimeout(self.timeout)
        while True:
            try:
                s.connect(path)
                return s
            except (BlockingIOError, InterruptedError):
                # A full backlog: retried until the timeout.
                if time.monotonic() < end:
                    time.sleep(0.01)
                    continue
                why = "its backlog stayed full"
            except socket.timeout:
                why = "gave up after %g s" % self.timeout
            except OSError as e:
                why = e.strerror or str(e)
                if e.errno in (errno.ENOENT, errno.ECONNREFUSED):
                    why += " (is ipcd running?)"
            s.close()
            raise Unreachable("cannot connect to %s: %s" % (path, why))

    def _connect_tcp(self, address):
        host, port = address
        text = "[%s]:%d" % address if ":" in host else "%s:%d" % address
        try:
            s = socket.create_connection(address, timeout=self.timeout)
        except socket.timeout:
            raise Unreachable("cannot connect to %s: gave up after %g s"
                              % (text, self.timeout)) from None
        except OSError as e:
            raise Unreachable("cannot connect to %s: %s%s" % (
                text, e.strerror or e, " (is ipcd running with [tcp] "
                "enabled?)" if e.errno == errno.ECONNREFUSED else "")) \
                from None
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def stale(self):
        """Between requests ipcd sends nothing unasked: a kept connection
        with something to read is one it closed (idle_timeout, a restart),
        and what is there is its goodbye, not an answer."""
        return bool(self._buf) or \
            bool(select.select([self.sock], [], [], 0)[0])

    def send(self, data):
        """Write DATA (and the hello, on a fresh connection)."""
        data, self._out = self._out + data, b""
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise Unreachable("gave up after %g s waiting for room to send "
                              "to ipcd (is ipcd stopped or stuck?)"
                              % self.timeout) from None
        except OSError as e:
            # ipcd's reason may be there to read (it refuses a client
            # beyond max_clients, then closes).
            try:
                return self.readline("the reason", 0.1)
            except Unreachable:
                pass
            raise Unreachable("cannot write to ipcd: %s"
                              % (e.strerror or e)) from None
        return None

    def _line(self, what, timeout):
        """The next line, waiting at most TIMEOUT for each read (0: as long
        as it takes)."""
        while b"\n" not in self._buf:
            if len(self._buf) > REPLY_MAX:
                raise Unreachable("ipcd sent a malformed reply line")
            self.sock.settimeout(timeout if timeout > 0 else None)
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                raise Unreachable("gave up after %g s waiting for the reply "
                                  "to \"%s\" (is ipcd stopped or stuck?)"
                                  % (timeout, what)) from None
            except OSError as e:
                raise Unreachable("lost the connection to ipcd: %s"
                                  % (e.strerror or e)) from None
            if not b:
                raise Unreachable("ipcd closed the connection")
            self._buf += b
        line, _, self._buf = self._buf.partition(b"\n")
        if b"\0" in line:
            raise Unreachable("ipcd sent a malformed reply line")
        return line.decode("latin-1")

    def readline(self, what, timeout=None):
        """The next reply line, after those owed to "auth" and "hello";
        TIMEOUT as in _line, None for the connection's own."""
        while self._pre:
            pre = self._pre[0]
            line = self._line(pre, self.timeout)
            self._pre.pop(0)
            if pre == "auth":
                if line.split(" ", 1)[0] != "ok":
                    raise Unreachable("ipcd refused the connection: %s"
                                      % line)
                continue
            word = line.split(" ")
            if word[0] == "ok" and \
                    _proto.fields(line).get("proto") == _proto.PROTO_VERSION:
                continue
            if line.startswith('err usage unknown request "hello"'):
                continue	# an ipcd of protocol 1
            if word[0] == "ok":
                raise Unreachable("ipcd speaks protocol %s, this module "
                                  "protocol %d" % (
                                      _proto.fields(line).get("proto"),
                                      _proto.PROTO_VERSION))
            if line.startswith("err limit "):
                self._pre.clear()
                return line	# the answer to the request too
            if line.startswith("err denied "):
                raise Unreachable("ipcd refused the connection: %s" % line)
            _proto.status(line)	# err version, and anything else
            raise Unreachable("unexpected reply to \"hello\": %r" % line)
        return self._line(what, self.timeout if timeout is None else timeout)

    def request(self, line, timeout=None):
        """Send one request and return its reply line."""
        reason = self.send(line.encode("ascii") + b"\n")
        if reason is not None:
            return reason
        return self.readline(line.split(" ", 1)[0], timeout)
