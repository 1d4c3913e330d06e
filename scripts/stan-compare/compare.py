#!/usr/bin/env python3
"""Fit the same model and data with Stan (pystan 3 / httpstan) and with trialc,
and check agreement (issue 4, "Agreement and speed", first bullet):

  posterior means   |m_t - m_s| <= 4 sqrt(mcse_t^2 + mcse_s^2)
  posterior sds     |sd_t / sd_s - 1| <= 0.10
  decision probs    |p_t - p_s| <= 4 sqrt(mcse_t^2 + mcse_s^2)

and, for every outcome whose effect has a robust LFM prior
(1 - r) N(m, s / sqrt(w)) + r V, the posterior weight of the vague component,
the mean over draws of the responsibility
  r V(delta) / ((1 - r) N(delta | m, s / sqrt(w)) + r V(delta)):
  Stan vs trialc    |w_t - w_s| <= 4 sqrt(mcse_t^2 + mcse_s^2)  (MCSE of the
                    mean of the responsibility, diag.py)
  trialc's report   prior_conflict.posterior_vague_weight equals the mean over
                    trialc's draws (to 1e-9), prior_vague_weight = r, and
                    conflict = (weight > r)
  direction         where the case says so, the weight is above r on both
                    sides (data conflict with the hypothesis) or below r
                    (data agree: the informative component keeps its weight)

Data: the lowered MIR of each outcome (`trialc debug mir --format json`, the compiler's own
pipeline: parse, check, hypotheses, schedule, diary, lower) gives y, the trial
days and the linear-predictor columns; they are re-derived here where possible
(dbar = mean analysed day, trend = (d - dbar) / L, 0/1 indicators) as a check on
the lowering. Priors are written by hand in each Stan program from the spec.

trialc side: `trialc run SPEC --format json --out DIR`; means, sds and MCSEs
come from its report.json; decision probabilities of the spec's rules from
report.json (its own MCSE); the other decision probabilities (P(effect < 0) in
the benefit direction, P(effect beyond the MCID)) from its CmdStan-format
draws, with the same MCSE estimator as the Stan side (diag.py: Stan's ess_mean).

A negative control must FAIL at least one check, otherwise the run fails.

usage: compare.py --trialc BIN --work DIR [--only CASE ...] [--results FILE]

With --only, the named cases are fitted again and merged into an existing
results file: their rows in every table are replaced (in CASES order), the
other cases' rows are kept as they were, the summary and the overall verdict
are recomputed from the merged Cases table, and the provenance list says which
commit produced which rows. Without --only (or with no results file yet) the
file is written from this run alone.
"""
import argparse
import csv
import glob
import io
import json
import math
import os
import subprocess
import sys
import time
import contextlib
import re

import numpy as np
from scipy.stats import norm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import diag  # noqa: E402

CHAINS, WARMUP, DRAWS = 4, 1000, 1000
TRIALC_SEED = 20261129
STAN_SEED = 4242
Z = 4.0          # combined-MCSE multiple for means and probabilities
SD_TOL = 0.10    # relative sd tolerance
W_TOL = 1e-9     # report's posterior vague weight vs the mean over trialc's draws

