"""The checks made before anything is sent, and the reading of replies:
no ipcd needed."""

import unittest

import support  # noqa: F401
import ipcd
from ipcd import _proto


class TestChecks(unittest.TestCase):
    def test_keys(self):
        for k in ("default", "a", "A-z_0.9:x", "k" * 64):
            self.assertEqual(_proto.check_key(k), k)
        for k in ("", "k" * 65, "a b", "a/b", "é", None, 3, "a\n"):
            with self.assertRaises(ipcd.Rejected, msg=repr(k)):
                _proto.check_key(k)

    def test_values(self):
        self.assertEqual(_proto.check_value(2), 2.0)
        self.assertEqual(_proto.check_value(-0.5), -0.5)
        for v in (float("nan"), float("inf"), -float("inf"), "1", b"1",
                  True, None, 10 ** 400, [1]):
            with self.assertRaises(ipcd.Rejected, msg=repr(v)):
                _proto.check_value(v)

    def test_rejected_is_value_error(self):
        with self.assertRaises(ValueError):
            _proto.check_value(float("nan"))

    def test_parts(self):
        self.assertEqual(_proto.check_part(None), (0, 0))
        self.assertEqual(_proto.check_part("3/10"), (3, 10))
        self.assertEqual(_proto.check_part((1, 1)), (1, 1))
        for p in ("0/3", "4/3", "1/1000001", "1/", "a/b", "1 /2", "+1/2",
                  (0, 0), (2, 1), (1.5, 2), (True, True), 3, "3"):
            with self.assertRaises(ipcd.Rejected, msg=repr(p)):
                _proto.check_part(p)

    def test_record_reads_back(self):
        # Every value goes out in a form that reads back as the same
        # double: the sum ipcd keeps is of the floats the caller had.
        for v in (0.1, 1e16, 5e-324, -0.0, 1.2337005251362316,
                  2 ** 53 + 1.0, 1 / 3):
            line = _proto.record("k", v, (0, 0))
            self.assertEqual(float(line.split()[1]), v)
        self.assertEqual(_proto.record("k", 0.5, (3, 10)), "k 0.5 3/10\n")

    def test_client_timeout(self):
        # The range of ipcctl --timeout and ipcd_set_timeout: a value
        # outside it is refused here, not by a socket or the library
        # at the first call (OverflowError, or Rejected for mq only).
        for t in (1e300, 1e-5, 0, -1, float("inf"), float("nan")):
            with self.assertRaises(ValueError, msg=repr(t)):
                ipcd.Client("/dev/null", timeout=t)
        self.assertEqual(ipcd.Client("/dev/null", timeout=0.001).timeout,
                         0.001)
        # result's wait: up to a year, as ipcd takes it; beyond, a
        # socket's timeout overflows.
        for t in (1e12, -1, float("inf"), float("nan")):
            with self.assertRaises(ValueError, msg=repr(t)):
                ipcd.Client("/dev/null").result("k", timeout=t)

    def test_glob(self):
        self.assertEqual(_proto.check_glob("pi.*"), "pi.*")
        for g in ("", "a b", "a/b", "x" * 257):
            with self.assertRaises(ipcd.Rejected):
                _proto.check_glob(g)


class TestReplies(unittest.TestCase):
    def test_fields(self):
        f = _proto.fields('ok key="a" total=1.5 count=3 parts=0 '
                          'overflow=true x=null')
        self.assertEqual(f, {"key": "a", "total": 1.5, "count": 3,
                             "parts": 0, "overflow": True, "x": None})

    def test_status(self):
        self.assertEqual(_proto.status("ok"), 0)
        self.assertEqual(_proto.status("duplicate part=1 nparts=2"), 1)
        for line, exc, code in (
                ("err conflict key k takes parts of 3", ipcd.Rejected,
                 "conflict"),
                ("err nokey no submissions for key k", ipcd.Rejected,
                 "nokey"),
                ("err timeout key k: 1 of 2 parts missing: 2",
                 ipcd.Timeout, None),
                ("err version ipcd speaks protocol 3", ipcd.Unreachable,
                 None),
                ("garbage", ipcd.Unreachable, None)):
            with self.assertRaises(exc) as cm:
                _proto.status(line)
            if code is not None:
                self.assertEqual(cm.exception.code, code)

    def test_exception_bases(self):
        self.assertTrue(issubclass(ipcd.Unreachable, ConnectionError))
        self.assertTrue(issubclass(ipcd.Timeout, TimeoutError))
        self.assertTrue(issubclass(ipcd.NoLibrary, ImportError))
        for e in (ipcd.Rejected, ipcd.Unreachable, ipcd.Timeout,
                  ipcd.ConfigError, ipcd.NoLibrary):
            self.assertTrue(issubclass(e, ipcd.Error))


if __name__ == "__main__":
    unittest.main()
