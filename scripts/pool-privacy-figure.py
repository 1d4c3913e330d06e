#!/usr/bin/env python3
"""Draw docs/pool-privacy.svg: the same series pooled from the diaries and
from the participants' exported evidence (`trialc pool --out`), side by
side: each person's shrunken effect, the population mean mu, the
between-person SD tau and a new person's predictive effect (90% intervals).

usage: python3 scripts/pool-privacy-figure.py DIARIES/report.json EVIDENCE/report.json OUT.svg

Pure Python standard library.
"""
import json
import sys


def main():
    d = json.load(open(sys.argv[1]))
    e = json.load(open(sys.argv[2]))
    out = sys.argv[3]
    rows = []
    for a, b in zip(d["people"], e["people"]):
        assert a["participant"] == b["participant"]
        rows.append((a["participant"], a["pooled"], b["pooled"]))
    ed, ee = d["effects"][0], e["effects"][0]
    rows.append(("population mean mu", ed["mu"], ee["mu"]))
    rows.append(("a new person", ed["predictive"], ee["predictive"]))
    taus = (ed["tau"], ee["tau"])
    lo = min(min(r[1]["q5"], r[2]["q5"]) for r in rows)
    hi = max(max(r[1]["q95"], r[2]["q95"]) for r in rows)
    lo, hi = min(lo, 0.0) - 1, max(hi, 0.0) + 1
    W, L, R, T, ROW = 760, 170, 30, 70, 24
    H = T + ROW * len(rows) + 60
    x = lambda v: L + (v - lo) / (hi - lo) * (W - L - R)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
         '<rect width="100%" height="100%" fill="white"/>',
         f'<text x="10" y="20" font-size="14">Pooling without pooling the data: {d["trial"]} ({len(d["people"])} people), effect on {d["outcome"]["name"]}</text>',
         f'<text x="10" y="38" fill="#555">90% intervals; blue: pooled from the diaries; orange: pooled from exported evidence (no diary leaves its owner)</text>',
         f'<text x="10" y="54" fill="#555">tau: {taus[0]["mean"]:.2f} [{taus[0]["q5"]:.2f}, {taus[0]["q95"]:.2f}] from diaries, {taus[1]["mean"]:.2f} [{taus[1]["q5"]:.2f}, {taus[1]["q95"]:.2f}] from evidence</text>']
    t = lo
    step = 2.0 if hi - lo < 30 else 5.0
    t = step * round(lo / step)
    while t <= hi:
        if t >= lo:
            s.append(f'<line x1="{x(t):.1f}" y1="{T - 6}" x2="{x(t):.1f}" y2="{T + ROW * len(rows)}" stroke="#eee"/>'
                     f'<text x="{x(t):.1f}" y="{T + ROW * len(rows) + 16}" text-anchor="middle">{t:g}</text>')
        t += step
    s.append(f'<line x1="{x(0):.1f}" y1="{T - 6}" x2="{x(0):.1f}" y2="{T + ROW * len(rows)}" stroke="#333" stroke-dasharray="4 3"/>')
    for i, (name, a, b) in enumerate(rows):
        y = T + ROW * (i + 0.5)
        weight = ' font-weight="bold"' if i >= len(rows) - 2 else ""
        s.append(f'<text x="{L - 10}" y="{y + 4:.1f}" text-anchor="end"{weight}>{name}</text>')
        for q, dy, colour in ((a, -4, "#4c72b0"), (b, 4, "#dd8452")):
            s.append(f'<line x1="{x(q["q5"]):.1f}" y1="{y + dy:.1f}" x2="{x(q["q95"]):.1f}" y2="{y + dy:.1f}" stroke="{colour}" stroke-width="2.5"/>'
                     f'<circle cx="{x(q["mean"]):.1f}" cy="{y + dy:.1f}" r="3.5" fill="{colour}"/>')
    s.append(f'<text x="{(L + W - R) / 2:.1f}" y="{H - 14}" text-anchor="middle" fill="#555">effect ({d["outcome"]["scale"]}; {d["outcome"]["better"]} is better)</text>')
    s.append("</svg>")
    open(out, "w").write("\n".join(s) + "\n")


if __name__ == "__main__":
    main()
