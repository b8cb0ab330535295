"""The exceptions of the ipcd module; see the package's docstring."""


class Error(Exception):
    """Anything that went wrong talking to ipcd."""


class Rejected(Error, ValueError):
    """ipcd, or this module before sending, refused what was asked: a bad
    value or key, a part count that disagrees with the key's, a key ipcd
    does not know, a limit.  CODE is ipcd's word for it ("invalid",
    "conflict", "nokey", "limit", "denied", "usage"), or "invalid" for a
    refusal of this module's own."""

    def __init__(self, message, code="invalid"):
        super().__init__(message)
        self.code = code


class Unreachable(Error, ConnectionError):
    """ipcd is not there, went away, speaks another protocol, or was
    silent for longer than the timeout."""


class Timeout(Error, TimeoutError):
    """A wait for a key's parts ran out of time; the message names the
    missing parts."""


class ConfigError(Error):
    """The configuration file cannot be read, or a value in it is bad."""


class NoLibrary(Error, ImportError):
    """A transport that needs libipcd (mq, shm, sysv, spool) was asked for
    and the library could not be loaded."""
