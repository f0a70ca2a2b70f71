#!/usr/bin/env python3
"""Prints the side-by-side table of docs/implementations.md from the run directories written by
docs/implementations.sh: python3 docs/implementations_table.py OUT_DIR [SCENARIO...]"""
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
scenarios = sys.argv[2:] or ["partition", "degraded", "churn", "ring-groupchat"]
variants = [
    "builtin", "builtin-js-profile", "js-waku", "js-waku-repair-sweep", "mixed-js-waku",
    "mixed-js-waku-repair-sweep", "nim-sds-profile", "go-waku-chat2-profile", "spec-profile",
]
mb = lambda b: f"{b / 1e6:.1f}"
for s in scenarios:
    print(f"\n#### {s} (20 participants)\n")
    print("| run | delivery after drain | at workload end | latency p50 / p99 ms | dup. | causal viol. "
          "| ack. undelivered | resends | repair req. / resp. (resp. per gap) | content / sync / resend / repair MB | settled | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        d = out / f"{s}-{v}"
        if not (d / "report.json").is_file():
            continue
        r = json.load(open(d / "report.json"))
        p = json.load(open(d / "perf.json"))
        m = r["summary"]
        lat = m["latency_ms"]
        b = m["bytes_by_kind"]
        rep = m["repair"]
        stop = r.get("stop_reason") or r.get("run", {}).get("stop_reason", "")
        print(
            f"| {v} | {m['delivery_ratio']:.4f} | {m['delivery_ratio_workload_end']:.4f} "
            f"| {lat.get('p50', 0):.0f} / {lat.get('p99', 0):.0f} | {m['duplicates_delivered']} "
            f"| {m['causal_violations']} | {m['acknowledged_undelivered']} "
            f"| {m['transmissions_by_kind']['resend']} "
            f"| {rep['requests_sent']} / {rep['responses_sent']} ({rep['responses_per_requested_message']:.2f}) "
            f"| {mb(b['content'])} / {mb(b['sync'])} / {mb(b['resend'])} / {mb(b['repair_response'])} "
            f"| {stop} | {p['wall_time_s']:.1f} |"
        )
