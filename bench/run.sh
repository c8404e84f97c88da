#!/usr/bin/env bash
# Runs one benchmark scenario against a fresh stack it starts itself (deploy/local/up.sh with SCORER=emulator in its own
# folder bench/target/stack: data deleted afterwards, logs kept), or against a running one (--gateway URL ...: left alone).
#   bench/run.sh efficiency|burst|latency|seed-table|priority [--seconds N] [--jobs N] [--levels 10,30,50,100]
#   bench/run.sh accept [--seconds 10] [--connections 64]   (the gateway alone, workers paused; needs wrk)
#   bench/run.sh flood [--seconds 15] [--connections 2048]   (wrk, workers running: answers later than 1 s counted; needs wrk)
#   bench/run.sh neighbour [--seconds 30]   (two tenants by API key: one's sync p99 alone and while the other abuses)
#   bench/run.sh noisy-neighbour [--seconds 30]   (two tenants: one's sync p99 at 30 % load alone and while the other floods)
#   bench/run.sh two-models [--seconds 20]   (two models, one pool each: the quiet one's p99 and efficiency alone and while
#                                             the other is flooded at 3 x its capacity; MODELS sets the two, quiet first)
#   bench/run.sh deadlines [--seconds 30]   (jobs with mixed deadlines at 0.8 x, then 2 x capacity: late model time, predicted start)
#   bench/run.sh upload [--jobs 50000]   (one JSON Lines upload, the gateway's heap sampled)
#   bench/run.sh overload [--connections 64] [--ceiling-seconds 10] [--ceiling JOBS_PER_S] [--factor 3] [--seconds 15]
#   RERANK_ADMISSION_MAX_BACKLOG=20s EMULATOR_ARGS="--time-scale 18" bench/run.sh admission [--rate 60] [--seconds 20] [--limit 20]
#   bench/run.sh scale [--counts 1,2,4] [--time-scale 40] [--warmup 30] [--seconds 40]  (starts a fresh stack per worker count itself)
#   bench/run.sh cpu [--seconds 20] [--batch 64] [--chars 700]            (the embedded ONNX scorer in this JVM, no stack)
# Output: a human-readable report, then one JSON line of figures (also appended to bench/target/results.jsonl); the
# charts of burst, seed-table and scale are written to bench/target/charts/.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: bench/run.sh efficiency|burst|latency|seed-table|priority|accept|flood|neighbour|noisy-neighbour|two-models|deadlines|upload|overload|admission|scale|cpu [flags]}
shift
mkdir -p bench/target
out=bench/target/last-run.out
if [ "$scenario" = cpu ]; then
  # a test-scope class of the worker (kept out of its jar), run on the worker's test class path
  ./mvnw -B -q -DskipTests install -pl rerank-worker -am > /dev/null
  ./mvnw -B -q -o -pl rerank-worker dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$PWD/bench/target/worker-test.classpath" > /dev/null
  java -cp "rerank-worker/target/test-classes:rerank-worker/target/classes:$(cat bench/target/worker-test.classpath)" \
    dev.rerankqueue.worker.scoring.OnnxScorerBenchmark "$@" | tee "$out"
  tail -1 "$out" >> bench/target/results.jsonl
  exit 0
fi
./mvnw -B -q -DskipTests package -pl bench -am > /dev/null
own_stack=true
printf '%s\n' "$@" | grep -q -- '--gateway' && [ "$scenario" != scale ] && own_stack=false
if $own_stack && curl -fs -o /dev/null "http://127.0.0.1:${GATEWAY_PORT:-8080}/q/health/ready"; then
  echo "a stack is already running on :${GATEWAY_PORT:-8080}; stop it (deploy/local/down.sh)$( [ "$scenario" = scale ] \
    && echo ': scale starts its own' || echo ' or pass --gateway')" >&2
  exit 1
fi
if [ "$scenario" = scale ]; then
  # each worker count gets a fresh stack of its own, started and stopped by the scenario through deploy/local
  ./mvnw -B -q -DskipTests package -pl api-gateway,rerank-worker -am > /dev/null
elif $own_stack; then
  # a fresh stack of its own: no results of earlier runs to restore into Redis while the scenario measures
  export RERANK_RUN_DIR="$PWD/bench/target/stack"
  rm -rf "$RERANK_RUN_DIR"
  # the priority scenario keeps over 10,000 jobs of one tenant in flight: raise that tenant quota for the run
  # accept queues jobs with the workers paused: the backlog check would refuse them (workers not draining)
  if [ "$scenario" = accept ]; then
    export RERANK_ADMISSION_ENABLED="${RERANK_ADMISSION_ENABLED:-false}"
    export RERANK_QUOTAS_MAX_IN_FLIGHT_PAIRS="${RERANK_QUOTAS_MAX_IN_FLIGHT_PAIRS:-100000000}"
  fi
  # two tenants for the neighbour scenario: the keys go to the gateway here and to the scenario below
  if [ "$scenario" = neighbour ] || [ "$scenario" = noisy-neighbour ]; then
    export RERANK_API_KEYS="${RERANK_API_KEYS:-neighbour:bench-neighbour-key,abuser:bench-abuser-key}"
    set -- --api-key "$(printf '%s' "${RERANK_API_KEYS%%,*}" | cut -d: -f2-)" \
      --abuser-key "$(printf '%s' "${RERANK_API_KEYS#*,}" | cut -d, -f1 | cut -d: -f2-)" "$@"
  fi
  # two models, each with a pool of WORKERS workers and an emulator of its own: the quiet one first
  if [ "$scenario" = two-models ]; then
    export MODELS="${MODELS:-Qwen/Qwen3-Reranker-0.6B@8 Qwen/Qwen3-Reranker-4B@24}"
    read -r -a two <<<"$MODELS"
    set -- --quiet-model "${two[0]%@*}" --flooded-model "${two[1]%@*}" "$@"
  fi
  RERANK_QUOTAS_MAX_IN_FLIGHT_JOBS="${RERANK_QUOTAS_MAX_IN_FLIGHT_JOBS:-100000}" \
    SCORER=emulator WORKERS="${WORKERS:-1}" deploy/local/up.sh > /dev/null

  trap 'deploy/local/down.sh > /dev/null; rm -rf "$RERANK_RUN_DIR/data"' EXIT   # logs stay in bench/target/stack/logs
fi
workers=""; emulators=""
read -r -a models <<<"${MODELS:-one}"
for i in $(seq 1 $(( ${WORKERS:-1} * ${#models[@]} ))); do
  workers="${workers:+$workers,}http://127.0.0.1:$(( ${WORKER_BASE_PORT:-8091} + i - 1 ))"
  emulators="${emulators:+$emulators,}http://127.0.0.1:$(( ${EMULATOR_BASE_PORT:-8101} + i - 1 ))"
done
java -Xmx1g -jar bench/target/bench.jar "$scenario" --workers "$workers" --emulators "$emulators" "$@" | tee "$out"
tail -1 "$out" >> bench/target/results.jsonl
