#!/usr/bin/env bash
# Validates everything in deploy/ that CI can check without a Docker daemon or a cluster:
#   compose      `docker compose config` (or Debian's docker-compose 1.29.2) on deploy/compose.yaml
#                with the example env files in deploy/env.example
#   Dockerfiles  dockerfiles.mjs (dockerfile-utils, the Docker language server's validator)
#   Kubernetes   kubernetes.mjs (kubernetes-models: the Kubernetes OpenAPI schemas, plus the
#                project's checks), and `kubectl kustomize` renders kustomization.yaml when kubectl
#                is there (kubectl --dry-run=client needs a cluster's API server, so it cannot be used)
# Installs what is missing with pinned versions (apt-get, npm ci). Exits non-zero on the first
# validator that fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  if ! command -v docker-compose >/dev/null 2>&1; then
    echo "deploy: installing Debian's docker-compose 1.29.2"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose=1.29.2-3 >/dev/null
  fi
  compose=(docker-compose)
fi
echo "deploy: compose config with $("${compose[@]}" version --short 2>/dev/null || "${compose[@]}" version | head -n 1)"
MATCHING_ENV_DIR=env.example "${compose[@]}" -f "$deploy/compose.yaml" --env-file "$deploy/env.example/compose.env" config -q
# The train service is behind a profile; validate it too.
MATCHING_ENV_DIR=env.example "${compose[@]}" -f "$deploy/compose.yaml" --env-file "$deploy/env.example/compose.env" --profile train config --services | sort | tr '\n' ' '
echo "<- compose services: valid"

command -v node >/dev/null 2>&1 || { echo "deploy: node is required for the validators" >&2; exit 1; }
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
(cd "$here" && node dockerfiles.mjs "$deploy/docker" "$deploy/../.dockerignore")
(cd "$here" && node kubernetes.mjs "$deploy/kubernetes")
if command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize "$deploy/kubernetes" >/dev/null
  echo "deploy: kubectl kustomize rendered deploy/kubernetes"
else
  echo "deploy: kubectl not installed: kustomization.yaml checked by kubernetes.mjs only"
fi
