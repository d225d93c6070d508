#!/usr/bin/env bash
# Generic CI entry point: install, build, keep the reports, fail when blocked.
# Copy it into any CI system, as one job; the shipped workflows split the accessibility
# check across runners instead (ci/sharded.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
make install
# A cancelled job signals this script, not its children: pass SIGTERM/SIGINT on, so the
# build stops pa11y-ci and its browsers and says so (then exits 1, the site unchanged).
.venv/bin/pipeline build &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
while kill -0 "$child" 2>/dev/null; do
  wait "$child" || true  # a trapped signal ends wait early: wait again
done
status=0
wait "$child" || status=$?  # bash keeps an ended child's status for this
trap - TERM INT
# A blocked build prints its blocking findings (path:line: severity: message [code]),
# and under GitHub Actions (GITHUB_ACTIONS=true) also ::error annotations.
# The reports are written whatever the verdict: upload output/reports/ as artifacts,
# output/reports/a11y.junit.xml as the test report and, on GitLab,
# output/reports/codequality.json as the Code Quality report.
ls -l output/reports/ || true
exit "$status"