EX = os.path.join(ROOT, "examples")
CASES = [
    # name, spec, outcome, stan program, kind, data tweak
    ("ar1_gaps", f"{EX}/magnesium-migraine/magnesium-migraine.trial", "pain", "ar1_migraine", "continuous AR(1), washout gaps + missing days, robust LFM mixture, trend", None),
    ("ar1_beta_phi", f"{EX}/sleep-coach-styles/sleep-coach-styles.trial", "sleep_efficiency", "ar1_sleep_coach", "continuous AR(1), phi ~ beta(2,2) on (0,1), trend, arm deviation", None),
    ("normal_iid", f"{EX}/hpi-milk-sleep/hpi-milk-sleep.trial", "sleep_quality", "normal_milk", "continuous iid normal (real StudyU data)", None),
    ("normal_iid_mix", f"{EX}/bp-chronotherapy/bp-chronotherapy.trial", "sbp", "normal_bp", "continuous iid normal, student-t intercept, mixture effect prior", None),
    ("binary", f"{EX}/magnesium-migraine/magnesium-migraine.trial", "attack", "binary_migraine", "bernoulli-logit, robust LFM mixture", None),
    ("poisson", f"{EX}/naproxen-dose/naproxen-dose.trial", "rescue", "poisson_naproxen", "poisson-log, 3 arms", None),
    ("negbin", f"{EX}/sleep-coach-styles/sleep-coach-styles.trial", "awakenings", "negbin_sleep_coach", "neg_binomial_2-log, gamma(2, 0.1) dispersion, trend", None),
    ("ordinal_7", f"{EX}/naproxen-dose/naproxen-dose.trial", "pgic", "ordinal", "ordered logistic 1..7, cutpoints = cumulative logits of p ~ dirichlet(1) (the induced Dirichlet(1)), 3 arms", None),
    ("ordinal_5", f"{EX}/magnesium-migraine/magnesium-migraine.trial", "sleep_quality", "ordinal_magnesium", "ordered logistic 1..5, cutpoints = cumulative logits of p ~ dirichlet(1) (the induced Dirichlet(1)), robust LFM mixture", None),
    ("conflict", f"{HERE}/cases/conflict/conflict.trial", "pain", "ar1_conflict", "continuous AR(1) with gaps, LFM prior contradicted by the data (robust component dominates)", None),
    # issue 12: the model terms
    ("lag_covariates", f"{EX}/mood-walks/mood-walks.trial", "mood", "lag_covariates_mood", "continuous, lagged outcome (rho^g across gaps), two standardised daily covariates, days without one excluded", None),
    ("binomial", f"{HERE}/cases/binomial/binomial.trial", "on_time", "binomial_adherence", "binomial-logit, trials from a diary column, a standardised covariate", None),
    ("latent_count_ar1", f"{HERE}/cases/count_ar1/count_ar1.trial", "y", "latent_count_ar1", "count_ar1 from a spec: poisson-log with a latent non-centred AR(1), 89 parameters", None),
    ("latent_binary", f"{HERE}/cases/latent_binary/latent_binary.trial", "attack", "latent_binary", "bernoulli-logit with a latent AR(1), exact across washout gaps", None),
    ("decay", f"{HERE}/cases/decay/decay.trial", "pain", "decay_naproxen", "continuous, carryover as exponential decay (washout days analysed)", None),
    ("clock", f"{HERE}/cases/clock/clock.trial", "heart_rate", "clock_hr", "continuous AR(1), gaps counted in hours (the diary's clock), 3 readings a day", None),
    # negative controls: Stan deliberately fitted to a different model or data
    ("NEG_ignore_gaps", f"{EX}/magnesium-migraine/magnesium-migraine.trial", "pain", "ar1_migraine", "NEGATIVE CONTROL: AR(1) with the gaps ignored (days renumbered 1..N)", "ignore_gaps"),
    ("NEG_conflict_no_robust", f"{HERE}/cases/conflict/conflict.trial", "pain", "neg_ar1_conflict_norobust", "NEGATIVE CONTROL: conflict case, effect prior without the robust component", None),
    # probe (neither must pass nor fail): the same omission where the data agree with the hypothesis
    ("PROBE_no_robust", f"{EX}/magnesium-migraine/magnesium-migraine.trial", "pain", "neg_ar1_migraine_norobust", "PROBE: magnesium pain, effect prior without the robust component (data agree with H1)", None),
    ("NEG_shift", f"{EX}/magnesium-migraine/magnesium-migraine.trial", "pain", "ar1_migraine", "NEGATIVE CONTROL: y + 0.1 on magnesium days (true effect shift 0.1)", "shift"),
    ("NEG_lag_ignore_gaps", f"{EX}/mood-walks/mood-walks.trial", "mood", "lag_covariates_mood", "NEGATIVE CONTROL: mood-walks with the lag weighted rho, not rho^g (every gap set to 1)", "lag_gaps_1"),
]

# Robust LFM priors, written by hand from the specs: (spec file stem, outcome)
# -> hypothesis id, discount w, robust weight r and the vague component. m and
# s are read from the hypotheses file; the whole mixture is checked against
# the lowered MIR. The default vague component (no `vague` clause: binary and
# ordinal effects) is normal(0, 2.5), the unit-information scale the lowering
# uses on the log-odds / log cumulative odds scale.
HYPOTHESES = f"{EX}/magnesium-migraine/hypotheses/p0042.json"
ROBUST = {
    ("magnesium-migraine", "pain"): {"hyp": "H1", "w": 0.5, "r": 0.2, "vague": (0.0, 3.0)},
    ("magnesium-migraine", "attack"): {"hyp": "H2", "w": 0.5, "r": 0.3, "vague": (0.0, 2.5)},
    ("magnesium-migraine", "sleep_quality"): {"hyp": "H3", "w": 0.5, "r": 0.5, "vague": (0.0, 2.5)},
    ("conflict", "pain"): {"hyp": "H1", "w": 0.5, "r": 0.2, "vague": (0.0, 3.0)},
}
# Issue 5: where the data agree with the hypothesis the vague weight must stay
# below its prior weight r, where they conflict it must rise above r; asserted
# on both sides for these two cases, only reported for the others.
EXPECT = {"ar1_gaps": "agree", "conflict": "conflict"}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- trialc side
_mir_cache, _run_cache = {}, {}


def mir(trialc, spec):
    if spec not in _mir_cache:
        # --allow-outside: the conflict case reads the migraine example's hypotheses.
        out = subprocess.run([trialc, "debug", "mir", "--format", "json", "--allow-outside", spec],
                             check=True, capture_output=True, text=True).stdout
        _mir_cache[spec] = {o["outcome"]: o for o in json.loads(out)}
    return _mir_cache[spec]


