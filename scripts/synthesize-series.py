#!/usr/bin/env python3
"""Synthesize a SERIES of N-of-1 trials for `trialc pool`: SYNTHETIC DATA, not patients.

examples/pool-series/ is made by this script: N participants of the same
trial (blue-light glasses vs the usual evening, sleep onset latency in
minutes, lower is better), each with their own spec (their own randomization
seed and start date), their own LFM hypothesis file, their own diary, and a
manifest with two person-level covariates (age, baseline latency). The truth:

    delta_i = MU + GAMMA_BASELINE * (baseline_i - 35) / 10 + TAU * e_i
    y_it    = alpha_i + delta_i [arm = glasses] + AR(1) errors (phi_i, sigma_i)

with alpha_i = baseline_i + normal(0, 3), phi_i ~ uniform(0.3, 0.6),
sigma_i ~ uniform(6, 12) (the innovation SD), on every calendar day (the
process runs through washout and missing days), the glasses' effect decaying
with a half-life of 1 day after a switch (so the washout days are
contaminated, which is why they are not analysed). Values are rounded to
0.1 minute and clipped to [0, 180]; 5% of days are missing. Age has no
effect. The LFM is over-confident by a factor of 2: its hypothesis for
person i has mean m_i = delta_i + 2 s_i e'_i and states SD s_i ~ uniform(2.5,
4.5), so the discount the series should find is 1 / 2^2 = 0.25. truth.json
records every person's true values.

With --evidence, every participant's `trialc run --export-evidence` file is
written to evidence/ (4 chains x 1000 draws, seed 1), with
manifest-evidence.csv naming them: the same series, pooled from summaries.

Usage:
  python3 scripts/synthesize-series.py --trialc target/release/trialc [--evidence]
  python3 scripts/synthesize-series.py --trialc BIN --check     # files up to date?
  python3 scripts/synthesize-series.py --trialc BIN --people 100 --out /tmp/s100 --no-lfm
      (a bigger series for benchmarks: no LFM priors, normal(0, 15) effects)

Pure Python standard library and the trialc binary (for each schedule);
deterministic: random.Random with integer seeds.
"""

import argparse
import csv
import datetime
import filecmp
import hashlib
import io
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples", "pool-series")

MU = -8.0
TAU = 5.0
GAMMA_BASELINE = -3.0   # per 10 minutes of baseline latency
OVERCONFIDENCE = 2.0
SEED = 20270101
START = datetime.date(2027, 1, 4)

PERSON_SPEC = """// SYNTHETIC participant {pid} of the pool-series example, made by
// scripts/synthesize-series.py: not a patient. Their own spec: the series'
// trial with their own randomization seed, start date and LFM prior.

/// Do blue-light-blocking glasses in the evening shorten this person's
/// sleep onset latency? Randomized pairs of 14-day periods, 2-day washout.
trial "pool-series" {{
  title    "Blue-light glasses vs the usual evening and sleep onset latency (SYNTHETIC)"
  version  "1.0.0"
}}

data "diary.csv"
{hypotheses}
arm usual   "The usual evening routine" reference
arm glasses "Blue-light-blocking glasses from 8 pm until bed"

schedule {{
  start     {start}
  period    14 days
  cycles    3
  sequence  randomized pairs
  washout   2 days
  blinding  open
  seed      {seed}
}}

outcome latency "Sleep onset latency last night, minutes (wearable estimate)" {{
  type      continuous in [0, 180]
  measured  daily
  better    lower
  mcid      5
  unit      "minutes"
  primary
}}

model latency {{
  effect glasses ~ {effect_prior}
  intercept      ~ normal(30, 20)
  errors         ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(15))
}}

decide {{
  recommend glasses if P(effect on latency < -mcid) >= 0.80
  otherwise inconclusive
}}
"""

