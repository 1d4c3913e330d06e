#!/usr/bin/env python3
"""Synthetic diaries of the issue-12 Stan agreement cases (stdlib only, fixed
seeds): SYNTHETIC DATA, not patients.

usage: trialc schedule cases/CASE/CASE.trial --format csv \\
         | python3 cases/simulate.py CASE > cases/CASE/diary.csv

The schedule CSV (day, date, period, arm, phase, ...) gives the arm of every
day; each case draws from the model its spec fits, with the values in its
header comment:

- binomial: on_time ~ binomial(planned, logistic(1.0 + 0.6 [app] - 0.4 z)),
  planned doses 2-4 a day, z the day's standardised workload (1-10);
- latent_binary: attack ~ bernoulli(logistic(-0.5 - 0.8 [magnesium] + x_d)),
  x a stationary AR(1) on every day (phi 0.7, innovation sd 0.8);
- decay: pain = 5 - 1.5 e_d + normal(0, 0.8), e_d the effect moving from
  the previous period's arm to the current one at rate 0.7 per day
  (e = w e_prev + (1 - w) e_now, w = exp(-0.7 s) on day s of the period);
- clock: heart_rate = 68 - 4 [bisoprolol] + AR(1) per hour (phi 0.9,
  innovation sd 2), read at 3 random waking hours a day.

A few days are missing in each (a random 5% of treatment days).
"""
import csv
import math
import random
import sys


def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


def main(case):
    rows = list(csv.DictReader(sys.stdin))
    rng = random.Random({"binomial": 12101, "latent_binary": 12102, "decay": 12103, "clock": 12104}[case])
    treatment = [int(r["day"]) for r in rows if r["phase"] == "treatment"]
    missing = set(rng.sample(treatment, max(1, len(treatment) // 20)))
    out = sys.stdout
    if case == "binomial":
        out.write("day,arm,on_time,planned,workload\n")
        for r in rows:
            d, arm = int(r["day"]), r["arm"] or "none"
            planned = rng.choice([2, 3, 3, 4])
            workload = rng.randint(1, 10)
            z = (workload - 5.5) / 2.87
            p = logistic(1.0 + (0.6 if arm == "app" else 0.0) - 0.4 * z)
            k = sum(rng.random() < p for _ in range(planned))
            cell = "" if d in missing else str(k)
            out.write(f"{d},{arm},{cell},{planned},{workload}\n")
    elif case == "latent_binary":
        out.write("day,arm,attack\n")
        phi, sigma = 0.7, 0.8
        x = sigma / math.sqrt(1 - phi * phi) * rng.gauss(0, 1)
        for r in rows:
            d, arm = int(r["day"]), r["arm"] or "none"
            x = phi * x + sigma * rng.gauss(0, 1)
            p = logistic(-0.5 + (-0.8 if arm == "magnesium" else 0.0) + x)
            cell = "" if d in missing else str(int(rng.random() < p))
            out.write(f"{d},{arm},{cell}\n")
    elif case == "decay":
        out.write("day,arm,pain\n")
        effect = {"naproxen": -1.5, "placebo": 0.0}
        previous, start, last_period = None, 0, None
        for r in rows:
            d, arm = int(r["day"]), r["arm"] or "none"
            if r["period"] != last_period:
                previous = effect.get(rows_arm(last_period, rows)) if last_period else None
                start, last_period = d, r["period"]
            e_now = effect.get(arm, 0.0)
            e = e_now
            if previous is not None and previous != e_now:
                w = math.exp(-0.7 * (d - start + 1))
                e = w * previous + (1 - w) * e_now
            v = min(10.0, max(0.0, round(5.0 + e + 0.8 * rng.gauss(0, 1), 1)))
            out.write(f"{d},{arm},{'' if d in missing else f'{v:.1f}'}\n")
    elif case == "clock":
        out.write("day,hour,arm,heart_rate\n")
        phi, sigma = 0.9, 2.0
        x = sigma / math.sqrt(1 - phi * phi) * rng.gauss(0, 1)
        hour_now = 0
        for r in rows:
            d, arm = int(r["day"]), r["arm"] or "none"
            hours = sorted(rng.sample(range(7, 23), 3))
            for h in hours:
                t = (d - 1) * 24 + h
                # the hourly process runs through every hour in between
                for _ in range(t - hour_now):
                    x = phi * x + sigma * rng.gauss(0, 1)
                hour_now = t
                v = 68.0 + (-4.0 if arm == "bisoprolol" else 0.0) + x
                if d in missing:
                    continue
                out.write(f"{d},{t},{arm},{v:.1f}\n")
    else:
        raise SystemExit(f"unknown case {case}")


def rows_arm(period, rows):
    for r in rows:
        if r["period"] == period:
            return r["arm"]
    return None


if __name__ == "__main__":
    main(sys.argv[1])
