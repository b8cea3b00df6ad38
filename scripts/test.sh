#!/usr/bin/env bash
# The README's test command: brings everything it needs (Node 24, npm packages, the Temporal CLI,
# OpenSSH's sshd), type-checks, lints and runs the whole Jest suite against real servers.
# Extra arguments go to Jest (e.g. `bash scripts/test.sh test/unit`).
set -euo pipefail
MAINT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$MAINT_ROOT/scripts/bootstrap.sh"
ensure_os_packages /usr/sbin/sshd openssh-server ssh-keygen openssh-client
ensure_build
cd "$MAINT_ROOT"
echo "test: lint (eslint)" >&2
node node_modules/eslint/bin/eslint.js --max-warnings=0 .
echo "test: jest" >&2
NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" node node_modules/jest/bin/jest.js "$@"