SERIES_SPEC = """// The series' spec of the pool-series example (SYNTHETIC, made by
// scripts/synthesize-series.py): what `trialc pool` asks of every
// participant. Its prior of the effect, normal(0, 15), is the prior of the
// population mean effect mu; each participant's own spec (participants/)
// has their randomization seed and LFM prior. Its schedule and data are
// participant p001's, so that `trialc run` on it analyses p001 alone
// under the series' prior.

/// Do blue-light-blocking glasses in the evening shorten sleep onset
/// latency, on average and for whom? A series of N-of-1 trials.
trial "pool-series" {
  title    "Blue-light glasses vs the usual evening and sleep onset latency (SYNTHETIC)"
  version  "1.0.0"
}

data "participants/p001/diary.csv"

arm usual   "The usual evening routine" reference
arm glasses "Blue-light-blocking glasses from 8 pm until bed"

schedule {
  start     2027-01-04
  period    14 days
  cycles    3
  sequence  randomized pairs
  washout   2 days
  blinding  open
  seed      20270102
}

outcome latency "Sleep onset latency last night, minutes (wearable estimate)" {
  type      continuous in [0, 180]
  measured  daily
  better    lower
  mcid      5
  unit      "minutes"
  primary
}

model latency {
  effect glasses ~ normal(0, 15)
  intercept      ~ normal(30, 20)
  errors         ar1(phi ~ uniform(-1, 1), sigma ~ half_normal(15))
}

decide {
  recommend glasses if P(effect on latency < -mcid) >= 0.80
  otherwise inconclusive
}
"""


