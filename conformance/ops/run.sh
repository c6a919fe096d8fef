#!/usr/bin/env bash
# Operations conformance (issue 23): the metrics a real gateway exports after traffic on every interface, and
# the Prometheus files of deploy/, checked by Prometheus' own promtool:
# 1. `mmsc serve` (the built CLI, embedded store) gets MM7, REST, MM1, SMPP and MM4 traffic (traffic.ts);
#    its /metrics scrape must pass `promtool check metrics` with no warning;
# 2. deploy/prometheus: `promtool check config` (the scrape config and its rule files), `promtool check rules`,
#    `promtool test rules` (series that fire each alert);
# 3. deploy/grafana: the dashboard is JSON, and every query in it parses as PromQL (checked as recording
#    rules by promtool).
# Installs Debian's `prometheus` package (promtool) when missing. Expects a build (`npm run build`); run from
# anywhere. Prints one ok/FAIL line per check and `N passed, M failed`.
set -euo pipefail

cd "$(dirname "$0")/../.."

passed=0 failed=0
ok() { echo "ok $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
fatal() { echo "FAIL $*"; echo "${passed} passed, $((failed + 1)) failed"; exit 1; }

if ! command -v promtool >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
command -v promtool >/dev/null || fatal 'promtool is not installed (apt-get install prometheus)'
[ -f dist/conformance/ops/traffic.js ] || fatal 'dist/ is missing or old (npm run build)'

work=$(mktemp -d "${TMPDIR:-/tmp}/ops-conformance.XXXXXX")
trap 'rm -rf "$work"' EXIT

# run NAME command...: one check, its output shown indented when it fails.
run() {
  local name=$1
  shift
  if "$@" >"$work/out.txt" 2>&1; then ok "$name"; else
    bad "$name"
    sed 's/^/    /' "$work/out.txt" | tail -30
  fi
}

# 1. Traffic, then the scrape.
status=0
METRICS_OUT="$work/metrics.txt" node dist/conformance/ops/traffic.js >"$work/traffic.txt" 2>&1 || status=$?
grep -E '^(ok|FAIL) ' "$work/traffic.txt" || true
t_passed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$work/traffic.txt")
t_failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$work/traffic.txt")
passed=$((passed + ${t_passed:-0}))
failed=$((failed + ${t_failed:-0}))
if [ "$status" != 0 ] && [ "${t_failed:-0}" = 0 ]; then bad "traffic.js exited $status"; tail -20 "$work/traffic.txt"; fi

if [ -s "$work/metrics.txt" ]; then
  # promtool check metrics exits non-zero on a lint problem and prints it: none is allowed.
  if promtool check metrics <"$work/metrics.txt" >"$work/lint.txt" 2>&1 && [ ! -s "$work/lint.txt" ]; then
    ok "promtool check metrics: $(grep -c '^# TYPE' "$work/metrics.txt") metric families, no warning"
  else
    bad 'promtool check metrics'
    sed 's/^/    /' "$work/lint.txt"
  fi
else
  bad 'no /metrics scrape to check'
fi

# 2. Prometheus configuration and alert rules.
run 'promtool check config deploy/prometheus/prometheus.yml' promtool check config deploy/prometheus/prometheus.yml
run 'promtool check rules deploy/prometheus/rules/mmsc.rules.yml' promtool check rules deploy/prometheus/rules/mmsc.rules.yml
run 'promtool test rules (every alert fires on its series)' promtool test rules deploy/prometheus/rules/mmsc.rules.test.yml

# Every alert has a unit test.
alerts=$(sed -n 's/^ *- alert: *//p' deploy/prometheus/rules/mmsc.rules.yml | sort -u)
untested=$(for a in $alerts; do grep -q "alertname: $a\$" deploy/prometheus/rules/mmsc.rules.test.yml || echo "$a"; done)
if [ -z "$untested" ]; then ok "every alert has a promtool test ($(echo "$alerts" | wc -l) alerts)"; else bad "alerts without a test: $untested"; fi

# 3. The dashboard: its queries as recording rules, so that promtool parses each ($instance: any).
if node -e '
  const d = JSON.parse(require("node:fs").readFileSync("deploy/grafana/dashboards/mmsc.json", "utf8"));
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const rules = exprs.map((e, i) => `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(e.replaceAll("$instance", ".*"))}`);
  process.stdout.write(`groups:\n  - name: dashboard\n    rules:\n${rules.join("\n")}\n`);
' >"$work/dashboard.rules.yml" 2>"$work/out.txt"; then
  run "dashboard queries parse ($(grep -c 'record:' "$work/dashboard.rules.yml") queries)" promtool check rules "$work/dashboard.rules.yml"
else
  bad 'deploy/grafana/dashboards/mmsc.json is not valid JSON'
  cat "$work/out.txt"
fi
for f in deploy/grafana/provisioning/datasources/*.yaml deploy/grafana/provisioning/dashboards/*.yaml; do
  run "YAML parses: $f" node -e 'require("yaml").parse(require("node:fs").readFileSync(process.argv[1], "utf8"))' "$f"
done

echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
