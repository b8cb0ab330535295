"""Submit partial sums to ipcd and read exact totals, from Python.

    import ipcd
    with ipcd.Client() as c:                      # as ipcctl finds ipcd
        c.submit(0.25, key="run42", part=(3, 10), via="fifo")
        t = c.result("run42", wait=True, timeout=60)
        print(t.total, t.parts, t.nparts)

Transports: "unix" (the default) and "tcp" speak ipcd's socket protocol
from this module, "fifo" writes records to the named pipe; "mq", "shm",
"sysv" and "spool" go through the C library libipcd with ctypes
($IPCD_LIBRARY if set, else libipcd.so.0), loaded when first asked for:
NoLibrary (an ImportError) if it is not installed.  Queries (result,
keys, stats, ping, reset) go over "unix", or "tcp" if asked.

The configuration is found as ipcctl finds it: the file given, else
$IPCD_CONFIG, else /etc/ipcd/ipcd.conf if it exists, else the embedded
defaults (for root the system paths, for anybody else their own under
$XDG_RUNTIME_DIR/ipcd or /tmp/ipcd-UID).  Each wait for ipcd takes at
most [client] timeout seconds (30), or the timeout given to Client.

Errors are exceptions, all ipcd.Error: Rejected (also a ValueError: a
bad value, key or part, here or in ipcd, a conflicting part count, an
unknown key), Unreachable (also a ConnectionError: no ipcd, lost, silent
past the timeout, another protocol), Timeout (also a TimeoutError: a
wait for parts ran out), ConfigError, NoLibrary.  A repeated part is not
an error: submit() returns False.

A Client may be used in one thread at a time.  After a fork, the child
opens connections of its own on first use (it never uses, or flushes,
its parent's).
"""

import collections
import math
import os

from . import _conf, _proto
from ._conf import Config
from ._errors import (ConfigError, Error, NoLibrary, Rejected, Timeout,
                      Unreachable)
from ._fifo import Fifo
from ._stream import WINDOW, Stream

__all__ = ["Client", "Config", "Total", "Error", "Rejected", "Unreachable",
           "Timeout", "ConfigError", "NoLibrary", "TRANSPORTS",
           "library_version"]
__version__ = "0.1.0"

STREAMS = ("unix", "tcp")
LIBRARY = ("mq", "shm", "sysv", "spool")
TRANSPORTS = STREAMS + ("fifo",) + LIBRARY

# Seconds of a Client's timeout, as ipcctl --timeout and libipcd's
# ipcd_set_timeout take them.
TIMEOUT_MIN = 0.001
TIMEOUT_MAX = 86400.0 * 365

Total = collections.namedtuple(
    "Total", "key total count min max parts nparts duplicates overflow "
    "updated", defaults=(None,))
Total.__doc__ = """What ipcd knows of a key.

key         the key
total       the exact sum of its values, rounded once to a float; None
            when it is beyond a float's range (then overflow is True)
count       accepted submissions
min, max    the smallest and largest value
parts       parts received; nparts: N of I/N, 0 for a key of plain values
duplicates  repeated parts, not counted again
updated     when a submission was last applied, in seconds since the
            epoch (None from an ipcd that does not say)
"""


def _float(v):
    return None if v is None else float(v)


def _total(f):
    return Total(f.get("key"), _float(f.get("total")), f.get("count", 0),
                 _float(f.get("min")), _float(f.get("max")),
                 f.get("parts", 0),
                 f.get("nparts", 0), f.get("duplicates", 0),
                 bool(f.get("overflow", False)), _float(f.get("updated")))


def library_version():
    """libipcd's version; NoLibrary if it cannot be loaded."""
    from . import _lib
    return _lib.version()


