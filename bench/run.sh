#!/usr/bin/env bash
# Runs one benchmark scenario against a fresh stack it starts itself (deploy/local/up.sh with SCORER=emulator in its own
# folder bench/target/stack: data deleted afterwards, logs kept), or against a running one (--gateway URL ...: left alone).
#   bench/run.sh efficiency|burst|latency|seed-table|priority [--seconds N] [--jobs N] [--levels 10,30,50,100]
# Output: a human-readable report, then one JSON line of figures (also appended to bench/target/results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: bench/run.sh efficiency|burst|latency|seed-table|priority [flags]}
shift
./mvnw -B -q -DskipTests package -pl bench -am > /dev/null
if ! printf '%s\n' "$@" | grep -q -- '--gateway'; then
  # a fresh stack of its own: no results of earlier runs to restore into Redis while the scenario measures
  export RERANK_RUN_DIR="$PWD/bench/target/stack"
  if curl -fs -o /dev/null "http://127.0.0.1:${GATEWAY_PORT:-8080}/q/health/ready"; then
    echo "a stack is already running on :${GATEWAY_PORT:-8080}; stop it (deploy/local/down.sh) or pass --gateway" >&2
    exit 1
  fi
  rm -rf "$RERANK_RUN_DIR"
  # the priority scenario keeps over 10,000 jobs of one tenant in flight: raise that tenant quota for the run
  RERANK_QUOTAS_MAX_IN_FLIGHT_JOBS="${RERANK_QUOTAS_MAX_IN_FLIGHT_JOBS:-100000}" \
    SCORER=emulator WORKERS="${WORKERS:-1}" deploy/local/up.sh > /dev/null

  trap 'deploy/local/down.sh > /dev/null; rm -rf "$RERANK_RUN_DIR/data"' EXIT   # logs stay in bench/target/stack/logs
fi
workers=""; emulators=""
for i in $(seq 1 "${WORKERS:-1}"); do
  workers="${workers:+$workers,}http://127.0.0.1:$(( ${WORKER_BASE_PORT:-8091} + i - 1 ))"
  emulators="${emulators:+$emulators,}http://127.0.0.1:$(( ${EMULATOR_BASE_PORT:-8101} + i - 1 ))"
done
mkdir -p bench/target
java -Xmx1g -jar bench/target/bench.jar "$scenario" --workers "$workers" --emulators "$emulators" "$@" | tee /tmp/bench-$$.out
tail -1 /tmp/bench-$$.out >> bench/target/results.jsonl
rm -f /tmp/bench-$$.out
