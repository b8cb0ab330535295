"""The module against a running ipcd (tests/t_python.sh starts one, with
[tcp] on and a token): every transport, parts and duplicates, refusals
here and in ipcd, an unreachable or silent ipcd, waits, keys, stats."""

import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import unittest
from unittest import mock

import support
import ipcd
from ipcd import _proto

# Transports that answer each submission with its fate.
ANSWERED = ("unix", "tcp")


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.conf = support.config()
        self.c = ipcd.Client()
        self.addCleanup(self.c.close)

    def need(self, via):
        """Skip a transport this ipcd does not open, or whose library is
        not there."""
        if via in ipcd.LIBRARY:
            support.library()
        if self.c.stats().get(via + ".open") != 1:
            self.skipTest("ipcd has no %s transport open" % via)

    def count(self, key):
        try:
            return self.c.result(key).count
        except ipcd.Rejected:
            return 0


def transport_test(via):
    def test(self):
        self.need(via)
        k = support.key(via)
        before = self.c.stats()[via + ".accepted"]
        self.assertTrue(self.c.submit(1e16, key=k, via=via))
        self.assertTrue(self.c.submit(1, key=k, via=via))
        self.assertEqual(self.c.submit_many([-1e16, 0.5], key=k, via=via), 2)
        self.assertEqual(support.eventually(lambda: self.count(k), 4), 4)
        t = self.c.result(k)
        self.assertEqual((t.key, t.total, t.count, t.min, t.max),
                         (k, 1.5, 4, -1e16, 1e16))
        self.assertEqual(self.c.stats()[via + ".accepted"], before + 4)
    test.__doc__ = "submit over %s: an exact total, counted as %s" % (
        via, via)
    return test


class TestTransports(ClientTest):
    pass


for _via in ipcd.TRANSPORTS:
    setattr(TestTransports, "test_" + _via, transport_test(_via))


class TestParts(ClientTest):
    def test_duplicate_answered(self):
        for via in ANSWERED:
            k = support.key("dup")
            self.assertTrue(self.c.submit(0.25, key=k, part="1/2", via=via))
            self.assertFalse(self.c.submit(0.25, key=k, part=(1, 2),
                                           via=via))
            t = self.c.result(k)
            self.assertEqual((t.total, t.parts, t.nparts, t.duplicates),
                             (0.25, 1, 2, 1))

    def test_duplicate_unanswered(self):
        """A repeated part over a transport that does not answer is not
        counted again either."""
        for via in ("fifo", "mq", "sysv", "shm"):
            with self.subTest(via=via):
                self.need(via)
                k = support.key("dup")
                self.c.submit(0.25, key=k, part="2/2", via=via)
                self.c.submit(0.25, key=k, part="2/2", via=via)
                self.c.submit(0.5, key=k, part="1/2", via=via)
                t = self.c.result(k, wait=True, timeout=10)
                self.assertEqual((t.total, t.count, t.parts), (0.75, 2, 2))
                self.assertEqual(support.eventually(
                    lambda: self.c.result(k).duplicates, 1), 1)

    def test_conflicting_n(self):
        k = support.key("conflict")
        self.c.submit(1, key=k, part="1/3")
        with self.assertRaises(ipcd.Rejected) as cm:
            self.c.submit(1, key=k, part="2/4")
        self.assertEqual(cm.exception.code, "conflict")
        self.assertIn("takes parts of 3", str(cm.exception))
        with self.assertRaises(ipcd.Rejected):
            self.c.submit(1, key=k)		# plain value, parted key

    def test_wait_completes(self):
        """result(wait=True) returns once another process sends the last
        part."""
        k = support.key("wait")
        self.c.submit(1, key=k, part="1/2")
        p = multiprocessing.Process(target=late_part, args=(k,))
        p.start()
        self.addCleanup(p.join)
        t = self.c.result(k, wait=True, timeout=30)
        self.assertEqual((t.total, t.parts, t.nparts), (3.0, 2, 2))

    def test_wait_times_out(self):
        k = support.key("late")
        self.c.submit(1, key=k, part="2/3")
        with self.assertRaises(ipcd.Timeout) as cm:
            self.c.result(k, timeout=0.2)
        self.assertIn("2 of 3 parts missing: 1,3", str(cm.exception))
        self.assertIsInstance(cm.exception, TimeoutError)
        # The connection goes on after the timeout.
        self.assertEqual(self.c.result(k).parts, 1)

    def test_wait_timeout_zero(self):
        """timeout=0 is a wait of at most no time, not one without end."""
        k = support.key("zero")
        self.c.submit(1, key=k, part="2/3")
        def hung(*_):
            raise AssertionError("result(timeout=0) still waits after 10 s")
        old = signal.signal(signal.SIGALRM, hung)
        self.addCleanup(signal.signal, signal.SIGALRM, old)
        signal.alarm(10)
        self.addCleanup(signal.alarm, 0)
        with ipcd.Client(timeout=2) as c:
            with self.assertRaises(ipcd.Timeout):
                c.result(k, timeout=0)


    def test_interrupted_wait(self):
        """A request cut short by an exception in the caller (a signal
        handler's, KeyboardInterrupt) leaves no reply behind for the next
        request to take as its own."""
        k = support.key("cut")
        self.c.submit(1, key=k, part="1/2")

        class Cut(Exception):
            pass

        def cut(*_):
            raise Cut()
        old = signal.signal(signal.SIGALRM, cut)
        self.addCleanup(signal.signal, signal.SIGALRM, old)
        with ipcd.Client(timeout=2) as c:
            c.ping()
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            with self.assertRaises(Cut):
                c.result(k, timeout=30)
            self.assertIn("pid", c.ping())
            self.c.submit(2, key=k, part="2/2")
            self.assertEqual(c.result(k).total, 3.0)
            self.assertIn("pid", c.ping())