class Client:
    """A client of ipcd as configured by CONFIG (a path, or None to find
    it as ipcctl does).  Nothing is connected until first needed;
    connections are kept for the next call until close()."""

    def __init__(self, config=None, timeout=None):
        self.config = Config(_conf.find(config))
        if timeout is not None:
            if not TIMEOUT_MIN <= timeout <= TIMEOUT_MAX:
                raise ValueError("timeout must be seconds, from %g to %.0f"
                                 % (TIMEOUT_MIN, TIMEOUT_MAX))
            self.timeout = float(timeout)
        else:
            self.timeout = self.config.timeout
        self._streams = {}
        self._fifo = None
        self._lib = None

    def __repr__(self):
        return "<ipcd.Client %s>" % (self.config.file or "embedded defaults")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Close every connection (and flush what the library holds)."""
        for s in self._streams.values():
            s.close()
        self._streams.clear()
        if self._fifo is not None:
            self._fifo.close()
            self._fifo = None
        lib, self._lib = self._lib, None
        if lib is not None:
            lib.close()

    # Connections, opened on first use, and again in a forked child.

    def _stream(self, via):
        if via not in STREAMS:
            raise ValueError("via must be one of %s for this request, not "
                             "%r" % (", ".join(STREAMS), via))
        s = self._streams.get(via)
        if s is not None and s.pid != os.getpid():
            s.close()	# the child's copy of the parent's socket
            s = None
        if s is not None and s.stale():
            s.close()	# ipcd closed it
            s = None
        if s is None:
            s = self._streams[via] = Stream(self.config, via, self.timeout)
        return s

    def _request(self, line, via="unix", timeout=None):
        """One request's reply line; a lost connection is forgotten so
        that the next call connects again."""
        s = self._stream(via)
        try:
            return s.request(line, timeout)
        except BaseException:
            # Lost, or cut short by the caller (a signal handler's
            # exception): a reply may still come on it, for the next
            # request to take as its own.
            self._drop(via)
            raise

    def _drop(self, via):
        s = self._streams.pop(via, None)
        if s is not None:
            s.close()

    def _fifo_open(self):
        if self._fifo is not None and self._fifo.pid != os.getpid():
            self._fifo.close()
            self._fifo = None
        if self._fifo is None:
            self._fifo = Fifo(self.config.fifo_path, self.timeout)
        return self._fifo

    def _library(self):
        from . import _lib
        if self._lib is not None and self._lib.pid != os.getpid():
            self._lib = None	# the parent's: neither used nor closed
        if self._lib is None:
            self._lib = _lib.Handle(self.config.file, self.timeout)
        return self._lib

    # Submitting.

    def submit(self, value, key=_proto.DEFAULT_KEY, part=None, via="unix"):
        """Add VALUE (a finite number) to KEY over transport VIA, as part
        PART = (I, N) or "I/N" if given.  True when counted (as far as a
        transport without answers can tell: fifo, mq, sysv), False when
        ipcd already had that part.  Value, key and part are checked
        before anything is sent (Rejected)."""
        return self.submit_many([value], key, part=part, via=via) == 1

    def submit_many(self, values, key=_proto.DEFAULT_KEY, part=None,
                    via="unix"):
        """Add every value of VALUES to KEY over VIA, all checked before
        any is sent, pipelined where ipcd answers.  PART is for a single
        value.  The number counted; a rejection raises Rejected (after the
        others were sent) naming the value."""
        if via not in TRANSPORTS:
            raise ValueError("via must be one of %s, not %r"
                             % (", ".join(TRANSPORTS), via))
        key = _proto.check_key(key)
        values = [_proto.check_value(v) for v in values]
        part = _proto.check_part(part)
        if part[1] and len(values) != 1:
            raise ValueError("a part is one value, not %d" % len(values))
        if via in STREAMS:
            return self._submit_stream(via, key, values, part)
        if via == "fifo":
            self._fifo_open().write([_proto.record(key, v, part)
                                     for v in values])
            return len(values)
        lib = self._library()
        return len(values) - lib.submit_many(
            via, [(key, v, part) for v in values])

    def _submit_stream(self, via, key, values, part):
        s = self._stream(via)
        counted, rejected = 0, None
        try:
            for i in range(0, len(values), WINDOW):
                window = values[i:i + WINDOW]
                reason = s.send("".join("submit " + _proto.record(key, v,
                                                                  part)
                                        for v in window).encode("ascii"))
                if reason is not None:
                    _proto.status(reason)
                for v in window:
                    line = s.readline("submit")
                    try:
                        counted += _proto.status(line) == 0
                    except Rejected as e:
                        if rejected is None:
                            rejected = Rejected("%s %r: %s" % (key, v, e),
                                                e.code)
        except BaseException:
            # Lost, refused as a whole (a limit: ipcd closes it), or cut
            # short with replies still to come.
            self._drop(via)
            raise
        if rejected is not None:
            raise rejected
        return counted

    # Asking.

    def result(self, key=_proto.DEFAULT_KEY, wait=False, timeout=None,
               via="unix"):
        """KEY's Total.  With WAIT (or a TIMEOUT), first wait until all of
        KEY's parts are in, for at most TIMEOUT seconds (None: as long as
        it takes), else Timeout naming the missing parts.  A key ipcd does
        not know is Rejected with code "nokey"."""
        key = _proto.check_key(key)
        if timeout is not None:
            if not 0 <= timeout <= TIMEOUT_MAX:	# ipcd's longest wait
                raise ValueError("timeout must be seconds, from 0 to %.0f"
                                 % TIMEOUT_MAX)
            wait = True
        if not wait:
            line = self._request("result " + key, via)
        else:
            # "wait KEY 0" waits without end: a timeout of 0 (or less
            # than a millisecond) is the shortest wait ipcd knows.
            ms = max(1, math.ceil(timeout * 1000)) \
                if timeout is not None else 0
            # ipcd says when the wait ran out; the socket's own timeout
            # starts after that.
            line = self._request("wait %s %d" % (key, ms), via,
                                 timeout + self.timeout if ms else 0)
        _proto.status(line)
        return _total(_proto.fields(line))

    def keys(self, glob=None, via="unix", limit=100):
        """Every key's Total (those matching the fnmatch pattern GLOB),
        following ipcd's cursor page by page (LIMIT keys a page)."""
        if glob is not None:
            _proto.check_glob(glob)
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be from 1 to 1000")
        out, cursor = [], 0
        while True:
            req = "keys limit=%d" % limit
            if cursor:
                req += " cursor=%d" % cursor
            if glob is not None:
                req += " match=" + glob
            line = self._request(req, via)
            _proto.status(line)
            head = _proto.fields(line)
            s = self._streams[via]
            for _ in range(int(head.get("count", 0))):
                try:
                    out.append(_total(_proto.fields(s.readline("keys"),
                                                      False)))
                except BaseException:	# lines of the page still to come
                    self._drop(via)
                    raise
            sent, cursor = cursor, head.get("cursor", 0)
            if not cursor:
                return out
            if cursor == sent:
                raise Error("keys: ipcd gave the same cursor again")

    def stats(self, via="unix"):
        """ipcd's counters as a dict ("keys", "unix.accepted", ...)."""
        line = self._request("stats", via)
        _proto.status(line)
        return _proto.fields(line)

    def ping(self, via="unix"):
        """Is ipcd there?  Its proto, version and pid as a dict; raises
        Unreachable if not."""
        line = self._request("ping", via)
        _proto.status(line)
        return _proto.fields(line)

    def reset(self, key=_proto.DEFAULT_KEY, all=False, via="unix"):
        """Remove KEY (or, with ALL, every key): the number removed.  For
        ipcd's owner and root only, unless configured (Rejected with code
        "denied")."""
        arg = "*" if all else _proto.check_key(key)
        line = self._request("reset " + arg, via)
        _proto.status(line)
        return _proto.fields(line).get("removed", 0)