def schedule(trialc, spec_path):
    out = subprocess.run([trialc, "schedule", spec_path, "--format", "csv"],
                         check=True, capture_output=True, text=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def person(rng, i, lfm):
    baseline = rng.gauss(35.0, 10.0)
    age = rng.randint(25, 70)
    delta = MU + GAMMA_BASELINE * (baseline - 35.0) / 10.0 + TAU * rng.gauss(0.0, 1.0)
    p = {
        "participant": f"p{i:03d}",
        "age": age,
        "baseline": round(baseline, 1),
        "alpha": baseline + rng.gauss(0.0, 3.0),
        "delta": delta,
        "phi": rng.uniform(0.3, 0.6),
        "sigma": rng.uniform(6.0, 12.0),
        "seed": SEED + i,
        "start": (START + datetime.timedelta(days=7 * (i - 1))).isoformat(),
    }
    if lfm:
        s = rng.uniform(2.5, 4.5)
        p["lfm_sd"] = round(s, 2)
        p["lfm_mean"] = round(delta + OVERCONFIDENCE * s * rng.gauss(0.0, 1.0), 2)
    return p


def diary(rng, p, days):
    rows = []
    e = rng.gauss(0.0, p["sigma"] / math.sqrt(1 - p["phi"] ** 2))
    effect = 0.0
    for d in days:
        if int(d["day"]) > 1:
            e = p["phi"] * e + rng.gauss(0.0, p["sigma"])
        on = d["arm"] == "glasses"
        # The effect switches with a half-life of 1 day.
        target = p["delta"] if on else 0.0
        effect = target + (effect - target) * 0.5 if int(d["day"]) > 1 else target
        y = min(180.0, max(0.0, p["alpha"] + effect + e))
        missing = rng.random() < 0.05
        rows.append((d["day"], d["arm"], "" if missing else f"{y:.1f}"))
    return rows


def hypotheses_json(p):
    prompt = f"pool-series LFM prompt for participant {p['participant']}"
    return {
        "format": "trialc-hypotheses/1",
        "generator": {
            "model": "example-lfm",
            "version": "2027-01",
            "prompt_sha256": hashlib.sha256(prompt.encode()).hexdigest(),
            "created": "2027-01-01",
        },
        "participant": p["participant"],
        "hypotheses": [{
            "id": "H1",
            "rank": 1,
            "intervention": "glasses",
            "outcome": "latency",
            "effect": {"mean": p["lfm_mean"], "sd": p["lfm_sd"], "scale": "outcome units"},
            "rationale": "SYNTHETIC: drawn by scripts/synthesize-series.py around the true effect with twice the stated SD.",
        }],
    }


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write(text)


def build(trialc, out, people, lfm, evidence):
    rng = random.Random(SEED)
    write(os.path.join(out, "series.trial"), SERIES_SPEC)
    truth = {"mu": MU, "tau": TAU, "gamma_baseline_per_10_minutes": GAMMA_BASELINE,
             "lfm_overconfidence": OVERCONFIDENCE if lfm else None,
             "discount_expected": 1 / OVERCONFIDENCE ** 2 if lfm else None, "people": []}
    manifest = [("participant", "diary", "spec", "age", "baseline")]
    ev_manifest = [("participant", "evidence", "spec", "age", "baseline")]
    for i in range(1, people + 1):
        p = person(rng, i, lfm)
        pid = p["participant"]
        folder = os.path.join(out, "participants", pid)
        spec_path = os.path.join(folder, f"{pid}.trial")
        write(spec_path, PERSON_SPEC.format(
            pid=pid, start=p["start"], seed=p["seed"],
            hypotheses='\nhypotheses lfm from "lfm.json"\n' if lfm else "",
            effect_prior="lfm.H1 discount 1 robust 0.2" if lfm else "normal(0, 15)"))
        if lfm:
            write(os.path.join(folder, "lfm.json"), json.dumps(hypotheses_json(p), indent=2) + "\n")
        days = schedule(trialc, spec_path)
        drng = random.Random(p["seed"])
        rows = diary(drng, p, days)
        write(os.path.join(folder, "diary.csv"),
              "day,arm,latency\n" + "".join(f"{d},{a},{y}\n" for d, a, y in rows))
        manifest.append((pid, f"participants/{pid}/diary.csv", f"participants/{pid}/{pid}.trial",
                         str(p["age"]), str(p["baseline"])))
        ev_manifest.append((pid, f"evidence/{pid}.json", f"participants/{pid}/{pid}.trial",
                            str(p["age"]), str(p["baseline"])))
        truth["people"].append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in p.items()})
        if evidence:
            os.makedirs(os.path.join(out, "evidence"), exist_ok=True)
            subprocess.run([trialc, "run", spec_path, "--seed", "1", "--export-evidence",
                            os.path.join(out, "evidence", f"{pid}.json")],
                           check=False, capture_output=True)
    write(os.path.join(out, "manifest.csv"), "".join(",".join(r) + "\n" for r in manifest))
    if evidence:
        write(os.path.join(out, "manifest-evidence.csv"), "".join(",".join(r) + "\n" for r in ev_manifest))
    write(os.path.join(out, "truth.json"), json.dumps(truth, indent=1) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trialc", default=os.path.join(ROOT, "target", "release", "trialc"))
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--people", type=int, default=16)
    ap.add_argument("--no-lfm", action="store_true", help="no LFM priors (benchmark series)")
    ap.add_argument("--evidence", action="store_true", help="also export every participant's evidence")
    ap.add_argument("--check", action="store_true", help="verify the committed example is what this script makes")
    a = ap.parse_args()
    if a.check:
        tmp = tempfile.mkdtemp()
        try:
            build(a.trialc, tmp, a.people, not a.no_lfm, os.path.isdir(os.path.join(a.out, "evidence")))
            bad = []
            for dirpath, _, files in os.walk(tmp):
                for f in files:
                    rel = os.path.relpath(os.path.join(dirpath, f), tmp)
                    mine = os.path.join(a.out, rel)
                    if not os.path.exists(mine) or not filecmp.cmp(os.path.join(dirpath, f), mine, shallow=False):
                        bad.append(rel)
            if bad:
                print("out of date: " + ", ".join(sorted(bad)), file=sys.stderr)
                sys.exit(1)
            print(f"{a.out}: up to date")
        finally:
            shutil.rmtree(tmp)
        return
    if os.path.isdir(a.out) and a.out == OUT:
        for sub in ("participants", "evidence"):
            shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)
    build(a.trialc, a.out, a.people, not a.no_lfm, a.evidence)
    print(f"wrote {a.people} participants to {a.out}")


if __name__ == "__main__":
    main()
