"""The record and the socket protocol's replies, as ipcd writes and reads
them (see ipcd(8)): checks made before anything is sent, a record as one
line, a reply line into its fields."""

import math
import re

from ._errors import Rejected, Timeout, Unreachable

PROTO_VERSION = 2
KEY_MAX = 64
PARTS_MAX = 1000000
LINE_MAX = 4096		# PIPE_BUF: one record in one write never interleaves
DEFAULT_KEY = "default"

_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,%d}\Z" % KEY_MAX)
_GLOB = re.compile(r"[A-Za-z0-9_.:*?\[\]!^-]{1,256}\Z")


def check_key(key):
    """KEY, if ipcd would take it; else Rejected."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise Rejected("key %r is not 1-%d characters of [A-Za-z0-9_.:-]"
                       % (key, KEY_MAX))
    return key


def check_glob(glob):
    """A keys pattern travels in a request: key characters and *?[]!^."""
    if not isinstance(glob, str) or not _GLOB.match(glob):
        raise Rejected("%r is not a pattern of key characters and *?[]!^"
                       % (glob,))
    return glob


def check_value(value):
    """VALUE as a finite float; else Rejected.  Anything float() takes
    will do, but text and bool: "1.5" is not a number, True not a value."""
    if isinstance(value, (str, bytes, bool)):
        raise Rejected("value %r is not a number" % (value,))
    try:
        v = float(value)
    except OverflowError:
        raise Rejected("value %r is out of range" % (value,)) from None
    except (TypeError, ValueError):
        raise Rejected("value %r is not a number" % (value,)) from None
    if math.isnan(v):
        raise Rejected("value is NaN")
    if math.isinf(v):
        raise Rejected("value is infinite")
    return v


def check_part(part):
    """PART as (I, N) with 1 <= I <= N <= 1000000, or (0, 0) for None.
    PART is (I, N) or the text "I/N"."""
    if part is None:
        return 0, 0
    try:
        if isinstance(part, str):
            i, n = part.split("/")
            if not (i.isascii() and i.isdigit() and n.isascii() and
                    n.isdigit()):
                raise ValueError
            i, n = int(i), int(n)
        else:
            i, n = part
            if isinstance(i, bool) or isinstance(n, bool) or \
                    int(i) != i or int(n) != n:
                raise ValueError
            i, n = int(i), int(n)
    except (TypeError, ValueError):
        i = n = 0
    if not 1 <= i <= n <= PARTS_MAX:
        raise Rejected("part %r is not I/N with 1 <= I <= N <= %d"
                       % (part, PARTS_MAX))
    return i, n


def record(key, value, part):
    """One record line, newline included; VALUE in the shortest form that
    reads back as the same double (Python's repr is that form)."""
    text = "%s %r" % (key, value)
    if part[1]:
        text += " %d/%d" % part
    return text + "\n"


def _field(text):
    if text.startswith('"'):
        return text.strip('"')
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def fields(line, status=True):
    """The NAME=VALUE fields of a reply line (after its status word, if
    STATUS) as a dict: strings unquoted, numbers as int or float, true,
    false, null."""
    out = {}
    for word in line.split(" ")[1 if status else 0:]:
        name, sep, value = word.partition("=")
        if sep:
            out[name] = _field(value)
    return out


def status(line):
    """0 for "ok", 1 for "duplicate"; an "err" reply raised as the
    exception for its code."""
    word = line.split(" ", 1)[0]
    if word == "ok":
        return 0
    if word == "duplicate":
        return 1
    if word != "err":
        raise Unreachable("unexpected reply from ipcd: %r" % line)
    parts = line.split(" ", 2)
    code = parts[1] if len(parts) > 1 else ""
    msg = parts[2] if len(parts) > 2 else line
    if code == "timeout":
        raise Timeout(msg)
    if code == "version":
        raise Unreachable("protocol mismatch: %s (this module speaks "
                          "protocol %d)" % (msg, PROTO_VERSION))
    raise Rejected(msg, code)
