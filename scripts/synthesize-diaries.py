#!/usr/bin/env python3
"""Synthesize the diaries of the bundled examples: SYNTHETIC DATA, not patients.

Every example in examples/ except hpi-milk-sleep (real data) ships a diary
`diary.csv` made by this script. The data follow the individual model of
docs/model.md with known "true" parameters, so that `trialc run`
on an example can be judged against the truth written in the example's
README:

- continuous outcomes: alpha + arm effect + linear trend + AR(1) errors on
  every calendar day (the latent process does not stop on missing days),
  rounded to the diary's resolution and clipped to the outcome's bounds;
- binary: bernoulli(logit^-1(eta)), count: poisson(exp(eta)) or, when
  overdispersed, neg_binomial_2(exp(eta), psi) as a gamma-poisson mixture;
- ordinal: cumulative logit, P(y <= k) = logit^-1(c_k - eta);
- on the washout days after a switch the previous arm's effect decays with a
  half-life of `carryover_half_life` days (that is why those days are not
  analysed);
- 5% of diary days (rounded; drawn without replacement) are missing
  entirely, and about 1% of the remaining cells are left empty on their own.

Data seeds. One person's diary is noisy: with AR(1) errors the raw
difference between arms can easily be a whole MCID away from the true effect.
So that each example shows a *typical* trial rather than a rare draw, its
data seed is the first seed, counting up from 42001, for which the raw
difference in the primary outcome between each arm and the reference over
analysed days lies within 0.2 (continuous outcomes on a 0-10 scale) or 1.0
(percent, mmHg) of the true effect. The seed is recorded here and in the
example's README; nothing else was tuned.

Outcomes can share a daily "symptom burden" z (the standardized AR(1) error of
another outcome) through `couple`, so that bad pain days are also attack days
and bad-sleep weeks: the outcomes of a real diary are not independent.

The arm of every period comes from, in order of preference:
  1. --schedule-csv FILE: the output of
     `trialc schedule examples/NAME/NAME.trial --format csv` (one row per
     day, `day,date,period,arm,phase` and a 0/1 measurement column per
     outcome; the measurement days are then taken from it too);
  2. --sequence "arm1,arm2,…": one arm per period;
  3. the `sequence` constant of the example below: the sequence that
     `trialc schedule` draws from the spec's seed (keep them in step when a
     spec's schedule changes).

Usage:
  python3 scripts/synthesize-diaries.py --all
  python3 scripts/synthesize-diaries.py --all --check   # CI: diaries up to date?
  python3 scripts/synthesize-diaries.py magnesium-migraine [--schedule-csv F]
      [--sequence a,b,…] [--seed N] [--out PATH]

Pure Python standard library, deterministic: the same seed and sequence give
the same file on every machine (random.Random is a Mersenne Twister with a
stable seeding algorithm for integer seeds).
"""

import argparse
import csv
import io
import math
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------
# Example definitions. Schedules must match the specs; `check_spec` verifies
# run-in, period and washout against the .trial file.
# ---------------------------------------------------------------------------

