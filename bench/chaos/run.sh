#!/usr/bin/env bash
# Runs the fault-injection tests N times (default 20) and prints a summary table: per test, trials,
# passes and failures. A failure is an invariant violation (every host at the target or restored,
# none patched twice, never more than maxUnavailable out of service, nothing lost, no notice sent
# twice); the Jest output of failed trials is kept in $OUT for reading.
#
#   bash bench/chaos/run.sh [--trials N] [--only SUBSTRING]
#
# --only runs only the faults whose name contains SUBSTRING (e.g. --only notice).
set -euo pipefail
MAINT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TRIALS=20
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) TRIALS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "usage: bash bench/chaos/run.sh [--trials N] [--only SUBSTRING]" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$(mktemp -d /tmp/maint-chaos-XXXX)}"
mkdir -p "$OUT"
# shellcheck source=../../scripts/bootstrap.sh
source "$MAINT_ROOT/scripts/bootstrap.sh"
ensure_os_packages /usr/sbin/sshd openssh-server ssh-keygen openssh-client
ensure_build
cd "$MAINT_ROOT"

# name | jest file | test name pattern
FAULTS=(
  "worker SIGKILL mid-batch|test/e2e/rollout.test.ts|survives SIGKILL"
  "Temporal restart mid-rollout|test/workflows/serverRestart.test.ts|"
  "reboot never returns|test/workflows/reboot.test.ts|"
  "hang, drop, wrong host key|test/activities/ssh.test.ts|"
  "abort mid-batch|test/workflows/rollout.test.ts|abort during a batch"
  "failed health check: batch rolled back|test/workflows/rollout.test.ts|rolls back the failing batch"
  "worker SIGKILL mid-notices: each sent once|test/e2e/noticeCrash.test.ts|"
)
if [ -n "$ONLY" ]; then
  SELECTED=()
  for fault in "${FAULTS[@]}"; do [[ "${fault%%|*}" == *"$ONLY"* ]] && SELECTED+=("$fault"); done
  [ ${#SELECTED[@]} -gt 0 ] || { echo "chaos: no fault name contains \"$ONLY\"" >&2; exit 2; }
  FAULTS=("${SELECTED[@]}")
fi
declare -A PASS FAIL
for ((trial = 1; trial <= TRIALS; trial++)); do
  for fault in "${FAULTS[@]}"; do
    IFS='|' read -r name file pattern <<<"$fault"
    log="$OUT/$(echo "$name" | tr -c 'a-zA-Z0-9' '-')-$trial.log"
    args=("$file")
    [ -n "$pattern" ] && args+=(-t "$pattern")
    if NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" node node_modules/jest/bin/jest.js "${args[@]}" >"$log" 2>&1; then
      PASS[$name]=$(( ${PASS[$name]:-0} + 1 )); rm -f "$log"
      echo "chaos: trial $trial/$TRIALS  $name: ok" >&2
    else
      FAIL[$name]=$(( ${FAIL[$name]:-0} + 1 ))
      echo "chaos: trial $trial/$TRIALS  $name: VIOLATION (see $log)" >&2
    fi
  done
done

echo "| fault | trials | passed | invariant violations |"
echo "| --- | ---: | ---: | ---: |"
total=0
for fault in "${FAULTS[@]}"; do
  IFS='|' read -r name _ _ <<<"$fault"
  echo "| $name | $TRIALS | ${PASS[$name]:-0} | ${FAIL[$name]:-0} |"
  total=$(( total + ${FAIL[$name]:-0} ))
done
echo
echo "invariant violations: $total (logs of failed trials in $OUT)"
[ "$total" -eq 0 ]
