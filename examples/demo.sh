#!/usr/bin/env bash
# The demo: a registry in a temporary folder with a local DVC remote, driven by the real CLI.
# Needs `modelreg` on PATH (`bash .ci/demo` sets that up).
set -euo pipefail
export DVC_NO_ANALYTICS=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Demo User}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-demo@example.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

cd "$work"
git init --quiet --initial-branch=main registry
step modelreg init registry --remote "$work/dvc-remote"
cd registry
python - <<'PY'
from pathlib import Path
Path("../build").mkdir()
Path("../build/model-v1.bin").write_bytes(bytes(range(256)) * 16)
Path("../build/model-v2.bin").write_bytes(bytes(reversed(range(256))) * 16)
Path("../build/eval.json").write_text('{"auc": 0.934, "latency": {"p50_ms": 4.1}}')
PY
step modelreg register fraud-detector ../build/model-v1.bin --version 1.0.0 \
  --metric auc=0.912 --param max_depth=6 --data training=transactions@2026-09 \
  --owner @acme/risk-ml --description "Gradient boosted trees on v6 features" --framework xgboost==2.1.0
step modelreg register fraud-detector ../build/model-v2.bin --bump minor \
  --metrics-file ../build/eval.json --parent fraud-detector@1.0.0:retrain \
  --data training=transactions@2026-10 --description "Retrained on October data" --framework xgboost==2.1.0
step modelreg list
step modelreg show fraud-detector@latest
step modelreg validate
step git log --oneline
