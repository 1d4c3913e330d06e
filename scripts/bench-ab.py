#!/usr/bin/env python3
"""Two trialc binaries on the same work, interleaved, in one run.

    scripts/bench-ab.py --a OLD_BIN --b NEW_BIN [--seeds 1-10] [--reps 3] \
        -- run examples/magnesium-migraine/magnesium-migraine.trial

Each repetition runs every seed on both binaries, alternating which goes
first (A B, then B A, …), so drift in machine load hits both alike. `--seed S`
is appended to the command for each seed. Reports per binary the median wall
and CPU time per run with the interquartile range, and the median of the
paired B/A ratios (same seed, same repetition). Only the standard library.
"""

import argparse
import resource
import statistics
import subprocess
import sys
import time


def seeds(spec):
    a, _, b = spec.partition("-")
    return list(range(int(a), int(b or a) + 1))


def one(binary, args, seed):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([binary, *args, "--seed", str(seed)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 3):
        sys.exit(f"{binary} {' '.join(args)} --seed {seed}: exit {done.returncode}")
    return wall, cpu


def summary(xs):
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return f"{statistics.median(xs) * 1e3:8.1f} ms  (IQR {q[0] * 1e3:.1f}–{q[2] * 1e3:.1f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="the baseline binary")
    ap.add_argument("--b", required=True, help="the binary under test")
    ap.add_argument("--seeds", default="1-10")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = [c for c in args.command if c != "--"]
    runs = {"A": [], "B": []}
    ratios = {"wall": [], "cpu": []}
    for rep in range(args.reps):
        for i, seed in enumerate(seeds(args.seeds)):
            order = ["A", "B"] if (rep + i) % 2 == 0 else ["B", "A"]
            got = {}
            for which in order:
                got[which] = one(args.a if which == "A" else args.b, command, seed)
                runs[which].append(got[which])
            ratios["wall"].append(got["B"][0] / got["A"][0])
            ratios["cpu"].append(got["B"][1] / max(got["A"][1], 1e-9))
    n = len(runs["A"])
    print(f"command: trialc {' '.join(command)} --seed S, seeds {args.seeds}, {args.reps} reps, {n} runs each, interleaved")
    for which, binary in (("A", args.a), ("B", args.b)):
        print(f"{which} {binary}")
        print(f"  wall {summary([w for w, _ in runs[which]])}")
        print(f"  cpu  {summary([c for _, c in runs[which]])}")
    for kind in ("wall", "cpu"):
        r = ratios[kind]
        q = statistics.quantiles(r, n=4)
        print(f"B/A {kind}: median {statistics.median(r):.3f} (IQR {q[0]:.3f}–{q[2]:.3f}) over {len(r)} paired runs")


if __name__ == "__main__":
    main()
