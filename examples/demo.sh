#!/usr/bin/env bash
# The demo: a registry in a temporary folder with a local DVC remote, driven by the real CLI.
# Needs `modelreg` on PATH (`bash .ci/demo` sets that up). `--keep` (or MODELREG_DEMO_KEEP=1)
# keeps the registry and its DVC remote afterwards, and says where they are.
set -euo pipefail
export DVC_NO_ANALYTICS=1
keep="${MODELREG_DEMO_KEEP:-}"
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    *) echo "demo: unknown argument $arg (use --keep to keep the demo's registry)" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d)"
if [ -n "$keep" ] && [ "$keep" != 0 ]; then
  trap 'echo "kept the demo registry: $work/registry (its DVC remote: $work/dvc-remote)"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Demo User}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-demo@example.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

cd "$work"
git init --quiet --initial-branch=main registry
step modelreg init registry --remote "$work/dvc-remote"
cd registry
# Give the metrics goals, so check and compare can say better or worse.
sed -i 's/^metrics: {}.*/metrics: {auc: maximize, latency.p50_ms: minimize}/' registry.yaml
git commit --quiet -am "registry: metric goals" && echo "registry.yaml: metrics auc maximize, latency.p50_ms minimize"
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
# Production requires an evaluation on a holdout set; two environments run the model.
python - <<'PY'
import yaml
config = yaml.safe_load(open("registry.yaml"))
config["stages"]["production"].setdefault("requires", {})["evaluations"] = {"holdout": {"auc": {"min": 0.9}}}
config["environments"] = {"canary": {"stage": ["staging", "production"]}, "prod-eu": {"stage": "production"}}
open("registry.yaml", "w").write("# yaml-language-server: $schema=schemas/registry.schema.json\n" + yaml.safe_dump(config, sort_keys=False))
PY
git commit --quiet -am "registry: production requires a holdout evaluation; environments canary and prod-eu"
echo "registry.yaml: production requires evaluations {holdout: {auc: {min: 0.9}}}; environments canary, prod-eu"
step modelreg evaluate fraud-detector@1.0.0 --dataset holdout@2026-11 --metric auc=0.905 --commit
step modelreg evaluate fraud-detector@1.1.0 --dataset holdout@2026-11 --metric auc=0.931 \
  --kind offline --note "November holdout, 40k rows" --commit
step modelreg list
step modelreg show fraud-detector@latest
step modelreg validate

# Promotions go through a branch and a pull request; here the "pull request" is a local merge.
merge() { git merge --quiet --no-ff -m "Merge pull request #$1 from demo/$2" "$2"; echo "merged $2 as pull request #$1"; }
step modelreg promote fraud-detector@1.0.0 --to staging --no-push --reason "first candidate"
step modelreg check --base main --head promote/fraud-detector-1.0.0-staging
merge 1 promote/fraud-detector-1.0.0-staging
step modelreg promote fraud-detector@staging --to production --no-push
merge 2 promote/fraud-detector-1.0.0-production
step modelreg promote fraud-detector@1.1.0 --to staging --no-push
merge 3 promote/fraud-detector-1.1.0-staging
step modelreg promote fraud-detector@1.1.0 --to production --no-push --reason "better auc on October data"
step modelreg check --base main --head promote/fraud-detector-1.1.0-production
merge 4 promote/fraud-detector-1.1.0-production

step modelreg show fraud-detector@production
step modelreg history fraud-detector
step modelreg lineage fraud-detector@1.1.0
step modelreg compare fraud-detector@1.0.0 fraud-detector@1.1.0
step modelreg compare fraud-detector --stage production --over-time
step modelreg compare fraud-detector@1.0.0 fraud-detector@1.1.0 --dataset holdout@2026-11

# Deployments: desired state in models/NAME/deployments.yaml, changed by pull request. A
# delivery pipeline runs `modelreg events` after each merge to learn what to roll out.
step modelreg deploy fraud-detector@production --env canary --traffic 10 --no-push --reason "10% first"
step modelreg check --base main --head deploy/fraud-detector-1.1.0-canary
before="$(git rev-parse HEAD)"
merge 5 deploy/fraud-detector-1.1.0-canary
step modelreg events --base "$before"
canary_merge="$(git rev-parse HEAD)"
step modelreg deploy fraud-detector@production --env prod-eu --endpoint https://eu.example.com/fraud --no-push
before="$(git rev-parse HEAD)"
merge 6 deploy/fraud-detector-1.1.0-prod-eu
export GITHUB_OUTPUT="$work/github_output"
: > "$GITHUB_OUTPUT"  # the runner creates it for each step
step modelreg events --base "$before" --format github
step grep -A1 -E '^(deploy_env|ref)<<' "$GITHUB_OUTPUT"  # NAME<<DELIMITER, value, DELIMITER
unset GITHUB_OUTPUT
step modelreg deployments
step modelreg deployments fraud-detector --at "$canary_merge"
step modelreg history fraud-detector@1.1.0

# 1.1.0 drifts on live data: put 1.0.0 back in production, and both environments with it, in
# one pull request (the earned-stage exception: check and history accept the return).
step modelreg rollback fraud-detector --stage production --deploy canary --deploy prod-eu --no-push \
  --reason "1.1.0 drifts on live data"
step modelreg check --base main --head rollback/fraud-detector-production-1.0.0
merge 7 rollback/fraud-detector-production-1.0.0
step modelreg deployments
step modelreg history fraud-detector
step git log --oneline --graph

# The registry as a static web site (kept after the demo: open its index.html in a browser).
site_dir="${MODELREG_DEMO_SITE:-${TMPDIR:-/tmp}/modelreg-demo-site}"
step modelreg site -o "$site_dir" --full
echo "the site: $site_dir/index.html (open it in a browser)"
