"""Configuration resolution and reading, compared with ipcd's own where
ipcd can say ("ipcd -n -v" prints the effective configuration)."""

import json
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

import support
import ipcd
from ipcd import _conf

PRINT = ("import json, sys; sys.path.insert(0, %r); import ipcd; "
         "c = ipcd.Config(None); print(json.dumps([c.unix_path, c.fifo_path, "
         "c.mq_name, c.shm_name]))" % os.path.dirname(support.HERE))


def ipcd_print(argv_prefix, env):
    """What ipcd -n -v prints for the embedded defaults, as a dict of
    "section.key"."""
    out = support.run(*argv_prefix, support.binary("ipcd"), "-n", "-v", "-c",
                      os.devnull, env=env)
    conf, section = {}, None
    for line in out.stdout.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif " = " in line:
            name, _, value = line.partition(" = ")
            conf[section + "." + name] = value
    return conf


class TestResolution(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.env = mock.patch.dict(os.environ)
        self.env.start()
        self.addCleanup(self.env.stop)
        os.environ.pop("IPCD_CONFIG", None)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_order(self):
        a = self.write("a.conf", "[unix]\npath = /a/s\n")
        b = self.write("b.conf", "[unix]\npath = /b/s\n")
        etc = self.write("etc.conf", "[unix]\npath = /etc/s\n")
        with mock.patch.object(_conf, "DEFAULT_FILE", etc):
            self.assertEqual(_conf.find(), etc)
            os.environ["IPCD_CONFIG"] = b
            self.assertEqual(_conf.find(), b)
            self.assertEqual(_conf.find(a), a)
            self.assertEqual(ipcd.Client(a).config.unix_path, "/a/s")
            self.assertEqual(ipcd.Client().config.unix_path, "/b/s")
            os.environ["IPCD_CONFIG"] = ""	# empty: not set
            self.assertEqual(ipcd.Client().config.unix_path, "/etc/s")
        with mock.patch.object(_conf, "DEFAULT_FILE", self.dir + "/none"):
            self.assertIsNone(_conf.find())
            self.assertIsNone(ipcd.Client().config.file)

    def test_defaults_root(self):
        with mock.patch("os.getuid", return_value=0):
            c = ipcd.Config(None)
        self.assertEqual((c.unix_path, c.fifo_path, c.mq_name, c.shm_name),
                         ("/run/ipcd/ipcd.sock", "/run/ipcd/ipcd.fifo",
                          "/ipcd", "/ipcd"))
        self.assertEqual(c.tcp_listen, ("127.0.0.1", 7390))
        self.assertEqual(c.timeout, 30)

    def test_defaults_user(self):
        with mock.patch("os.getuid", return_value=1234):
            os.environ["XDG_RUNTIME_DIR"] = "/run/user/1234"
            c = ipcd.Config(None)
            self.assertEqual(c.unix_path, "/run/user/1234/ipcd/ipcd.sock")
            self.assertEqual(c.mq_name, "/ipcd-1234")
            for xdg in (None, "relative", ""):
                if xdg is None:
                    del os.environ["XDG_RUNTIME_DIR"]
                else:
                    os.environ["XDG_RUNTIME_DIR"] = xdg
                c = ipcd.Config(None)
                self.assertEqual(c.unix_path, "/tmp/ipcd-1234/ipcd.sock")
                self.assertEqual(c.fifo_path, "/tmp/ipcd-1234/ipcd.fifo")

    def test_defaults_as_ipcd(self):
        """The same defaults as ipcd's, for this user and (as root) for
        another one, with and without $XDG_RUNTIME_DIR."""
        users = [[]]
        if os.getuid() == 0 and shutil.which("setpriv"):
            users.append(["setpriv", "--reuid=65534", "--regid=65534",
                          "--clear-groups"])
        for prefix in users:
            for xdg in (None, "/run/user/4321", "rel"):
                env = dict(os.environ)
                env.pop("XDG_RUNTIME_DIR", None)
                if xdg is not None:
                    env["XDG_RUNTIME_DIR"] = xdg
                want = ipcd_print(prefix, env)
                got = json.loads(support.run(*prefix, sys.executable, "-c",
                                             PRINT, env=env).stdout)
                self.assertEqual(got, [want["unix.path"],
                                       want["fifo.path"], want["mq.name"],
                                       want["shm.name"]], (prefix, xdg))

    def test_keys_as_ipcd(self):
        """Every key ipcd knows is known here, and no other."""
        want = set(ipcd_print([], dict(os.environ)))
        got = {"%s.%s" % (s, k) for s, keys in _conf.KEYS.items()
               for k in keys}
        self.assertEqual(got, want)

    def test_reading(self):
        p = self.write("x.conf", "; comment\n# comment\n[unix]\n"
                       "path = /x/sock ; inline comment\n"
                       "[tcp]\nlisten = 0.0.0.0:7000, [::1]:7001\n"
                       "token_file =\n[client]\ntimeout = 7\n"
                       "[unix]\npath = /y/sock\n")
        c = ipcd.Config(p)
        self.assertEqual(c.unix_path, "/y/sock")	# the last one
        self.assertEqual(c.tcp_listen, ("127.0.0.1", 7000))
        self.assertEqual(c.token_file, "")
        self.assertEqual(c.timeout, 7)
        self.assertEqual(ipcd.Config(self.write(
            "y.conf", "[tcp]\nlisten = [::]:9\n")).tcp_listen, ("::1", 9))
        self.assertEqual(ipcd.Config(os.devnull).file, os.devnull)

    def test_bad(self):
        for text, words in (
                ("[unix]\nPath = /x\n", "[unix] Path: unknown key"),
                ("[nosuch]\nx = 1\n", "[nosuch] x: unknown key"),
                ("x = 1\n", "key outside any section"),
                ("[unix]\npath = x\n", "absolute path"),
                ("[unix]\npath = /x\n  /y\n", "continuation"),
                ("[client]\ntimeout = 0\n", "from 1 to 86400"),
                ("[client]\ntimeout = 1.5\n", "from 1 to 86400"),
                ("[tcp]\nlisten = 127.0.0.1\n", "ADDRESS:PORT"),
                ("[tcp]\nlisten = ::1:80\n", "numeric"),
                ("[tcp]\nlisten = host:80\n", "numeric"),
                ("[tcp]\nlisten = 127.0.0.1:0\n", "port"),
                ("[tcp]\ntoken_file = rel\n", "absolute path")):
            p = self.write("bad.conf", text)
            with self.assertRaises(ipcd.ConfigError, msg=text) as cm:
                ipcd.Client(p)
            self.assertIn(words, str(cm.exception), text)
            self.assertIn(p, str(cm.exception))
        with self.assertRaises(ipcd.ConfigError):
            ipcd.Client(self.dir)		# a directory
        with self.assertRaises(ipcd.ConfigError):
            ipcd.Client(self.dir + "/missing")


if __name__ == "__main__":
    unittest.main()