def trialc_run(trialc, spec, work, draws=DRAWS):
    if (spec, draws) in _run_cache:
        return _run_cache[(spec, draws)]
    out = os.path.join(work, "trialc", os.path.basename(spec).replace(".trial", "") + f"-{draws}")
    os.makedirs(out, exist_ok=True)
    cmd = [trialc, "run", "--allow-outside", spec, "--chains", str(CHAINS), "--warmup", str(WARMUP), "--draws", str(draws),
           "--seed", str(TRIALC_SEED), "--format", "json", "--out", out]
    started = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if p.returncode not in (0, 3):
        raise SystemExit(f"trialc run failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    rep = json.load(open(os.path.join(out, "report.json")))
    _run_cache[(spec, draws)] = (rep, out, p.returncode, " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd), seconds)
    return _run_cache[(spec, draws)]


def read_cmdstan(out, outcome):
    """{column: (chains, draws) array} from trialc's CmdStan CSVs."""
    files = sorted(glob.glob(os.path.join(out, f"{outcome}-[0-9]*.csv")),
                   key=lambda f: int(f.rsplit("-", 1)[1].split(".")[0]))
    chains = []
    for f in files:
        rows = [r for r in csv.reader(line for line in open(f) if not line.startswith("#")) if r]
        head, body = rows[0], np.array(rows[1:], dtype=float)
        chains.append(body)
    arr = np.stack(chains)  # (chains, draws, cols)
    return {h: arr[:, :, i] for i, h in enumerate(head)}


def csv_name(mir_name, effects):
    # the K-th effect (`effects`: the report's effect parameters, in order) -> effect.K ;
    # cutpoints[2] -> cutpoints.2 ; covariate[stress] -> covariate_stress
    if mir_name in effects:
        return f"effect.{effects.index(mir_name) + 1}"
    if mir_name.startswith("cutpoints["):
        return "cutpoints." + mir_name[len("cutpoints["):-1]
    return mir_name.replace("[", "_").replace("]", "")


# ------------------------------------------------------------------ Stan side
def stan_data(o, tweak):
    """Stan data from the lowered MIR, with independent re-derivations checked."""
    lik = o["model"]["likelihoods"][0]
    pred = lik["predictor"]
    y = np.array(lik["y"], dtype=float)
    days = np.array(o["days"], dtype=int)
    n = len(y)
    # The model's clock: trial days, or the diary's own unit (`clock hour`).
    times = np.array(lik["days"] if lik["days"] else o["days"], dtype=int)
    assert len(days) == n and np.all(np.diff(days) >= 0), "days must not decrease"
    assert len(times) == n and np.all(np.diff(times) > 0), "times must be strictly increasing"
    assert abs(o["dbar"] - days.mean()) < 1e-9, "dbar is not the mean analysed day"
    assert not pred["carryover"], "case uses constant carryover terms"
    cols = [np.array(c["values"], dtype=float) for c in pred["arm_effects"]]
    for c in cols:
        assert set(np.unique(c)) <= {0.0, 1.0}
    X = np.stack(cols, axis=1)
    assert np.all(X.sum(axis=1) <= 1), "an observation on two arms"
    # indicator columns agree with the arms of the analysis set
    arms = np.array(o["arms"])
    for c in cols:
        on = np.unique(arms[c == 1])
        assert len(on) == 1 and not np.any(arms[c == 0] == on[0]), "indicator does not match the arm taken"
    t = None
    if pred.get("trend"):
        t = np.array(pred["trend"]["values"], dtype=float)
        assert np.allclose(t, (days - days.mean()) / o["per_days"]), "trend covariate is not (d - dbar)/L"
    fam = lik["family"]
    famname = fam if isinstance(fam, str) else next(iter(fam))
    if tweak == "ignore_gaps":
        times = np.arange(1, n + 1)
    if tweak == "shift":
        y = y + 0.1 * X[:, 0]
    d = {"N": n}
    if famname in ("Normal", "NormalAr1"):
        d["y"] = y.tolist()
    else:
        assert np.all(y == np.round(y))
        d["y"] = [int(v) for v in y]
    if X.shape[1] == 1 and famname != "OrderedLogistic":
        d["x"] = X[:, 0].tolist()
    else:
        d["X"] = X.tolist()
    if t is not None:
        d["t"] = t.tolist()
    if famname == "NormalAr1" or pred.get("latent_ar1"):
        d["day"] = [int(v) for v in times]
    if famname == "OrderedLogistic":
        assert o["model"]["params"][0]["name"] == "cutpoints"
        d["K"] = o["model"]["params"][0]["size"] + 1
        d["P"] = X.shape[1]
        assert np.all((np.array(d["y"]) >= 1) & (np.array(d["y"]) <= d["K"]))
    if famname == "BinomialLogit":
        d["n"] = [int(v) for v in fam["BinomialLogit"]["trials"]]
        assert np.all(np.array(d["y"]) <= np.array(d["n"]))
    covs = pred.get("covariates") or []
    if covs:
        C = np.stack([np.array(c["values"], dtype=float) for c in covs], axis=1)
        # centred (and standardised) by trialc: mean 0 over the analysed days
        assert np.allclose(C.mean(axis=0), 0.0, atol=1e-9), "covariates are not centred"
        d["K"], d["C"] = C.shape[1], C.tolist()
    lag = pred.get("lagged_outcome")
    if lag:
        v = np.array(lag["values"], dtype=float)
        assert abs(v.mean()) < 1e-9, "lagged values are not centred"
        gaps = np.array(lag["gaps"], dtype=int)
        assert np.all(gaps >= 1)
        if tweak == "lag_gaps_1":
            gaps = np.ones_like(gaps)
        d["lagv"], d["gap"] = v.tolist(), [int(g) for g in gaps]
    decay = pred.get("carryover_decay")
    if decay:
        eff = [c["param"] for c in pred["arm_effects"]]
        assert len(eff) == 1, "one effect per decay case"
        tr = decay["transitions"]
        d["M"] = len(tr)
        d["obs"] = [int(x["obs"]) + 1 for x in tr]
        d["s"] = [float(x["elapsed"]) for x in tr]
        d["from_eff"] = [1.0 if x["from"] == eff[0] else 0.0 for x in tr]
        d["to_eff"] = [1.0 if x["to"] == eff[0] else 0.0 for x in tr]
        # every transition is a change of arm, on the first days of a period
        assert all(f != g for f, g in zip(d["from_eff"], d["to_eff"]))
        assert all(s >= 1 for s in d["s"])
    return d, famname


def stan_names(o):
    """MIR parameter names (as the report prints them) -> Stan names."""
    lik = o["model"]["likelihoods"][0]
    eff_ids = [c["param"] for c in lik["predictor"]["arm_effects"]]
    names = {}
    for pid, p in enumerate(o["model"]["params"]):
        n = p["name"]
        if n == "intercept":
            names[n] = ["alpha"]
        elif n.startswith("effect["):
            k = eff_ids.index(pid) + 1
            names[n] = ["delta", f"delta.{k}"]
        elif n == "trend":
            names[n] = ["beta"]
        elif n in ("sigma", "phi"):
            names[n] = [n]
        elif n == "dispersion":
            names[n] = ["psi"]
        elif n == "cutpoints":
            for j in range(1, p["size"] + 1):
                names[f"cutpoints[{j}]"] = [f"c.{j}"]
        elif n.startswith("covariate["):
            k = [c["param"] for c in lik["predictor"]["covariates"]].index(pid) + 1
            names[n] = [f"b.{k}"]
        elif n == "lag":
            names[n] = ["rho"]
        elif n == "carryover_rate":
            names[n] = ["rate"]
        elif n == "z":
            for j in range(1, p["size"] + 1):
                names[f"z[{j}]"] = [f"z.{j}"]
        else:
            raise SystemExit(f"no Stan name for {n}")
    return names


def fit_stan(program, data, draws=DRAWS):
    import stan
    code = open(os.path.join(HERE, "stan", program + ".stan")).read()
    buf = io.StringIO()
    saved = os.dup(2), os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 2)
    os.dup2(sink, 1)
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            post = stan.build(code, data=data, random_seed=STAN_SEED)
            started = time.perf_counter()
            fit = post.sample(num_chains=CHAINS, num_warmup=WARMUP, num_samples=draws)
            seconds = time.perf_counter() - started
    finally:
        os.dup2(saved[0], 2)
        os.dup2(saved[1], 1)
        os.close(sink)
    names = list(fit.sample_and_sampler_param_names) + list(fit.constrained_param_names)
    draws = fit._draws  # (names, draws, chains)
    out = {nm: draws[i].T for i, nm in enumerate(names)}
    return out, seconds


# ------------------------------------------------------- robust LFM priors
def robust_prior(spec, outcome, o):
    """The robust prior of this outcome's effect (None if it has none), from
    ROBUST and the hypotheses file, checked against the lowered MIR mixture."""
    key = (os.path.basename(spec).replace(".trial", ""), outcome)
    if key not in ROBUST:
        return None
    c = dict(ROBUST[key])
    h = next(x for x in json.load(open(HYPOTHESES))["hypotheses"] if x["id"] == c["hyp"])
    assert h["outcome"] == outcome, f"{c['hyp']} is about {h['outcome']}, not {outcome}"
    c["m"], c["s"] = float(h["effect"]["mean"]), float(h["effect"]["sd"])
    c["s_eff"] = c["s"] / math.sqrt(c["w"])
    eff = [i for i, p in enumerate(o["model"]["params"]) if p["name"].startswith("effect[")]
    assert len(eff) == 1, "one effect per robust case"
    c["param"] = o["model"]["params"][eff[0]]["name"]
    mix = next(pr["prior"] for pr in o["model"]["priors"] if pr["param"] == eff[0])["Mixture"]
    (inf, vag) = mix
    ok = (abs(inf["weight"] - (1 - c["r"])) < 1e-12 and abs(vag["weight"] - c["r"]) < 1e-12
          and abs(inf["dist"]["Normal"]["mu"] - c["m"]) < 1e-12 and abs(inf["dist"]["Normal"]["sigma"] - c["s_eff"]) < 1e-12
          and abs(vag["dist"]["Normal"]["mu"] - c["vague"][0]) < 1e-12 and abs(vag["dist"]["Normal"]["sigma"] - c["vague"][1]) < 1e-12)
    assert ok, f"{key}: lowered mixture {mix} differs from the hand-written prior {c}"
    return c


def vague_responsibility(x, c):
    """r V(x) / ((1 - r) N(x | m, s/sqrt(w)) + r V(x)), elementwise, in log space."""
    li = math.log1p(-c["r"]) + norm.logpdf(x, c["m"], c["s_eff"])
    lv = math.log(c["r"]) + norm.logpdf(x, c["vague"][0], c["vague"][1])
    return np.exp(lv - np.logaddexp(li, lv))


# ------------------------------------------------------------------- checks
def prob_mcse(ind):
    ind = np.asarray(ind, dtype=float)
    p = float(ind.mean())
    if ind.var() == 0:
        return p, 0.0
    return p, float(diag.mcse_mean(ind))


def decisions(o_rep, arm_names, rules, outcome):
    """[(label, param, cmp, threshold, rule-or-None)] for this outcome."""
    better, mcid = o_rep.get("better"), o_rep.get("mcid")
    out = []
    for arm, pname in arm_names:
        benefit = "<" if better == "lower" else ">"
        out.append((f"P({pname} {benefit} 0)", pname, benefit, 0.0, None))
        if mcid:
            thr = -mcid if benefit == "<" else mcid
            out.append((f"P({pname} {benefit} {thr:g})", pname, benefit, thr, None))
        treatment_arms = {a for a, _ in arm_names}
        # trialc-report/2: each rule's conditions; only those on the effect
        # scale against the reference compare with one parameter's draws.
        conditions = [c for r in rules for c in r.get("conditions", [])]
        for r in conditions:
            if (r.get("outcome") == outcome and r.get("arm") == arm and r.get("scale") == "effect"
                    and r.get("versus") not in treatment_arms):
                lab = f"rule: P({r['statement']})"
                # replace the generic one with the rule's own (report) probability
                out = [d for d in out if not (d[1] == pname and d[2] == r["comparison"] and abs(d[3] - r["threshold"]) < 1e-12)]
                out.append((lab, pname, r["comparison"], float(r["threshold"]), r))
    return out


def compare_case(case, args, draws=DRAWS):
    name, spec, outcome, program, kind, tweak = case
    o = mir(args.trialc, spec)[outcome]
    rep, out, rc, cmd, t_seconds = trialc_run(args.trialc, spec, args.work, draws)
    o_rep = next(x for x in rep["outcomes"] if x["name"] == outcome)
    data, fam = stan_data(o, tweak)
    log(f"[{name}] Stan fit of {program}.stan on {outcome} (n={data['N']}, {draws} draws/chain) ...")
    s, s_seconds = fit_stan(program, data, draws)
    t_draws = read_cmdstan(out, outcome)
    smap = stan_names(o)
    rows, drows = [], []
    for prm in o_rep["parameters"]:
        pname = prm["name"]
        sname = next(n for n in smap[pname] if n in s)
        x = s[sname]
        sm = diag.summarise(x)
        mt, st, et = prm["mean"], prm["sd"], prm["mcse_mean"]
        ms, ss, es = float(sm["mean"]), float(sm["sd"]), float(sm["mcse_mean"])
        comb = math.sqrt(et ** 2 + es ** 2)
        z = abs(mt - ms) / comb
        ratio = st / ss
        rows.append({"param": pname, "trialc_mean": mt, "trialc_mcse": et, "stan_mean": ms, "stan_mcse": es,
                     "z": z, "mean_ok": z <= Z, "trialc_sd": st, "stan_sd": ss, "sd_ratio": ratio,
                     "sd_ok": abs(ratio - 1) <= SD_TOL, "trialc_rhat": prm["rhat"], "stan_rhat": float(sm["rhat"]),
                     "trialc_ess_bulk": prm["ess_bulk"], "stan_ess_bulk": float(sm["ess_bulk"])})
    arm_names = [(e["arm"], e["parameter"]) for e in o_rep["effects"]]
    for lab, pname, cmp, thr, rule in decisions(o_rep, arm_names, rep.get("rules", []), outcome):
        xs = s[next(n for n in smap[pname] if n in s)]
        ind_s = (xs < thr) if cmp == "<" else (xs > thr)
        ps, es = prob_mcse(ind_s)
        if rule is not None:
            pt, et, src = float(rule["probability"]), float(rule["mcse"]), "report"
        else:
            xt = t_draws[csv_name(pname, [e["parameter"] for e in o_rep["effects"]])]
            pt, et = prob_mcse((xt < thr) if cmp == "<" else (xt > thr))
            src = "draws"
        comb = math.sqrt(et ** 2 + es ** 2)
        diff = abs(pt - ps)
        ok = diff <= Z * comb if comb > 0 else diff == 0
        drows.append({"label": lab, "trialc_p": pt, "trialc_mcse": et, "trialc_src": src, "stan_p": ps,
                      "stan_mcse": es, "diff": diff, "z": diff / comb if comb > 0 else (0.0 if diff == 0 else math.inf),
                      "ok": ok})
    # posterior weight of the robust prior's vague component
    wrow = None
    c = robust_prior(spec, outcome, o)
    # the report has prior_conflict exactly for the effects with a robust LFM prior
    assert (c is not None) == any(e.get("prior_conflict") for e in o_rep["effects"]), \
        f"{name}: ROBUST and trialc's report disagree on whether {outcome} has a robust LFM prior"
    if c is not None:
        pname = c["param"]
        rs = vague_responsibility(s[next(n for n in smap[pname] if n in s)], c)
        rt = vague_responsibility(t_draws[csv_name(pname, [e["parameter"] for e in o_rep["effects"]])], c)
        ws, es = float(rs.mean()), float(diag.mcse_mean(rs))
        wt, et = float(rt.mean()), float(diag.mcse_mean(rt))
        comb = math.sqrt(et ** 2 + es ** 2)
        pc = next(e for e in o_rep["effects"] if e["parameter"] == pname).get("prior_conflict")
        wrep = float(pc["posterior_vague_weight"]) if pc else math.nan
        rep_ok = (pc is not None and abs(wrep - wt) <= W_TOL and abs(pc["prior_vague_weight"] - c["r"]) < 1e-12
                  and pc["conflict"] == (wrep > c["r"]) and pc["hypothesis"] == f"lfm.{c['hyp']}")
        expect = EXPECT.get(name)
        if expect == "conflict":
            dir_ok = wt > c["r"] and ws > c["r"]
        elif expect == "agree":
            dir_ok = wt < c["r"] and ws < c["r"]
        else:
            dir_ok = None
        wrow = {"param": pname, "hypothesis": f"lfm.{c['hyp']}", "r": c["r"], "prior": 
                f"{1 - c['r']:g} normal({c['m']:g}, {c['s']:g}/sqrt({c['w']:g})) + {c['r']:g} normal({c['vague'][0]:g}, {c['vague'][1]:g})",
                "trialc_w": wt, "trialc_mcse": et, "stan_w": ws, "stan_mcse": es, "diff": abs(wt - ws),
                "z": abs(wt - ws) / comb, "ok": abs(wt - ws) <= Z * comb,
                "report_w": wrep, "report_diff": abs(wrep - wt), "report_conflict": pc["conflict"] if pc else None,
                "report_ok": rep_ok, "expect": expect, "dir_ok": dir_ok}
    # sampler health on the Stan side
    div = int(s["divergent__"].sum())
    checks = [r["mean_ok"] for r in rows] + [r["sd_ok"] for r in rows] + [d["ok"] for d in drows]
    if wrow is not None:
        checks += [wrow["ok"], wrow["report_ok"]] + ([wrow["dir_ok"]] if wrow["dir_ok"] is not None else [])
    # Speed: the lowest bulk-ESS over every parameter (latent innovations
    # included) per second of wall time: trialc's whole `trialc run` (parse,
    # check, diary, fit, report; every outcome of the spec) against Stan's
    # sampling call (warmup and draws, not the compile).
    lowest_t = min(rows, key=lambda r: r["trialc_ess_bulk"])
    lowest_s = min(rows, key=lambda r: r["stan_ess_bulk"])
    speed = {"trialc_seconds": t_seconds, "stan_seconds": s_seconds,
             "trialc_min_ess": lowest_t["trialc_ess_bulk"], "trialc_min_param": lowest_t["param"],
             "stan_min_ess": lowest_s["stan_ess_bulk"], "stan_min_param": lowest_s["param"],
             "trialc_ess_per_s": lowest_t["trialc_ess_bulk"] / t_seconds,
             "stan_ess_per_s": lowest_s["stan_ess_bulk"] / s_seconds,
             "trialc_divergences": int(o_rep["sampler"]["divergences"])}
    return {"case": name + ("" if draws == DRAWS else f" (x{draws // DRAWS} draws)"), "draws": draws, "spec": os.path.relpath(spec, ROOT), "outcome": outcome, "stan": f"stan/{program}.stan", "speed": speed,
            "kind": kind, "negative": name.startswith("NEG"), "probe": name.startswith("PROBE"), "n": data["N"], "family": fam,
            "trialc_cmd": cmd, "trialc_rc": rc, "stan_divergences": div,
            "params": rows, "decisions": drows, "weight": wrow, "n_checks": len(checks), "n_pass": int(sum(checks)),
            "all_pass": all(checks)}


# ------------------------------------------------------------------- output
def fmt(v, d=3):
    return f"{v:.{d}f}"


def collapsed(params):
    """The parameter rows with the elements of a long vector (a latent
    AR(1)'s innovations z[1..N]) folded into one row: its worst element by
    |delta|/MCSE_c (shown), the worst sd ratio, and both checks over all."""
    out, groups = [], {}
    for p in params:
        base = p["param"].split("[")[0]
        if "[" in p["param"] and sum(1 for q in params if q["param"].startswith(base + "[")) > 8:
            groups.setdefault(base, []).append(p)
            if len(groups[base]) == 1:
                out.append(base)
        else:
            out.append(p)
    rows = []
    for p in out:
        if not isinstance(p, str):
            rows.append(p)
            continue
        g = groups[p]
        worst = dict(max(g, key=lambda q: q["z"]))
        ratio = max(g, key=lambda q: abs(q["sd_ratio"] - 1))
        worst.update({"param": f"{p}[1..{len(g)}] (worst of {len(g)}: {worst['param']}; sd ratio {ratio['param']})",
                      "trialc_sd": ratio["trialc_sd"], "stan_sd": ratio["stan_sd"], "sd_ratio": ratio["sd_ratio"],
                      "mean_ok": all(q["mean_ok"] for q in g), "sd_ok": all(q["sd_ok"] for q in g)})
        rows.append(worst)
    return rows


PARAM_HEAD = ["| case | parameter | trialc mean (MCSE) | Stan mean (MCSE) | \\|Δ\\|/MCSE_c | trialc sd | Stan sd | sd ratio | mean | sd |",
              "|---|---|---|---|---|---|---|---|---|---|"]
DEC_HEAD = ["| case | decision probability | trialc p (MCSE, from) | Stan p (MCSE) | \\|Δ\\| | \\|Δ\\|/MCSE_c | check |",
            "|---|---|---|---|---|---|---|"]
WEIGHT_INTRO = ("Posterior weight of the robust prior's vague component (mean responsibility over draws), "
                "prior weight r; trialc's report value (`prior_conflict.posterior_vague_weight`) vs the mean over its draws:")
WEIGHT_HEAD = ["| case | prior | trialc weight (MCSE) | Stan weight (MCSE) | \\|Δ\\|/MCSE_c | check | trialc report | "
               "\\|report − draws\\| | check | vs r (trialc / Stan) | expected | check |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|"]
CASE_HEAD = ["| case | spec / outcome | Stan program | n | model | trialc exit | Stan divergences | checks passed |",
             "|---|---|---|---|---|---|---|---|"]


def table_rows(results):
    """Rows (without headers) of the Cases, parameter, decision and weight tables."""
    cases, params, decs, weights = [], [], [], []
    for r in results:
        cases.append(f"| {r['case']} | `{r['spec']}` / {r['outcome']} | `{r['stan']}` | {r['n']} | {r['kind']} | "
                     f"{r['trialc_rc']} | {r['stan_divergences']} | {r['n_pass']}/{r['n_checks']} |")
        for p in collapsed(r["params"]):
            params.append(f"| {r['case']} | {p['param']} | {p['trialc_mean']:.4f} ({p['trialc_mcse']:.4f}) | "
                          f"{p['stan_mean']:.4f} ({p['stan_mcse']:.4f}) | {p['z']:.2f} | {p['trialc_sd']:.4f} | "
                          f"{p['stan_sd']:.4f} | {p['sd_ratio']:.3f} | {'ok' if p['mean_ok'] else '**FAIL**'} | "
                          f"{'ok' if p['sd_ok'] else '**FAIL**'} |")
        for d in r["decisions"]:
            decs.append(f"| {r['case']} | {d['label']} | {d['trialc_p']:.4f} ({d['trialc_mcse']:.4f}, {d['trialc_src']}) | "
                        f"{d['stan_p']:.4f} ({d['stan_mcse']:.4f}) | {d['diff']:.4f} | {d['z']:.2f} | "
                        f"{'ok' if d['ok'] else '**FAIL**'} |")
        w = r.get("weight")
        if not w:
            continue
        side = lambda v: "above" if v > w["r"] else "below"  # noqa: E731
        weights.append(f"| {r['case']} | {w['hypothesis']}: {w['prior']} | {w['trialc_w']:.4f} ({w['trialc_mcse']:.4f}) | "
                       f"{w['stan_w']:.4f} ({w['stan_mcse']:.4f}) | {w['z']:.2f} | {'ok' if w['ok'] else '**FAIL**'} | "
                       f"{w['report_w']:.6f} (conflict: {str(w['report_conflict']).lower()}) | {w['report_diff']:.1e} | "
                       f"{'ok' if w['report_ok'] else '**FAIL**'} | {side(w['trialc_w'])} / {side(w['stan_w'])} | "
                       f"{({'agree': 'below r (data agree)', 'conflict': 'above r (data conflict)'}).get(w['expect'], '-')} | "
                       f"{'-' if w['dir_ok'] is None else ('ok' if w['dir_ok'] else '**FAIL**')} |")
    return [cases, params, decs, weights]


def checks_text(params, decs, weights):
    return "\n".join(PARAM_HEAD + params + [""] + DEC_HEAD + decs + ["", WEIGHT_INTRO, ""] + WEIGHT_HEAD + weights)


def table(results):
    _, params, decs, weights = table_rows(results)
    return checks_text(params, decs, weights)


def summarise(cases):
    """Summary lines and the overall verdict from per-case records
    {case, n_pass, n_checks, negative, probe, superseded, draws}."""
    pos = [r for r in cases if not r["negative"] and not r["probe"] and not r.get("superseded")]
    neg = [r for r in cases if r["negative"]]
    probes = [r for r in cases if r["probe"]]
    pos_ok = all(r["n_pass"] == r["n_checks"] for r in pos)
    neg_ok = all(r["n_pass"] < r["n_checks"] for r in neg)
    summary = []
    for r in cases:
        if r.get("superseded"):
            summary.append(f"{r['case']}: {r['n_checks'] - r['n_pass']}/{r['n_checks']} checks failed at {r['draws']} draws/chain; "
                           f"escalated to {10 * r['draws']} draws/chain (the escalated row decides)")
    summary.append(f"positive cases: {sum(r['n_pass'] for r in pos)}/{sum(r['n_checks'] for r in pos)} checks pass "
                   f"in {sum(r['n_pass'] == r['n_checks'] for r in pos)}/{len(pos)} cases")
    for r in neg:
        summary.append(f"negative control {r['case']}: {r['n_checks'] - r['n_pass']}/{r['n_checks']} checks fail "
                       f"({'rejected, as it must be' if r['n_pass'] < r['n_checks'] else 'NOT REJECTED'})")
    for r in probes:
        summary.append(f"probe {r['case']} (not required to fail): {r['n_checks'] - r['n_pass']}/{r['n_checks']} checks fail")
    return summary, pos_ok and neg_ok


ESCALATED = re.compile(r"^(.*) \(x(\d+) draws\)$")


def base_case(name):
    m = ESCALATED.match(name)
    return m.group(1) if m else name


def row_case(row):
    return base_case(row.split("|")[1].strip())


def read_results(path):
    """The four tables' rows and the provenance lines of a results file."""
    tables, prov, cur, section = [], [], None, None
    for line in open(path).read().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("| case |"):
            cur = []
            tables.append(cur)
        elif cur is not None and line.startswith("|") and not line.startswith("|---"):
            cur.append(line)
        elif not line.startswith("|"):
            cur = None
        if section == "Provenance" and line.startswith("- "):
            prov.append(line[2:])
    if len(tables) != 4:
        raise SystemExit(f"{path}: expected 4 tables (cases, parameters, decisions, weights), found {len(tables)}")
    return tables, prov


def merge_rows(old, new, rerun):
    """Old rows of the cases not re-run, new rows of those that were, in CASES order."""
    order = {c[0]: i for i, c in enumerate(CASES)}
    kept = [r for r in old if row_case(r) not in rerun]
    rows = kept + new
    return sorted(rows, key=lambda r: order.get(row_case(r), len(order)))  # stable: keeps each case's row order


def case_records(case_rows):
    """Per-case records for summarise() from Cases-table rows."""
    recs = []
    names = [r.split("|")[1].strip() for r in case_rows]
    for row, name in zip(case_rows, names):
        n_pass, n_checks = (int(v) for v in row.rstrip(" |").rsplit("|", 1)[1].strip().split("/"))
        esc = ESCALATED.match(name)
        recs.append({"case": name, "n_pass": n_pass, "n_checks": n_checks, "negative": name.startswith("NEG"),
                     "probe": name.startswith("PROBE"), "draws": DRAWS * (int(esc.group(2)) if esc else 1),
                     "superseded": not esc and any(base_case(n) == name and n != name for n in names)})
    return recs


def git_head():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], check=True, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], check=True,
                               capture_output=True, text=True).stdout.strip()
        return head + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trialc", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--results", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()
    results = []
    for case in CASES:
        if args.only and case[0] not in args.only:
            continue
        r = compare_case(case, args)
        results.append(r)
        log(f"[{r['case']}] {r['n_pass']}/{r['n_checks']} checks pass; Stan divergences {r['stan_divergences']}")
        if not r["all_pass"] and not r["negative"] and not r["probe"]:
            # Escalation: a failure at 4 x 1000 draws may be Monte Carlo noise
            # the 4-MCSE / 10% rules cannot absorb (the 10% sd rule has no
            # MCSE term). Fit both sides again with 10x the draws; the case
            # passes only if every check then passes at the higher precision.
            r2 = compare_case(case, args, draws=10 * DRAWS)
            r2["escalated_from"] = r["case"]
            r["superseded"] = True
            results.append(r2)
            log(f"[{r2['case']}] {r2['n_pass']}/{r2['n_checks']} checks pass; Stan divergences {r2['stan_divergences']}")
    records = [{"case": r["case"], "n_pass": r["n_pass"], "n_checks": r["n_checks"], "negative": r["negative"],
                "probe": r["probe"], "superseded": r.get("superseded", False), "draws": r["draws"]} for r in results]
    summary, ok = summarise(records)
    run_ok = ok  # the exit status is this run's verdict; a merged file states the merged one
    print(table(results))
    print()
    print("\n".join(summary))
    rows = table_rows(results)
    head = git_head()
    ran = ", ".join(r["case"] for r in results if not r.get("superseded"))
    if args.only and os.path.exists(args.results):
        rerun = {base_case(r["case"]) for r in results}
        old, prov = read_results(args.results)
        rows = [merge_rows(o, n, rerun) for o, n in zip(old, rows)]
        summary, ok = summarise(case_records(rows[0]))
        # a line about cases that are all fitted again now is out of date
        prov = [p for p in prov if p.startswith("all cases") or not set(p.split(":", 1)[0].split(", ")) <= rerun]
        if not any(p.startswith("all cases") for p in prov):
            prov.insert(0, "all cases: an earlier full run")
        prov.append(f"{ran}: fitted again at {head} (`run.sh --only {' '.join(args.only)}`), rows replaced")
        log(f"merged {ran} into {args.results}; the other cases' rows are kept")
    else:
        prov = [f"all cases: full run at {head}" if not args.only else f"{ran}: run at {head} (`run.sh --only {' '.join(args.only)}`)"]
    md = ["# Stan vs trialc agreement: results", "",
          f"Generated by `scripts/stan-compare/run.sh` (compare.py). {CHAINS} chains x ({WARMUP} warmup + {DRAWS} draws) "
          f"on both sides; trialc seed {TRIALC_SEED}, Stan seed {STAN_SEED}. Checks: means within {Z:g} combined MCSE, "
          f"sd ratio within {SD_TOL:.0%}, decision probabilities within {Z:g} combined MCSE; "
          f"for a robust LFM prior, the posterior weight of the vague component within {Z:g} combined MCSE, trialc's report value "
          f"equal to the mean over its draws (to {W_TOL:g}), and in the agree / conflict cases the weight below / above its prior weight r on both sides. "
          "A real case with a failed check is fitted again on both sides with 10x the draws; the escalated run decides. "
          "Negative controls (NEG_*) fit Stan to a deliberately different model or data and must fail.", "",
          "## Provenance", ""] + [f"- {p}" for p in prov]
    md += ["", "## Cases", ""] + CASE_HEAD + rows[0]
    md += ["", "## Checks", "", checks_text(*rows[1:]), "", "## Summary", ""] + [f"- {x}" for x in summary]
    md += ["", f"Overall: {'PASS' if ok else 'FAIL'}", ""]
    open(args.results, "w").write("\n".join(md))
    json.dump(results, open(os.path.join(args.work, "results.json"), "w"), indent=1, default=float)
    log(f"wrote {args.results}")
    sys.exit(0 if run_ok else 1)


if __name__ == "__main__":
    main()
