#!/usr/bin/env bash
# The accessibility check split across CI runners, one step per job:
#   ci/sharded.sh build        render once, run every stage but the accessibility check,
#                              record what it must check (output/reports/a11y-plan.json)
#   ci/sharded.sh shard I/N    check shard I of N: output/reports/a11y-shard-I-of-N.json
#   ci/sharded.sh gate DIR...  merge the shards' results (fail closed), gate, publish
# The CI passes output/build/ and output/reports/ from the build job to every shard job
# and to the gate job, and each shard's result file to the gate job.
# .github/workflows/publish.yml and ci/gitlab-ci.yml call it; ci/publish.sh is the
# one-job alternative.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: ci/sharded.sh build | shard I/N | gate DIR..."
step="${1:?$usage}"
shift
case "$step" in
  build)
    make .venv/.installed  # Python only: no browser in this job
    .venv/bin/pipeline build --defer-a11y
    ;;
  shard)
    make install  # pa11y-ci and Chromium
    # Exit 0 when the shard's documents were checked, whatever they found (the gate
    # decides); 1 when they could not be. Either way the result file is written.
    .venv/bin/pipeline a11y --shard "${1:?$usage}"
    ;;
  gate)
    [ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
    make .venv/.installed
    sources=()
    for dir in "$@"; do sources+=(--a11y-from "$dir"); done
    status=0
    .venv/bin/pipeline gate "${sources[@]}" || status=$?
    # Blocked or failed closed: the reports say why (output/reports/build.json,
    # a11y.html, a11y.junit.xml, codequality.json); upload them whatever the verdict.
    ls -l output/reports/ || true
    exit "$status"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
