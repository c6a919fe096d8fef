#!/usr/bin/env bash
# deploy/ checked offline (no image is built, nothing is pulled: no container registry is reachable here):
# 1. docker-compose config (Debian's docker-compose) validates deploy/compose.yaml; the rendered file is
#    checked for the two gateways, Redis with AOF, Prometheus with the rules, Grafana, the SMSC simulator,
#    and the files it mounts exist.
# 2. kubectl kustomize renders deploy/k8s; the manifests are checked for their kinds, probes, non-root.
# 3. systemd-analyze verify on deploy/systemd/mmsc.service (skipped, and said so, without systemd).
# 4. deploy/Dockerfile: multi-stage, production dependencies only, non-root, HEALTHCHECK, no compiling at start.
# 5. The gateway configurations shipped in deploy/ pass the gateway's schema.
# Installs docker-compose and kubernetes-client (kubectl) from Debian when missing. Expects a build
# (`npm run build`). Prints `N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/../.."

passed=0 failed=0
ok() { echo "ok $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
fatal() { echo "FAIL $*"; echo "${passed} passed, $((failed + 1)) failed"; exit 1; }
# The checks.js lines, counted.
count() {
  local out=$1
  echo "$out"
  passed=$((passed + $(grep -c '^ok ' <<<"$out" || true)))
  failed=$((failed + $(grep -c '^FAIL ' <<<"$out" || true)))
}

missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v kubectl >/dev/null || missing+=(kubernetes-client)
if ((${#missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -f dist/conformance/deploy/checks.js ] || fatal 'dist/ is missing or old (npm run build)'
checks() { node dist/conformance/deploy/checks.js "$@" || true; }

# 1. compose
if command -v docker-compose >/dev/null; then
  if err=$(docker-compose -f deploy/compose.yaml config -q 2>&1); then ok 'docker-compose config -q deploy/compose.yaml'
  else bad "docker-compose config: $err"; fi
  count "$(docker-compose -f deploy/compose.yaml config 2>/dev/null | checks compose)"
  for f in deploy/prometheus/prometheus.yml deploy/prometheus/rules deploy/grafana/provisioning deploy/grafana/dashboards deploy/compose/mmsc.yaml; do
    if [ -e "$f" ]; then ok "compose mounts $f, which exists"; else bad "compose mounts $f, which is missing"; fi
  done
  count "$(checks config deploy/compose/mmsc.yaml)"
else
  bad 'docker-compose is not installed (apt-get install docker-compose)'
fi

# 2. kustomize
if command -v kubectl >/dev/null; then
  # The base is written for kustomize v2 (Debian's kubectl 1.20) as well as v5: newer ones warn on stderr.
  kerr=$(mktemp)
  if rendered=$(kubectl kustomize deploy/k8s 2>"$kerr"); then ok 'kubectl kustomize deploy/k8s'
  else bad "kubectl kustomize deploy/k8s: $(cat "$kerr")"; rendered=''; fi
  rm -f "$kerr"
  count "$(checks k8s <<<"$rendered")"
else
  bad 'kubectl is not installed (apt-get install kubernetes-client)'
fi

# 3. systemd: verify prints a line for every problem (unknown keys are warnings with exit status 0).
if command -v systemd-analyze >/dev/null; then
  if out=$(systemd-analyze verify deploy/systemd/mmsc.service 2>&1) && [ -z "$out" ]; then ok 'systemd-analyze verify deploy/systemd/mmsc.service'
  else bad "systemd-analyze verify: $out"; fi
else
  echo 'skip systemd-analyze is not installed: deploy/systemd/mmsc.service not verified'
fi

# 4. Dockerfile
count "$(checks dockerfile deploy/Dockerfile)"
[ -f .dockerignore ] && grep -qx 'node_modules' .dockerignore && ok '.dockerignore keeps node_modules out of the build context' ||
  bad '.dockerignore does not exclude node_modules'

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
