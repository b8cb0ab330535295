#!/usr/bin/env python3
"""The reference job of the IPC tutorials, with multiprocessing and ipcd.

pi from sum_{k=0}^{n-1} 1/(2k+1)^2 = pi^2/8: the terms are split over W
worker processes; each sums its own slice, in the same order as
"ipcctl pi" does (so the float is the same), and submits it as part
w of W of a fresh key over the chosen transport.  The parent waits for
all W parts and prints sqrt(8 * total).  For 10 workers and 10^7 terms
the last line is 3.14159262176.

usage: pi.py [--via=unix|tcp|fifo|mq|shm|sysv|spool] [--workers=10]
             [--terms=10000000] [--timeout=60] [--config=FILE]
"""

import argparse
import math
import multiprocessing
import os
import sys
import time

import ipcd


def slice_sum(lo, hi):
    """1/(2k+1)^2 for k from LO to HI - 1, added in that order."""
    s = 0.0
    # float(2k + 1) is 2.0 * k + 1.0 exactly (k < 2^52): the same terms.
    for d in map(float, range(2 * lo + 1, 2 * hi, 2)):
        s += 1.0 / (d * d)
    return s


def worker(config, via, key, w, workers, terms):
    value = slice_sum(terms * w // workers, terms * (w + 1) // workers)
    with ipcd.Client(config) as c:
        c.submit(value, key=key, part=(w + 1, workers), via=via)


def main():
    ap = argparse.ArgumentParser(description="pi over ipcd, from W "
                                 "processes")
    ap.add_argument("--via", default="unix", choices=ipcd.TRANSPORTS)
    ap.add_argument("--workers", type=int, default=10)
    ap.add_argument("--terms", type=int, default=10000000)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--config", default=None)
    a = ap.parse_args()
    if not 1 <= a.workers <= 1000 or a.terms < 1:
        ap.error("--workers must be from 1 to 1000, --terms at least 1")
    key = "pi.%d.%d" % (os.getpid(), time.time())
    try:
        with ipcd.Client(a.config) as c:
            c.ping()	# no workers if ipcd is not there
            procs = [multiprocessing.Process(
                target=worker, args=(a.config, a.via, key, w, a.workers,
                                     a.terms)) for w in range(a.workers)]
            for p in procs:
                p.start()
            try:
                t = c.result(key, wait=True, timeout=a.timeout)
            finally:
                for p in procs:
                    p.join()
                try:
                    c.reset(key)
                except ipcd.Error:
                    pass
    except ipcd.Error as e:
        sys.exit("pi.py: %s" % e)
    if t.overflow:
        sys.exit("pi.py: key %s: total overflows a float" % key)
    print("pi over %s: %d workers, %d terms, total %r"
          % (a.via, a.workers, a.terms, t.total))
    print("%.11f" % math.sqrt(8 * t.total))


if __name__ == "__main__":
    main()
