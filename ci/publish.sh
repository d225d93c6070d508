#!/usr/bin/env bash
# Generic CI entry point: install, build, keep the reports, fail when blocked.
# Copy it into any CI system, as one job; the shipped workflows split the accessibility
# check across runners instead (ci/sharded.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
make install
status=0
.venv/bin/pipeline build || status=$?
# A blocked build prints its blocking findings (path:line: severity: message [code]),
# and under GitHub Actions (GITHUB_ACTIONS=true) also ::error annotations.
# The reports are written whatever the verdict: upload output/reports/ as artifacts,
# output/reports/a11y.junit.xml as the test report and, on GitLab,
# output/reports/codequality.json as the Code Quality report.
ls -l output/reports/ || true
exit "$status"