def late_part(k):
    import time
    time.sleep(0.3)
    with ipcd.Client() as c:
        c.submit(2, key=k, part="2/2", via="fifo")


class TestRefusals(ClientTest):
    def test_nan_refused_here(self):
        before = self.c.stats()["unix.rejected"]
        for v in (float("nan"), float("inf"), "1"):
            with self.assertRaises(ipcd.Rejected):
                self.c.submit(v, key=support.key())
        k = support.key("allornone")
        with self.assertRaises(ipcd.Rejected):
            self.c.submit_many([1, 2, float("nan")], key=k)
        self.assertEqual(self.count(k), 0)	# nothing was sent
        self.assertEqual(self.c.stats()["unix.rejected"], before)

    def test_key_ipcd_refuses(self):
        """A key that gets past this module (the check bypassed) is
        refused by ipcd."""
        with mock.patch.object(_proto, "check_key", lambda k: k):
            with self.assertRaises(ipcd.Rejected) as cm:
                self.c.submit(1, key="a/b")
        self.assertEqual(cm.exception.code, "invalid")
        self.assertIn("outside [A-Za-z0-9_.:-]", str(cm.exception))

    def test_unknown_key(self):
        with self.assertRaises(ipcd.Rejected) as cm:
            self.c.result(support.key("never"))
        self.assertEqual(cm.exception.code, "nokey")

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            self.c.submit(1, via="carrier-pigeon")
        with self.assertRaises(ValueError):
            self.c.result(via="fifo")
        with self.assertRaises(ValueError):
            self.c.submit_many([1, 2], part="1/2")


