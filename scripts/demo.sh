#!/usr/bin/env bash
# The README's demo command: brings Node 24, the npm packages and the Temporal CLI, then runs
# `maint demo` (embedded Temporal with Web UI, the worker and a simulated fleet). Ctrl-C stops it.
set -euo pipefail
MAINT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$MAINT_ROOT/scripts/bootstrap.sh"
# Renovate (~8 min to install) is not needed by the rollout demo; `bash scripts/test.sh` or
# ensure_renovate installs it for dependency runs, which otherwise fail saying so.
ensure_build
export MAINT_DATA_DIR="${MAINT_DATA_DIR:-$MAINT_ROOT/.maint}"
exec node "$MAINT_ROOT/bin/maint.js" demo "$@"
