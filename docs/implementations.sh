#!/usr/bin/env bash
# Reproduces the runs of docs/implementations.md: each scenario at 20 participants with the
# built-in core, the built-in core under each profile, js-waku's @waku/sds 0.0.8 (as its
# ReliableChannel drives it, and with the SDS-R response sweep of 0.0.9), and mixed groups.
# Usage: docs/implementations.sh OUT_DIR [SCENARIO...]   (needs `cargo build --release` and
# `npm ci --prefix adapters/js-waku-sds`). Runs the built-in variants of every scenario first,
# then the js-waku ones (minutes each); a run whose report.json exists is skipped. Prints one
# line per run with its wall time; python3 docs/implementations_table.py OUT_DIR prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: docs/implementations.sh OUT_DIR [SCENARIO...]}
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(partition degraded churn ring-groupchat)
sim=target/release/sim
[ -n "${CARGO_TARGET_DIR:-}" ] && sim="$CARGO_TARGET_DIR/release/sim"
js_repair='sds.external.command=["node", "adapters/js-waku-sds/adapter.js", "--repair-sweep"]'
declare -A variants=(
  [builtin]=""
  [builtin-js-profile]="sds.profile=js-waku-0.0.8"
  [nim-sds-profile]="sds.profile=nim-sds"
  [go-waku-chat2-profile]="sds.profile=go-waku-chat2"
  [spec-profile]="sds.profile=spec"
  [js-waku]="sds.implementation=js-waku-0.0.8"
  [mixed-js-waku]="sds.mix.0.implementation=js-waku-0.0.8|sds.mix.0.fraction=0.5"
  [js-waku-repair-sweep]="sds.implementation=external|sds.profile=js-waku-0.0.8|$js_repair"
  [mixed-js-waku-repair-sweep]="sds.profile=js-waku-0.0.8|sds.mix.0.implementation=external|sds.mix.0.fraction=0.5|$js_repair"
)
run() { # scenario variant
  local s=$1 v=$2 args x start
  [ -f "$out/$s-$v/report.json" ] && return 0
  args=(run "scenarios/$s.toml" --quiet --out "$out/$s-$v" --set participants=20)
  IFS='|' read -r -a sets <<< "${variants[$v]}"
  for x in "${sets[@]}"; do [ -n "$x" ] && args+=(--set "$x"); done
  start=$(date +%s.%N)
  "$sim" "${args[@]}" 2> "$out/$s-$v.log" || echo "FAILED: $s $v (see $out/$s-$v.log)"
  printf '%s %s %.1f s (load %s)\n' "$s" "$v" "$(echo "$(date +%s.%N) - $start" | bc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}
mkdir -p "$out"
for s in "${scenarios[@]}"; do
  for v in builtin builtin-js-profile nim-sds-profile go-waku-chat2-profile spec-profile; do run "$s" "$v"; done
done
for s in "${scenarios[@]}"; do
  run "$s" js-waku
  [ "$s" = partition ] && run "$s" mixed-js-waku
done
for s in "${scenarios[@]}"; do
  run "$s" js-waku-repair-sweep
  [ "$s" = partition ] && run "$s" mixed-js-waku-repair-sweep
done
