"""The transports this module does not speak itself (mq, sysv, shm,
spool), through libipcd with ctypes, so that each of their protocols
lives in one place, the C library (see libipcd(3)).  The library is
$IPCD_LIBRARY if set, else libipcd.so.0 from the system's library path,
loaded when first needed."""

import ctypes
import os

from ._errors import Error, NoLibrary, Rejected, Timeout, Unreachable

IPCD_OK = 0
IPCD_DUPLICATE = 1
IPCD_EFAIL = -1
IPCD_EINVAL = -2
IPCD_EUNREACHABLE = -3
IPCD_EREJECTED = -4
IPCD_ETIMEOUT = -5


class _Total(ctypes.Structure):
    _fields_ = [
        ("total", ctypes.c_double),
        ("count", ctypes.c_ulonglong),
        ("min", ctypes.c_double),
        ("max", ctypes.c_double),
        ("parts", ctypes.c_uint),
        ("nparts", ctypes.c_uint),
        ("overflow", ctypes.c_int),
    ]


_lib = None


def _declare(lib):
    """The types of every function this module calls; AttributeError if
    LIB lacks one."""
    c = ctypes.c_void_p
    lib.ipcd_version.restype = ctypes.c_char_p
    lib.ipcd_version.argtypes = []
    lib.ipcd_open.argtypes = [ctypes.POINTER(c), ctypes.c_char_p]
    lib.ipcd_open.restype = ctypes.c_int
    lib.ipcd_close.argtypes = [c]
    lib.ipcd_close.restype = None
    lib.ipcd_error.argtypes = [c]
    lib.ipcd_error.restype = ctypes.c_char_p
    lib.ipcd_set_timeout.argtypes = [c, ctypes.c_double]
    lib.ipcd_set_timeout.restype = ctypes.c_int
    lib.ipcd_submit.argtypes = [c, ctypes.c_char_p, ctypes.c_char_p,
                                ctypes.c_double, ctypes.c_uint,
                                ctypes.c_uint]
    lib.ipcd_submit.restype = ctypes.c_int
    lib.ipcd_flush.argtypes = [c]
    lib.ipcd_flush.restype = ctypes.c_int
    lib.ipcd_result.argtypes = [c, ctypes.c_char_p, ctypes.c_int,
                                ctypes.POINTER(_Total)]
    lib.ipcd_result.restype = ctypes.c_int
    lib.ipcd_ping.argtypes = [c]
    lib.ipcd_ping.restype = ctypes.c_int


def library():
    """The loaded libipcd, its functions declared; NoLibrary if it is not
    there."""
    global _lib
    if _lib is not None:
        return _lib
    name = os.environ.get("IPCD_LIBRARY") or "libipcd.so.0"
    try:
        lib = ctypes.CDLL(name)
        _declare(lib)
    except (OSError, AttributeError) as e:
        # AttributeError: a library without every function (too old).
        raise NoLibrary("cannot load libipcd (%s): %s; install libipcd0, or "
                        "set IPCD_LIBRARY to the library's path"
                        % (name, e), name="libipcd", path=name) from None
    _lib = lib
    return lib


class Handle:
    """One struct ipcd of the library, for one process."""

    def __init__(self, file, timeout):
        lib = library()
        self.pid = os.getpid()
        self.h = ctypes.c_void_p()
        r = lib.ipcd_open(ctypes.byref(self.h),
                          None if file is None else os.fsencode(file))
        if r != IPCD_OK:
            msg = self.error()
            self.close()
            raise _exception(r, msg)
        self._check(lib.ipcd_set_timeout(self.h, timeout))

    def error(self):
        if not self.h:
            return "out of memory"
        return library().ipcd_error(self.h).decode("utf-8", "replace")

    def _check(self, r):
        if r < 0:
            raise _exception(r, self.error())
        return r

    def close(self):
        """Send what is pending and free the handle (in the process that
        opened it: a child must not flush its parent's submissions)."""
        if self.h and self.pid == os.getpid():
            lib = library()
            r = lib.ipcd_flush(self.h)
            msg = self.error() if r < 0 else ""
            lib.ipcd_close(self.h)
            self.h = ctypes.c_void_p()
            if r < 0:
                raise _exception(r, msg)
        self.h = ctypes.c_void_p()

    def submit(self, via, key, value, part):
        """1 for a duplicate part, else 0; raises on any failure.  The
        submission is flushed: its answer is known when this returns."""
        lib = library()
        r = self._check(lib.ipcd_submit(self.h, via.encode(), key.encode(),
                                        value, part[0], part[1]))
        return max(r, self._check(lib.ipcd_flush(self.h)))

    def submit_many(self, via, items):
        """Submit (key, value, part) ITEMS, then flush once: the number of
        duplicates, as far as the transport tells."""
        lib = library()
        dups = 0
        for key, value, part in items:
            dups += self._check(lib.ipcd_submit(self.h, via.encode(),
                                                key.encode(), value,
                                                part[0], part[1]))
        return dups + self._check(lib.ipcd_flush(self.h))


def _exception(r, msg):
    if r == IPCD_EUNREACHABLE:
        return Unreachable(msg)
    if r == IPCD_ETIMEOUT:
        return Timeout(msg)
    if r in (IPCD_EREJECTED, IPCD_EINVAL):
        return Rejected(msg)
    return Error(msg)


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return library().ipcd_version().decode()
