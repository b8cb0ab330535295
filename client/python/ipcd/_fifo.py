"""Submitting over the FIFO: whole records in writes of at most PIPE_BUF
bytes, which the kernel keeps atomic; non-blocking, a full pipe waited
for at most the timeout."""

import errno
import os
import select

from ._errors import Unreachable

PIPE_BUF = select.PIPE_BUF


class Fifo:
    def __init__(self, path, timeout):
        self.timeout = timeout
        self.pid = os.getpid()
        try:
            # With no reader, open fails with ENXIO instead of hanging
            # until ipcd starts.
            self.fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK |
                              os.O_CLOEXEC)
        except OSError as e:
            raise Unreachable("%s: %s%s" % (
                path, e.strerror, " (nobody reads the FIFO: is ipcd "
                "running?)" if e.errno in (errno.ENXIO, errno.ENOENT)
                else "")) from None

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def write(self, records):
        """Write the record lines RECORDS, packed into writes of at most
        PIPE_BUF bytes, each all or nothing."""
        buf = b""
        for r in records:
            r = r.encode("ascii")
            if len(buf) + len(r) > PIPE_BUF:
                self._write(buf)
                buf = b""
            buf += r
        if buf:
            self._write(buf)

    def _write(self, buf):
        poll = select.poll()
        poll.register(self.fd, select.POLLOUT)
        while True:
            try:
                n = os.write(self.fd, buf)
            except BlockingIOError:
                if not poll.poll(self.timeout * 1000):
                    raise Unreachable("gave up after %g s waiting for room "
                                      "in the FIFO (is ipcd stopped or "
                                      "stuck?)" % self.timeout) from None
                continue
            except InterruptedError:
                continue
            except OSError as e:
                raise Unreachable("cannot write to the FIFO: %s"
                                  % e.strerror) from None
            if n != len(buf):
                raise Unreachable("cannot write to the FIFO: short write")
            return