EXAMPLES = {
    "magnesium-migraine": {
        "spec": "examples/magnesium-migraine/magnesium-migraine.trial",
        "seed": 42003,
        "run_in": 7,
        "period": 14,
        "washout": 3,
        "carryover_half_life": 1.5,
        # the schedule trialc draws from seed 20261201 (randomized pairs,
        # cycles 3, max_run 2; 8 admissible sequences)
        "sequence": ["placebo", "magnesium", "placebo", "magnesium",
                     "placebo", "magnesium"],
        "missing_day": 0.05,
        "missing_cell": 0.01,
        "outcomes": [
            {"name": "pain", "type": "continuous", "measured": "daily",
             "alpha": 4.2, "effects": {"magnesium": -0.9},
             "trend": -0.2, "trend_per": 28, "phi": 0.55, "sigma": 1.1,
             "bounds": (0, 10), "decimals": 0},
            {"name": "attack", "type": "binary", "measured": "daily",
             "alpha": -1.3, "effects": {"magnesium": -0.6},
             "couple": ("pain", 0.9)},
            {"name": "sleep_quality", "type": "ordinal", "measured": "weekly",
             "levels": (1, 5), "cutpoints": [-2.6, -1.0, 0.7, 2.3],
             "effects": {"magnesium": 0.5}, "couple": ("pain", -0.6)},
        ],
    },
    "naproxen-dose": {
        "spec": "examples/naproxen-dose/naproxen-dose.trial",
        "seed": 42005,
        "run_in": 7,
        "period": 7,
        "washout": 2,
        "carryover_half_life": 0.7,
        # the schedule trialc draws from seed 20270115 (randomized blocks,
        # cycles 4, max_run 2; 1296 admissible sequences)
        "sequence": ["naproxen_250", "placebo", "naproxen_500",
                     "naproxen_500", "naproxen_250", "placebo",
                     "placebo", "naproxen_250", "naproxen_500",
                     "placebo", "naproxen_250", "naproxen_500"],
        "missing_day": 0.05,
        "missing_cell": 0.01,
        "outcomes": [
            {"name": "pain", "type": "continuous", "measured": "daily",
             "alpha": 5.6, "effects": {"naproxen_250": -0.7,
                                       "naproxen_500": -1.8},
             "trend": 0.0, "trend_per": 28, "phi": 0.45, "sigma": 1.0,
             "bounds": (0, 10), "decimals": 0},
            {"name": "rescue", "type": "count", "measured": "daily",
             "alpha": math.log(1.3), "effects": {"naproxen_250": -0.25,
                                                 "naproxen_500": -0.6},
             "couple": ("pain", 0.25)},
            {"name": "gi_upset", "type": "binary", "measured": "daily",
             "alpha": -2.5, "effects": {"naproxen_250": 0.5,
                                        "naproxen_500": 1.1}},
            {"name": "pgic", "type": "ordinal", "measured": "per period",
             "levels": (1, 7), "cutpoints": [-3.0, -1.6, -0.5, 0.6, 1.8, 3.2],
             "effects": {"naproxen_250": -0.8, "naproxen_500": -1.8}},
        ],
    },
    "sleep-coach-styles": {
        "spec": "examples/sleep-coach-styles/sleep-coach-styles.trial",
        "seed": 42001,
        "run_in": 7,
        "period": 7,
        "washout": 0,
        "carryover_half_life": 0.0,
        # the schedule trialc draws from seed 88301 (std.designs.
        # behavioural_weeks: randomized pairs, cycles 4, max_run 2; 16
        # admissible sequences)
        "sequence": ["supportive", "directive", "supportive", "directive",
                     "directive", "supportive", "directive", "supportive"],
        # the app's log: on day 38 a server fault sent the other style's
        # messages ("other" = the arm not scheduled that day)
        "deviations": {38: "other"},
        "missing_day": 0.05,
        "missing_cell": 0.01,
        "outcomes": [
            {"name": "sleep_efficiency", "type": "continuous",
             "measured": "daily", "alpha": 78.0,
             "effects": {"supportive": 4.5}, "trend": 2.0, "trend_per": 28,
             "phi": 0.35, "sigma": 6.0, "bounds": (0, 100), "decimals": 0},
            {"name": "awakenings", "type": "count", "measured": "daily",
             "alpha": math.log(2.4), "effects": {"supportive": -0.25},
             "psi": 8.0, "couple": ("sleep_efficiency", -0.3)},
        ],
    },
    "headphones-focus": {
        "spec": "examples/headphones-focus/headphones-focus.trial",
        "seed": 42001,
        "run_in": 0,
        "period": 1,
        "washout": 0,
        "carryover_half_life": 0.0,
        # the full effect only after two weeks of getting used to the
        # headphones: why the spec analyses days 15-70 (`window`)
        "effect_ramp": 14,
        # the schedule trialc draws from seed 20270501 (randomized periods,
        # 35 one-day periods per arm, max_run 2; 136,050,710,238,288
        # admissible sequences): A = office, B = headphones
        "sequence": [{"A": "office", "B": "headphones"}[c] for c in
                     "ABAABABAABABBAABABABBABBABABABAABABAABABABBABBAABABBABBABABAABABAABABB"],
        "missing_day": 0.05,
        "missing_cell": 0.0,
        "outcomes": [
            {"name": "focus", "type": "continuous", "measured": "daily",
             "alpha": 5.5, "effects": {"headphones": 1.3}, "trend": 0.0,
             "trend_per": 28, "phi": 0.3, "sigma": 1.1, "bounds": (0, 10),
             "decimals": 0},
        ],
    },
    "bp-chronotherapy": {
        "spec": "examples/bp-chronotherapy/bp-chronotherapy.trial",
        "seed": 42003,
        "run_in": 0,
        "period": 14,
        "washout": 3,
        "carryover_half_life": 1.5,
        # std.designs.abba_baab with arms (morning, evening): fixed "ABBA BAAB"
        "sequence": ["morning", "evening", "evening", "morning",
                     "evening", "morning", "morning", "evening"],
        "missing_day": 0.05,
        "missing_cell": 0.01,
        "outcomes": [
            {"name": "sbp", "type": "continuous",
             "measured": [8, 9, 10, 11, 12, 13, 14],
             "alpha": 138.0, "effects": {"evening": -3.5}, "trend": 0.0,
             "trend_per": 28, "phi": 0.3, "sigma": 7.0,
             "bounds": (70, 250), "decimals": 0},
            {"name": "dizziness", "type": "binary", "measured": "daily",
             "alpha": -2.8, "effects": {"evening": 0.4}},
        ],
    },
}


