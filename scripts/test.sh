#!/usr/bin/env bash
# The README's test command: brings everything it needs (Node 24, npm packages, the Temporal CLI,
# OpenSSH's sshd, Renovate, verdaccio, docker-registry, dnf/rpm, PostgreSQL, Chromium), type-checks, lints and runs the whole Jest
# suite against real servers.
# Extra arguments go to Jest (e.g. `bash scripts/test.sh test/unit`).
set -euo pipefail
MAINT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$MAINT_ROOT/scripts/bootstrap.sh"
ensure_os_packages /usr/sbin/sshd openssh-server ssh-keygen openssh-client openssl openssl
ensure_os_packages ansible-playbook ansible-core /usr/bin/time time curl curl /usr/bin/docker-registry docker-registry
# harness/postgres.ts: a PostgreSQL cluster per test file (initdb + postgres on a loopback port).
ensure_os_packages /usr/lib/postgresql/15/bin/initdb postgresql
# test/workflows/become.test.ts: rollouts as a non-root user through Debian's real sudo.
ensure_os_packages /usr/bin/sudo sudo visudo sudo
# … and through OpenBSD's doas (Debian's opendoas): the same rollouts with `become: {method: doas}`.
ensure_os_packages /usr/bin/doas opendoas
# test/activities/dnfStrategy.test.ts: Debian's dnf 4, rpm (rpmbuild), createrepo_c/modifyrepo_c and the
# needs-restarting plugin (checked by its directory: dnf plugins are not executables).
ensure_os_packages dnf dnf rpmbuild rpm createrepo_c createrepo-c /usr/lib/python3/dist-packages/dnf-plugins dnf-plugins-core
# test/e2e/console*.test.ts, statusPage: Debian's Chromium driven by playwright-core (Playwright's own download cannot work offline); poppler for reading PDFs.
ensure_os_packages /usr/bin/chromium chromium pdftotext poppler-utils
# test/e2e/metrics.test.ts reads a worker's /metrics with Prometheus' own parser (its Python client's).
PROMETHEUS_CLIENT_DIR="$MAINT_ROOT/.tools/prometheus-client-0.21.1"
if [ ! -f "$PROMETHEUS_CLIENT_DIR/prometheus_client/parser.py" ]; then
  echo "bootstrap: installing prometheus_client 0.21.1 (PyPI, hash-checked) into .tools/" >&2
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes --target "$PROMETHEUS_CLIENT_DIR" -r "$MAINT_ROOT/scripts/prometheus-client.txt" >&2 \
    || echo "test: prometheus_client unavailable, the metrics test will fail" >&2
fi
export MAINT_TEST_PROMETHEUS_CLIENT="$PROMETHEUS_CLIENT_DIR"
ensure_renovate
ensure_verdaccio
ensure_build
cd "$MAINT_ROOT"
# The Pulumi CLI for test/e2e/pulumiStack.test.ts (its stderr shown live, kept as the reason): if it
# cannot be built, the other tests still run and that one fails, saying why.
mkdir -p .tools/pulumi
if { bash "$MAINT_ROOT/scripts/pulumi-cli.sh" 2>&1 >&3 | tee .tools/pulumi/unavailable.txt >&2; } 3>&1; then rm -f .tools/pulumi/unavailable.txt
else echo "test: Pulumi CLI unavailable, the pulumi-stack test will fail: $(tail -n 1 .tools/pulumi/unavailable.txt)" >&2; fi
echo "test: lint (eslint)" >&2
node node_modules/eslint/bin/eslint.js --max-warnings=0 .
echo "test: jest" >&2
NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" node node_modules/jest/bin/jest.js "$@"