class TestUnreachable(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()		# nobody listens there now
        self.conf = os.path.join(self.dir, "ipcd.conf")
        with open(self.conf, "w") as f:
            f.write("[unix]\npath = %s/sock\n[fifo]\npath = %s/fifo\n"
                    "[mq]\nname = /ipcd-none-%d\n[shm]\nname = "
                    "/ipcd-none-%d\n[tcp]\nlisten = 127.0.0.1:%d\n"
                    % (self.dir, self.dir, os.getpid(), os.getpid(), port))

    def test_no_ipcd(self):
        with ipcd.Client(self.conf) as c:
            for call in (c.ping, c.stats, lambda: c.submit(1),
                         lambda: c.submit(1, via="tcp"),
                         lambda: c.submit(1, via="fifo")):
                with self.assertRaises(ipcd.Unreachable) as cm:
                    call()
                self.assertRegex(str(cm.exception), "is ipcd running|"
                                 "nobody reads")

    def test_no_ipcd_library(self):
        support.library()
        with ipcd.Client(self.conf) as c:
            for via in ("mq", "shm"):
                with self.assertRaises(ipcd.Unreachable, msg=via):
                    c.submit(1, via=via)

    def test_silent_ipcd(self):
        """A stopped ipcd is given up on after the timeout."""
        support.config()
        pid = int(os.environ["IPCD_TEST_DAEMON"])
        with ipcd.Client(timeout=0.3) as c:
            c.ping()
            os.kill(pid, signal.SIGSTOP)
            try:
                with self.assertRaises(ipcd.Unreachable) as cm:
                    c.ping()
            finally:
                os.kill(pid, signal.SIGCONT)
            self.assertIn("gave up after 0.3 s", str(cm.exception))
            self.assertIn("pid", c.ping())	# connects again

    def test_library_missing(self):
        """Without libipcd, a transport that needs it says so clearly."""
        env = dict(os.environ, IPCD_LIBRARY=self.dir + "/libipcd.so.0",
                   PYTHONPATH=os.path.dirname(support.HERE))
        out = support.run(sys.executable, "-c", "import ipcd\n"
                          "try:\n ipcd.Client(%r).submit(1, via='mq')\n"
                          "except ImportError as e:\n print('missing:', e)"
                          % self.conf, env=env)
        self.assertIn("missing: cannot load libipcd", out.stdout)
        self.assertIn("set IPCD_LIBRARY", out.stdout)

    def test_library_too_old(self):
        """A libipcd.so.0 without every function is NoLibrary too, not
        ctypes' AttributeError."""
        cc = shutil.which("cc")
        if cc is None:
            self.skipTest("no C compiler to build a partial library")
        src = os.path.join(self.dir, "old.c")
        with open(src, "w") as f:
            f.write('const char *ipcd_version(void) { return "0.0.1"; }\n')
        so = os.path.join(self.dir, "libipcd.so.0")
        support.run(cc, "-shared", "-fPIC", "-o", so, src)
        env = dict(os.environ, IPCD_LIBRARY=so,
                   PYTHONPATH=os.path.dirname(support.HERE))
        out = support.run(sys.executable, "-c", "import ipcd\n"
                          "try:\n ipcd.Client(%r).submit(1, via='mq')\n"
                          "except ipcd.NoLibrary as e:\n print('old:', e)"
                          % self.conf, env=env)
        self.assertIn("old: cannot load libipcd", out.stdout)
        self.assertIn("ipcd_open", out.stdout)


class TestTcpToken(ClientTest):
    def setUp(self):
        super().setUp()
        self.token = self.c.config.token_file
        if not self.token:
            self.skipTest("ipcd runs without a token")
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def client_with_token(self, text, mode=0o600):
        tok = os.path.join(self.dir, "token")
        with open(tok, "w") as f:
            f.write(text)
        os.chmod(tok, mode)
        conf = os.path.join(self.dir, "ipcd.conf")
        with open(self.conf) as f, open(conf, "w") as g:
            g.write(f.read().replace(self.token, tok))
        return ipcd.Client(conf)

    def test_token(self):
        with open(self.token) as f:
            good = f.read()
        self.assertIn("proto", self.client_with_token(good).ping(via="tcp"))
        with self.assertRaises(ipcd.Unreachable) as cm:
            self.client_with_token("wrong\n").submit(1, via="tcp")
        self.assertIn("refused", str(cm.exception))
        with self.assertRaises(ipcd.ConfigError) as cm:
            self.client_with_token(good, 0o644).submit(1, via="tcp")
        self.assertIn("may be used by other users", str(cm.exception))

    def test_no_reset_over_tcp(self):
        with self.assertRaises(ipcd.Rejected) as cm:
            self.c.reset(support.key(), via="tcp")
        self.assertEqual(cm.exception.code, "denied")


class TestQueries(ClientTest):
    def test_keys_paging(self):
        prefix = support.key("page")
        names = {"%s.%d" % (prefix, i) for i in range(250)}
        for n in names:
            self.c.submit(1, key=n)
        got = self.c.keys(prefix + ".*", limit=7)
        self.assertEqual(sorted(t.key for t in got), sorted(names))
        self.assertTrue(all(t.total == 1 and t.count == 1 for t in got))
        self.assertIn(prefix + ".0", {t.key for t in self.c.keys()})
        # Each key's last update, in epoch seconds, as ipcd's clock has it.
        self.assertTrue(all(abs(t.updated - time.time()) < 600 for t in got))

    def test_stats(self):
        s = self.c.stats()
        before = s["unix.accepted"]
        self.c.submit(1, key=support.key())
        s = self.c.stats()
        self.assertEqual(s["unix.accepted"], before + 1)
        self.assertIsInstance(s["keys"], int)
        self.assertIsInstance(s["pid"], int)

    def test_ping(self):
        p = self.c.ping()
        self.assertEqual(p["proto"], _proto.PROTO_VERSION)
        self.assertEqual(p["pid"], int(os.environ["IPCD_TEST_DAEMON"]))

    def test_reset(self):
        k = support.key("reset")
        self.c.submit(1, key=k)
        self.assertEqual(self.c.reset(k), 1)
        with self.assertRaises(ipcd.Rejected):
            self.c.result(k)

    def test_many_pipelined(self):
        k = support.key("many")
        self.assertEqual(self.c.submit_many([0.1] * 3000, key=k), 3000)
        t = self.c.result(k)
        self.assertEqual((t.total, t.count), (300.0, 3000))

    def test_fork(self):
        """A child uses a client its parent opened, with connections (and
        a library handle) of its own; the parent's go on."""
        k = support.key("fork")
        vias = ["unix", "fifo"]
        try:
            self.need("shm")
            vias.append("shm")
        except unittest.SkipTest:
            pass
        for via in vias:
            self.c.submit(1, key=k, via=via)
        fork = multiprocessing.get_context("fork")
        p = fork.Process(target=child_submit, args=(self.c, k, vias))
        p.start()
        p.join()
        self.assertEqual(p.exitcode, 0)
        for via in vias:
            self.c.submit(4, key=k, via=via)
        want = 7.0 * len(vias)
        self.assertEqual(support.eventually(
            lambda: self.c.result(k).total, want), want)


def child_submit(c, k, vias):
    for via in vias:
        c.submit(1.5, key=k, via=via)
        c.submit(0.5, key=k, via=via)
    c.close()


if __name__ == "__main__":
    unittest.main()
