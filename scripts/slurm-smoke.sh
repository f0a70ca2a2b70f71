#!/usr/bin/env bash
# SLURM smoke test: runs docs/clusters.md's job-array script for real on a one-node cluster.
#
# 1. Installs Debian's `slurm-wlm` and `munge` when `slurmctld`, `slurmd` or `munged` is
#    missing (apt-get, through sudo when not root).
# 2. Builds `sim` (release) and starts, in a temporary directory, a munge daemon and a one-node
#    SLURM cluster (slurmctld + slurmd on 127.0.0.1, its own ports, state and logs; nothing
#    under /etc is changed). The node claims 8 CPUs and 16 GB (`config_overrides`) so the
#    script's `--cpus-per-task=4 --mem=8G` fit on any machine; SLURM does not enforce them here
#    (no cgroups), and `sim` lowers `--jobs 4` to the machine's CPUs.
# 3. Copies `scenarios/` there, writes the SLURM script of docs/clusters.md to `shards.sh` and
#    runs the submit block that follows it, both taken from the file byte for byte.
# 4. Waits for the array and the merge job, runs the unsharded sweep and compares: every file
#    but `perf.json` (wall times) must be byte-identical.
#
# Usage: scripts/slurm-smoke.sh [--keep]   (--keep: leave the temporary directory for a look)
# Exit 0 on success, 1 on a mismatch or a failed job, 2 when the cluster cannot be set up.
# Takes about 2 minutes on 2 cores (the loss sweep twice: 36 runs sharded, 36 unsharded).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

say() { echo "slurm-smoke: $*"; }
die() { echo "slurm-smoke: $*" >&2; exit "${2:-2}"; }

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: cannot install or start slurm"
    sudo_cmd=(sudo)
fi

# 1. slurm-wlm and munge
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    say "installing slurm-wlm and munge (apt-get)"
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
say "$(slurmctld -V)"

# 2. sim, then the cluster
cargo build --release --locked --quiet
sim="${CARGO_TARGET_DIR:-$repo/target}/release/sim"
[[ -x "$sim" ]] || die "no $sim after cargo build"

work=$(mktemp -d /tmp/sdsim-slurm-smoke.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        "${sudo_cmd[@]}" kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        while "${sudo_cmd[@]}" kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    done
    if [[ $keep -eq 1 ]]; then
        say "kept $work"
    else
        "${sudo_cmd[@]}" rm -rf "$work"
    fi
}
trap cleanup EXIT

mkdir -p "$work"/{munge,state,spool,log,bin,job}
ln -s "$sim" "$work/bin/sim"

# munge: its own key, socket and logs. `--force` lets it run as root and with a key in /tmp.
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 711 "$work/munge"
chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
"${sudo_cmd[@]}" munged --force --foreground --key-file="$work/munge/munge.key" \
    --socket="$socket" --pid-file="$work/munge/munged.pid" \
    --seed-file="$work/munge/munged.seed" >"$work/log/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -S "$socket" ]] && break; sleep 0.1; done
[[ -S "$socket" ]] || die "munged did not start: $(cat "$work/log/munged.log" 2>/dev/null)"

# Free ports for slurmctld and slurmd (not the defaults 6817/6818, which a real cluster may use).
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ctld_port=$(port)
slurmd_port=$(port)
while [[ "$slurmd_port" == "$ctld_port" ]]; do slurmd_port=$(port); done
host=$(hostname -s)
user=$(id -un)
conf="$work/slurm.conf"
cat >"$conf" <<EOF
ClusterName=sdsim-smoke
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
NodeName=smoke1 NodeAddr=127.0.0.1 NodeHostname=$host CPUs=8 RealMemory=16384 State=UNKNOWN
PartitionName=smoke Nodes=smoke1 Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$conf"
"${sudo_cmd[@]}" env SLURM_CONF="$conf" slurmctld -D -i -f "$conf" >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
"${sudo_cmd[@]}" env SLURM_CONF="$conf" slurmd -D -N smoke1 -f "$conf" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
logs() {
    for f in "$work"/log/*; do echo "--- $f"; tail -n 30 "$f"; done >&2
}
up=0
for _ in $(seq 100); do
    if sinfo -h -N -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then up=1; break; fi
    sleep 0.3
done
[[ $up -eq 1 ]] || { logs; die "the one-node cluster did not come up (logs above)"; }
say "cluster up: $(sinfo -h -N -o '%N %t %c CPUs')"

# 3. The job directory: scenarios/ and docs/clusters.md's script and submit block, unchanged.
job="$work/job"
cp -r "$repo/scenarios" "$job/scenarios"
python3 - "$repo/docs/clusters.md" "$job" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
script = [b for b in blocks if "#SBATCH --array" in b]
submit = [b for b in blocks if "sbatch --parsable shards.sh" in b]
if len(script) != 1 or len(submit) != 1:
    sys.exit("docs/clusters.md: expected one SLURM script and one submit block")
open(sys.argv[2] + "/shards.sh", "w").write(script[0])
open(sys.argv[2] + "/submit.sh", "w").write(submit[0])
EOF
cd "$job"
# Submitted as the current user; PATH (exported to the jobs by sbatch) finds this build's sim.
export PATH="$work/bin:$PATH"
say "submitting shards.sh and the merge (docs/clusters.md) as $user"
bash -euo pipefail submit.sh

# 4. Wait for every job of this cluster, then check each ended COMPLETED.
deadline=$((SECONDS + 900))
while [[ -n "$(squeue -h -o '%i' 2>/dev/null)" ]]; do
    if ((SECONDS > deadline)); then
        squeue >&2
        logs
        die "jobs still queued or running after 15 minutes" 1
    fi
    sleep 2
done
states=$(scontrol -o show job | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)
say "jobs: $(echo "$states" | tr '\n' ' ')"
if echo "$states" | grep -v 'JobState=COMPLETED' | grep -q .; then
    for f in logs/* slurm-*.out; do [[ -f "$f" ]] && { echo "--- $f"; cat "$f"; } >&2; done
    logs
    die "a job did not complete" 1
fi
[[ -f results/loss/all/sweep.json ]] || die "no results/loss/all/sweep.json after the merge" 1

say "running the unsharded sweep"
sim sweep scenarios/sweeps/loss.toml --out unsharded --quiet
if ! diff -r -x perf.json unsharded results/loss/all; then
    die "merged shards differ from the unsharded sweep" 1
fi
say "OK: $(ls results/loss | grep -c '^shard-') shards merged; every file but perf.json byte-identical to the unsharded sweep ($(find unsharded -type f ! -name perf.json | wc -l) files, plots included)"
