"""Where ipcd is: the configuration resolved as ipcctl resolves it.

The file named by the caller, else $IPCD_CONFIG, else /etc/ipcd/ipcd.conf
if it exists, else the embedded defaults, which depend on who runs the
program (root gets the system paths, anybody else paths of their own).
The file is read with configparser in the dialect ipcd reads: keys are
case-sensitive, ';' and '#' start comments, a repeated key takes the
last value, and an unknown section or key, a continuation line or a bad
value of a key this module uses is an error naming the file and key.
"""

import configparser
import ipaddress
import os
import stat

from ._errors import ConfigError

DEFAULT_FILE = "/etc/ipcd/ipcd.conf"
RUNDIR_TMP_FMT = "/tmp/ipcd-%u"
PATH_MAX = 4096
TIMEOUT_MAX = 86400

# Every section and key ipcd(8) takes (ipcd.conf(5)); a test compares
# this with what "ipcd -n -v" prints, so the two cannot drift apart.
KEYS = {
    "unix": ("enabled", "path", "mode", "group", "admin"),
    "fifo": ("enabled", "path", "mode", "group"),
    "mq": ("enabled", "name", "mode", "max_messages", "message_size"),
    "shm": ("enabled", "name", "mode", "slots"),
    "tcp": ("enabled", "listen", "allow", "token_file", "admin"),
    "sysv": ("enabled", "key", "mode"),
    "spool": ("enabled", "dir", "mode", "group", "max_file_bytes"),
    "http": ("enabled", "listen", "max_clients"),
    "export": ("textfile", "interval"),
    "state": ("file", "sync", "compact_bytes"),
    "limits": ("max_clients", "max_keys", "max_record_bytes",
               "idle_timeout", "max_clients_per_uid", "max_parts",
               "parts_memory", "expire_after"),
    "client": ("timeout",),
}


class Config:
    """What a client needs to find ipcd.

    file         the file read, or None for the embedded defaults
    unix_path    [unix] path, the socket
    fifo_path    [fifo] path
    mq_name      [mq] name; shm_name [shm] name (the library uses them)
    tcp_listen   (host, port) of the first [tcp] listen address, a
                 wildcard address replaced by loopback
    token_file   [tcp] token_file, or "" when no token is asked
    timeout      [client] timeout: seconds each wait for ipcd may take
    """

    def __init__(self, file=None):
        self.file = file
        run, ipc = _rundir()
        self.unix_path = run + "/ipcd.sock"
        self.fifo_path = run + "/ipcd.fifo"
        self.mq_name = ipc
        self.shm_name = ipc
        self.tcp_listen = ("127.0.0.1", 7390)
        self.token_file = ""
        self.timeout = 30.0
        if file is not None:
            self._load(file)

    def __repr__(self):
        return "<ipcd.Config %s>" % (self.file or "embedded defaults")

    def _load(self, file):
        parser = configparser.ConfigParser(
            interpolation=None, strict=False, default_section="\0",
            comment_prefixes=("#", ";"), inline_comment_prefixes=(";",),
            delimiters=("=", ":"), empty_lines_in_values=False)
        parser.optionxform = str
        try:
            text = _read(file)
            parser.read_string(text, source=file)
        except OSError as e:
            raise ConfigError("%s: %s" % (file, e.strerror or e)) from None
        except configparser.MissingSectionHeaderError as e:
            raise ConfigError("%s:%d: key outside any section"
                              % (file, e.lineno)) from None
        except configparser.Error as e:
            raise ConfigError("%s: %s" % (file, e.message)) from None
        for section in parser.sections():
            for name, value in parser.items(section):
                self._set(file, section, name, value)

    def _set(self, file, section, name, value):
        where = "%s: [%s] %s" % (file, section, name)
        if section not in KEYS or name not in KEYS[section]:
            raise ConfigError("%s: unknown key" % where)
        if "\n" in value:
            raise ConfigError("%s: a continuation line (indented) is not "
                              "taken" % where)
        if (section, name) in (("unix", "path"), ("fifo", "path")):
            if not value.startswith("/"):
                raise ConfigError("%s: expected an absolute path" % where)
            setattr(self, section + "_path", value)
        elif section in ("mq", "shm") and name == "name":
            setattr(self, section + "_name", value)
        elif (section, name) == ("tcp", "listen"):
            self.tcp_listen = _listen(value, where)
        elif (section, name) == ("tcp", "token_file"):
            if value != "" and not value.startswith("/"):
                raise ConfigError("%s: expected an absolute path" % where)
            self.token_file = value
        elif (section, name) == ("client", "timeout"):
            if not _number(value) or not 1 <= int(value) <= TIMEOUT_MAX:
                raise ConfigError("%s: expected a whole number from 1 to "
                                  "%d" % (where, TIMEOUT_MAX))
            self.timeout = float(value)


def find(file=None):
    """The file ipcctl would read: FILE, else $IPCD_CONFIG, else the system
    file if it exists, else None (the embedded defaults)."""
    if file is not None:
        return os.fspath(file)
    env = os.environ.get("IPCD_CONFIG", "")
    if env != "":
        return env
    if os.path.lexists(DEFAULT_FILE):
        return DEFAULT_FILE
    return None


def _rundir():
    """The runtime directory and the IPC name of the embedded defaults."""
    uid = os.getuid()
    if uid == 0:
        return "/run/ipcd", "/ipcd"
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    # The C side has room for PATH_MAX - 32 bytes, "/ipcd" and a NUL.
    if xdg is not None and xdg.startswith("/") and \
            len(xdg.encode()) < PATH_MAX - 32 - 8:
        run = xdg + "/ipcd"
    else:
        run = RUNDIR_TMP_FMT % uid
    return run, "/ipcd-%u" % uid


def _read(file):
    """The text of FILE, if it is a regular file of at most 1 MiB (or
    /dev/null, read as empty): a FIFO or a device is not read for ever."""
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if stat.S_ISCHR(st.st_mode) and \
                st.st_rdev == os.stat(os.devnull).st_rdev:
            return ""
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError("%s is not a regular file" % file)
        if st.st_size > 1024 * 1024:
            raise ConfigError("%s is %d bytes, larger than the %d a "
                              "configuration may be"
                              % (file, st.st_size, 1024 * 1024))
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read()
    finally:
        os.close(fd)
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        # ipcd takes the bytes as they are; this module reads none of its
        # values outside ASCII, so keep them as they are too.
        return data.decode("latin-1")


def _number(text):
    """Is TEXT a whole number in ASCII digits (as strtol reads one)?"""
    return text.isascii() and text.isdigit()


def _listen(value, where):
    """The first ADDR:PORT or [V6ADDR]:PORT of a listen list."""
    items = value.replace(",", " ").split()
    if not items:
        raise ConfigError("%s: names no address to connect to" % where)
    item = items[0]
    if item.startswith("["):
        host, sep, port = item[1:].partition("]:")
        family = 6
    else:
        host, sep, port = item.rpartition(":")
        family = 4
    if not sep:
        raise ConfigError("%s: \"%s\": expected ADDRESS:PORT" % (where, item))
    if not _number(port) or len(port) > 5 or not 1 <= int(port) <= 65535:
        raise ConfigError("%s: \"%s\": the port must be a number from 1 "
                          "to 65535" % (where, item))
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        addr = None
    if addr is None or addr.version != family:
        raise ConfigError("%s: \"%s\": not a numeric IPv4 address or [IPv6] "
                          "address" % (where, item))
    if addr.is_unspecified:
        host = "127.0.0.1" if family == 4 else "::1"
    return host, int(port)
