#!/usr/bin/env bash
# Regenerates testdata/real-apiserver from a real control plane: runs the e2e
# test (./build.sh e2e, see docs/e2e.md) with KUBEPRIVPOD_E2E_RECORD pointing
# here, then rewrites the goldens of the unit test that reads the recording
# (cmd/kubeprivpod TestRealAPIServer). Review the diff before committing: the
# IDs, times and generated names change on every run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
KUBEPRIVPOD_E2E_RECORD="$here" "$root/build.sh" e2e
(cd "$root" && go test -count=1 -run TestRealAPIServer ./cmd/kubeprivpod -update)
echo "regen: $(zcat "$here/audit.log.gz" | wc -l) events recorded in $here"
