"""What the tests share: the ipcd that tests/t_python.sh started (its
configuration in $IPCD_CONFIG, the binaries in $IPCD_BUILD), fresh key
names, and a poll with a deadline for transports that do not answer."""

import itertools
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import ipcd  # noqa: E402
from ipcd import _lib  # noqa: E402

BUILD = os.environ.get("IPCD_BUILD", "")
_serial = itertools.count()


def config():
    """The running ipcd's configuration file; skip the test without one."""
    conf = os.environ.get("IPCD_CONFIG")
    if not conf or not os.environ.get("IPCD_TEST_DAEMON"):
        raise unittest.SkipTest("no test ipcd (run tests/t_python.sh)")
    return conf


def binary(name):
    """build/NAME, or skip."""
    path = os.path.join(BUILD, name)
    if not BUILD or not os.access(path, os.X_OK):
        raise unittest.SkipTest("%s is not built (IPCD_BUILD)" % name)
    return path


def key(prefix="t"):
    """A key no other test, or earlier run, uses."""
    return "%s.%d.%d" % (prefix, os.getpid(), next(_serial))


def library():
    """Skip when libipcd is not there; fail when $IPCD_LIBRARY names one
    that cannot be loaded."""
    try:
        _lib.library()
    except ipcd.NoLibrary as e:
        if os.environ.get("IPCD_LIBRARY"):
            raise AssertionError(str(e)) from None
        raise unittest.SkipTest("libipcd is not built") from None


def eventually(fn, want, seconds=10):
    """Poll FN until it returns WANT, at most SECONDS; its last value."""
    end = time.monotonic() + seconds
    while True:
        try:
            got = fn()
        except ipcd.Rejected as e:	# no such key yet
            got = e
        if got == want or time.monotonic() > end:
            return got
        time.sleep(0.02)


def run(*argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True,
                          **kw)
