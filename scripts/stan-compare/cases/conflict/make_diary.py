#!/usr/bin/env python3
"""Synthetic diary for conflict.trial (stdlib only, fixed seed).
usage: trialc schedule conflict.trial --format csv | python3 make_diary.py > diary.csv
True model: pain = 5 + 1.5 [magnesium] + AR(1) errors (phi 0.5, innovation sd 1),
rounded to 0.1 and clipped to [0, 10]; 6 scheduled days left blank (missing)."""
import csv
import random
import sys

rng = random.Random(20261129)
rows = list(csv.DictReader(sys.stdin))
missing = set(rng.sample([int(r["day"]) for r in rows if r["phase"] not in ("run_in", "washout")], 6))
e, out = 0.0, []
for r in rows:
    e = 0.5 * e + rng.gauss(0, 1)
    d = int(r["day"])
    arm = r["arm"] or "none"
    mu = 5 + (1.5 if arm == "magnesium" else 0.0)
    v = "" if d in missing else f"{min(10, max(0, round(mu + e, 1))):.1f}"
    out.append((d, arm, v))
print("day,arm,pain")
for d, arm, v in out:
    print(f"{d},{arm},{v}")
