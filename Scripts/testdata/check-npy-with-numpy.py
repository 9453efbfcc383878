#!/usr/bin/env python3
"""Checks that numpy reads the .npy files swift-caffe2 writes (needs numpy and a built caffe2).

Run from the package root after `swift build`:
    python3 Scripts/testdata/check-npy-with-numpy.py [path/to/caffe2]

For every fixture numpy wrote (Tests/Caffe2Tests/Data/npy, all dtypes, both byte
orders, Fortran order, format versions 1-3, 0-d and empty arrays) it runs
`caffe2 convert FIXTURE t.pb` and `caffe2 convert t.pb back.npy`, loads back.npy
with numpy and compares dtype (as little-endian), shape and values. It also runs
Examples/reciprocal.pbtxt with `--output Z=z.npy` and checks Z == 1 / X.
Exit status 0 when everything matches.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cli = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build", "debug", "caffe2")
data = os.path.join(root, "Tests", "Caffe2Tests", "Data", "npy")
manifest = json.load(open(os.path.join(data, "expected.json")))["files"]

failures = 0


def caffe2(*args):
    r = subprocess.run([cli, *args], capture_output=True, text=True, cwd=root)
    if r.returncode != 0:
        raise RuntimeError(f"caffe2 {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


with tempfile.TemporaryDirectory() as tmp:
    for name, entry in sorted(manifest.items()):
        if "error" in entry:
            continue
        original = np.load(os.path.join(data, name))
        pb = os.path.join(tmp, "t.pb")
        back = os.path.join(tmp, "back.npy")
        try:
            caffe2("convert", os.path.join(data, name), pb)
            caffe2("convert", pb, back)
            ours = np.load(back)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"FAIL {name}: {e}")
            failures += 1
            continue
        want = original.astype(original.dtype.newbyteorder("<"))
        ok = (
            ours.dtype == want.dtype
            and ours.shape == want.shape
            and ours.flags.c_contiguous
            and np.array_equal(ours, want, equal_nan=ours.dtype.kind == "f")
        )
        print(("ok  " if ok else "FAIL") + f" {name}: {ours.dtype.str} {ours.shape}")
        failures += 0 if ok else 1

    x = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    np.save(os.path.join(tmp, "x.npy"), x)
    z_path = os.path.join(tmp, "z.npy")
    caffe2("run", "Examples/reciprocal.pbtxt", "--input", f"X={tmp}/x.npy", "--output", f"Z={z_path}")
    z = np.load(z_path)
    # Y = 1/X, then Y = 1/Y in place (X again), Z = 1/Y = 1/X.
    ok = z.dtype == np.float32 and np.array_equal(z, (np.float32(1) / x))
    print(("ok  " if ok else "FAIL") + f" caffe2 run --output Z=z.npy: {z.dtype.str} {z.shape}")
    failures += 0 if ok else 1

print("all files read back by numpy" if failures == 0 else f"{failures} failures")
sys.exit(1 if failures else 0)