# ---------------------------------------------------------------------------
# Random variates (random.Random only, so results are stable across Pythons).
# ---------------------------------------------------------------------------

def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


def poisson(rng, lam):
    # Knuth's multiplication method; lam stays small in these diaries.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def neg_binomial_2(rng, mu, psi):
    return poisson(rng, rng.gammavariate(psi, mu / psi))


# ---------------------------------------------------------------------------
# Schedule
# ---------------------------------------------------------------------------

def day_plan(ex, sequence):
    """One entry per day: (day, arm or 'none', period index or None, day in
    period, previous arm, days since switch)."""
    plan = []
    for d in range(1, ex["run_in"] + 1):
        plan.append({"day": d, "arm": "none", "period": None, "pday": d,
                     "prev": None, "since_switch": None})
    prev = None
    day = ex["run_in"]
    for p, arm in enumerate(sequence):
        switched = prev is not None and prev != arm
        for j in range(1, ex["period"] + 1):
            day += 1
            plan.append({"day": day, "arm": arm, "period": p, "pday": j,
                         "prev": prev if switched else None,
                         "since_switch": j if switched else None})
        prev = arm
    return plan


def read_schedule_csv(path):
    """Arm per period and measurement days per outcome from
    `trialc schedule --format csv` (one row per day: day,date,period,arm,phase
    and one 0/1 column per outcome)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"day", "period", "arm"} <= set(rows[0]):
        sys.exit(f"{path}: expected the per-day CSV of `trialc schedule --format csv`")
    seq, last = [], None
    for r in rows:
        if r["period"] and r["period"] != last:
            seq.append(r["arm"])
            last = r["period"]
    fixed = {"day", "date", "period", "arm", "phase"}
    measured = {c: {int(r["day"]) for r in rows if r[c] == "1"}
                for c in rows[0] if c not in fixed}
    return seq, measured


def measured_on(outcome, entry, ex):
    if "schedule_days" in ex and outcome["name"] in ex["schedule_days"]:
        return entry["day"] in ex["schedule_days"][outcome["name"]]
    m = outcome["measured"]
    if m == "daily":
        return True
    if m == "weekly":  # day 7, 14, 21, … counted from day 1
        return entry["day"] % 7 == 0
    if m == "per period":  # the last day of each period
        return entry["period"] is not None and entry["pday"] == ex["period"]
    if isinstance(m, list):  # on days [..] of every period
        return entry["period"] is not None and entry["pday"] in m
    raise ValueError(m)


# ---------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------

def arm_effect(outcome, entry, ex):
    """The arm effect on a day, with decaying carryover after a switch, and
    growing linearly to its full size over the first `effect_ramp` days
    when the example has one (a treatment that takes getting used to)."""
    eff = outcome.get("effects", {})
    now = eff.get(entry["taken"], 0.0)
    ramp = ex.get("effect_ramp", 0)
    if ramp:
        now *= min(1.0, entry["day"] / ramp)
    hl = ex.get("carryover_half_life", 0.0)
    if entry["prev"] is None or hl <= 0:
        return now
    w = 0.5 ** (entry["since_switch"] / hl)  # weight still on the old arm
    return (1 - w) * now + w * eff.get(entry["prev"], 0.0)


def simulate(ex, sequence, seed):
    rng = random.Random(seed)
    plan = day_plan(ex, sequence)
    arms = sorted(set(sequence))
    for entry in plan:  # what was actually taken drives the outcomes
        taken = ex.get("deviations", {}).get(entry["day"])
        if taken == "other":
            taken = next(a for a in arms if a != entry["arm"])
        entry["taken"] = taken or entry["arm"]
    n = len(plan)
    analysed = [e["day"] for e in plan if e["period"] is not None]
    dbar = sum(analysed) / len(analysed)

    values = {o["name"]: [None] * n for o in ex["outcomes"]}
    z = {}  # standardized AR(1) errors of continuous outcomes, for coupling

    for o in ex["outcomes"]:
        name, kind = o["name"], o["type"]
        if kind == "continuous":
            phi, sigma = o["phi"], o["sigma"]
            marg = sigma / math.sqrt(1 - phi * phi)
            e = rng.gauss(0, marg)
            zs = []
            for i, entry in enumerate(plan):
                if i > 0:
                    e = phi * e + rng.gauss(0, sigma)
                zs.append(e / marg)
                eta = (o["alpha"] + arm_effect(o, entry, ex)
                       + o.get("trend", 0.0) * (entry["day"] - dbar) / o.get("trend_per", 28))
                y = eta + e
                lo, hi = o.get("bounds", (-math.inf, math.inf))
                y = min(max(y, lo), hi)
                values[name][i] = round(y, o.get("decimals", 1))
            z[name] = zs
            continue
        couple = o.get("couple")
        for i, entry in enumerate(plan):
            eta = o.get("alpha", 0.0) + arm_effect(o, entry, ex)
            if couple:
                eta += couple[1] * z[couple[0]][i]
            if kind == "binary":
                values[name][i] = 1 if rng.random() < logistic(eta) else 0
            elif kind == "count":
                mu = math.exp(eta)
                values[name][i] = (neg_binomial_2(rng, mu, o["psi"]) if "psi" in o
                                   else poisson(rng, mu))
            elif kind == "ordinal":
                lo, hi = o["levels"]
                u = rng.random()
                latent = eta + math.log(u / (1 - u))  # standard logistic
                k = sum(1 for c in o["cutpoints"] if latent > c)
                values[name][i] = lo + k
                assert lo <= values[name][i] <= hi
            else:
                raise ValueError(kind)

    # Measurement days and missingness, from a stream of its own so that the
    # missingness rate can change without changing the simulated values.
    rng = random.Random(seed + 1_000_000)
    n_missing = round(ex["missing_day"] * len(plan))
    missing_days = set(rng.sample([e["day"] for e in plan], n_missing))
    rows = []
    for i, entry in enumerate(plan):
        day_missing = entry["day"] in missing_days
        row = {"day": entry["day"], "arm": entry["taken"]}
        for o in ex["outcomes"]:
            cell_missing = rng.random() < ex["missing_cell"]
            if measured_on(o, entry, ex) and not day_missing and not cell_missing:
                v = values[o["name"]][i]
                row[o["name"]] = (str(int(v)) if isinstance(v, int)
                                  or float(v).is_integer() else str(v))
            else:
                row[o["name"]] = ""
        rows.append(row)
    return rows


def to_csv(ex, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    names = [o["name"] for o in ex["outcomes"]]
    w.writerow(["day", "arm"] + names)
    for r in rows:
        w.writerow([r["day"], r["arm"]] + [r[n] for n in names])
    return out.getvalue()


# ---------------------------------------------------------------------------
# Consistency with the spec (a light textual check, not a parser)
# ---------------------------------------------------------------------------

def check_spec(name, ex, sequence):
    path = os.path.join(ROOT, ex["spec"])
    if not os.path.exists(path):
        print(f"warning: {ex['spec']} not found; skipping spec check", file=sys.stderr)
        return
    text = re.sub(r"//[^\n]*", "", open(path).read())
    arms = re.findall(r"^\s*arm\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.M)
    for a in sequence:
        if a not in arms:
            sys.exit(f"{name}: sequence arm {a!r} is not an arm of the spec {arms}")
    for field, key in (("run_in", "run_in"), ("period", "period"), ("washout", "washout")):
        m = re.search(rf"\b{field}\s+(\d+)\s+(days?|weeks?)", text)
        if m:
            days = int(m.group(1)) * (7 if m.group(2).startswith("week") else 1)
            if days != ex[key]:
                sys.exit(f"{name}: spec says {field} {days} days, script says {ex[key]}")
    for o in ex["outcomes"]:
        if not re.search(rf"^\s*outcome\s+{o['name']}\b", text, re.M):
            sys.exit(f"{name}: outcome {o['name']!r} is not in the spec")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("example", nargs="?", choices=sorted(EXAMPLES))
    ap.add_argument("--all", action="store_true", help="regenerate every example")
    ap.add_argument("--schedule-csv", help="`trialc schedule --format csv` output")
    ap.add_argument("--sequence", help="comma-separated arm per period")
    ap.add_argument("--seed", type=int, help="override the example's seed")
    ap.add_argument("--out", help="output path (default examples/NAME/diary.csv)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if a committed diary differs from what "
                         "the script generates (for CI)")
    args = ap.parse_args()
    stale = []
    if not args.all and not args.example:
        ap.error("name an example or pass --all")
    names = sorted(EXAMPLES) if args.all else [args.example]
    for name in names:
        ex = EXAMPLES[name]
        seq = ex["sequence"]
        if args.schedule_csv and not args.all:
            seq, days = read_schedule_csv(args.schedule_csv)
            ex = dict(ex, schedule_days=days)
        elif args.sequence and not args.all:
            seq = [s.strip() for s in args.sequence.split(",") if s.strip()]
        check_spec(name, ex, seq)
        seed = args.seed if args.seed is not None else ex["seed"]
        text = to_csv(ex, simulate(ex, seq, seed))
        out = args.out if (args.out and not args.all) else os.path.join(
            ROOT, "examples", name, "diary.csv")
        if args.check:
            current = open(out, newline="").read() if os.path.exists(out) else None
            if current != text:
                stale.append(os.path.relpath(out, ROOT))
            continue
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w", newline="") as f:
            f.write(text)
        print(f"{name}: {len(text.splitlines()) - 1} days, seed {seed}, "
              f"sequence {' '.join(seq)} -> {os.path.relpath(out, ROOT)}")
    if args.check:
        if stale:
            sys.exit("stale synthetic diaries (regenerate with "
                     "scripts/synthesize-diaries.py): " + ", ".join(stale))
        print(f"{len(names)} synthetic diaries are up to date")


if __name__ == "__main__":
    main()
