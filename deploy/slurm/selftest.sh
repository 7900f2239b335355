#!/usr/bin/env bash
# A real Slurm run on this machine: start a one-node cluster (munged, slurmctld and
# slurmd on localhost, deploy/slurm/slurm.conf), submit `ridge-rider tree` as a job
# array of three shards with its merge chained by afterok (submit.sh), wait for the
# merge, and compare its rows with an unsharded run of the same flags. Skips, saying
# why, only where slurm-wlm and munge cannot be installed. Needs root (daemons).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${RIDGE_RIDER:-$root/target/release/ridge-rider}
export SLURM_CONF=$here/slurm.conf
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1; } \
      || { echo "slurm selftest skipped: slurm-wlm and munge cannot be installed here"; exit 0; }
  else
    echo "slurm selftest skipped: slurm-wlm and munge are not installed and this user cannot install them"; exit 0
  fi
fi
[ -x "$bin" ] || cargo build --release --manifest-path "$root/Cargo.toml" >/dev/null
start=$(date +%s)
mkdir -p /var/spool/slurmd /var/spool/slurmctld /run/munge
chown munge:munge /run/munge 2>/dev/null || true
[ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
# munged answers on its socket; a munged without one is on its way out.
if ! munge -n >/dev/null 2>&1; then
  pkill -x munged 2>/dev/null || true
  for _ in $(seq 10); do pgrep -x munged >/dev/null || break; sleep 0.5; done
  su -s /bin/sh munge -c /usr/sbin/munged 2>/dev/null || /usr/sbin/munged --force
  for _ in $(seq 20); do munge -n >/dev/null 2>&1 && break; sleep 0.5; done
fi
node_up() { timeout 5 sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed|alloc'; }
if ! node_up; then
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  sleep 1
  slurmctld
  slurmd -N localhost
  for _ in $(seq 30); do node_up && break; sleep 1; done
fi
node_up || { echo "slurm selftest: the node did not come up (see /var/log/slurmctld.log, /var/log/slurmd.log)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags="--depths 4,6 --trees 3 --budget 3000"
cd "$work"
merge_job=$(OUT="$work/sharded" EXPERIMENT=tree FLAGS="$flags" RIDGE_RIDER="$bin" bash "$here/submit.sh" | tail -1)
for _ in $(seq 600); do
  state=$(scontrol show job "$merge_job" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case "$state" in COMPLETED) break ;; FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) echo "slurm selftest: merge job $state"; cat "$work"/rr-*.log; exit 1 ;; esac
  sleep 1
done
[ "${state:-}" = COMPLETED ] || { echo "slurm selftest: merge job not done (state ${state:-unknown})"; exit 1; }
"$bin" tree $flags --out "$work/whole" >/dev/null
python3 - "$work/whole/tree.json" "$work/sharded/tree.json" <<'PY'
import json, sys
rows = [[r for r in json.load(open(p))["rows"] if r["metric"] != "seconds"] for p in sys.argv[1:]]
assert rows[0] == rows[1], "the merged rows differ from the unsharded run's"
print(f"slurm selftest: {len(rows[0])} rows of 3 array shards + afterok merge equal the unsharded run's")
PY
echo "slurm selftest: $(( $(date +%s) - start )) s"
