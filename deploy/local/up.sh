#!/usr/bin/env bash
# Starts rerank-queue on this machine: a real Kafka broker (KRaft), a real Redis, the api-gateway and WORKERS
# rerank-workers. Installs or fetches what is missing, waits until everything is ready, prints where to go.
# Running it again starts only what is not running. Stop everything with deploy/local/down.sh.
#   GATEWAY_PORT (8080)  WORKERS (1)  KAFKA_PORT (9092)  REDIS_PORT (6379)  WORKER_BASE_PORT (8091)
#   SCORER: onnx (embedded model, default) | emulator (a vLLM emulator beside each worker, as a vLLM sidecar would be,
#           on EMULATOR_BASE_PORT (8101) + i - 1) | vllm (every worker calls VLLM_URL, a real vLLM)
#   MODELS: several models side by side, each with WORKERS workers in a pool of its own: space-separated NAME[@COST]
#           entries, e.g. "Qwen/Qwen3-Reranker-0.6B Qwen/Qwen3-Reranker-4B@6". The first is served by the default pool,
#           each other by a pool named after it (qwen3-reranker-4b); COST is its emulator's --time-scale, how many times
#           slower than an H100 runs the 0.6B model (SCORER=emulator); with SCORER=onnx every pool runs the embedded
#           model under its NAME.
#   RERANK_API_KEYS (unset: auth off, said explicitly with rerank.auth.required=false, as the gateway refuses to start
#   without keys otherwise) and any other RERANK_* / QUARKUS_* variable reach the apps unchanged.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"

case "$SCORER" in
  onnx|emulator) ;;
  vllm) [ -n "${VLLM_URL:-}" ] || die "SCORER=vllm needs VLLM_URL, the base URL of a vLLM serving the reranker (see README)";;
  *) die "SCORER=$SCORER is not one of onnx, emulator, vllm";;
esac
# one model (the default) unless MODELS names several: "NAME[@COST] ..."; pool names fit a topic and a label
read -r -a MODEL_LIST <<<"${MODELS:-}"
[ "${#MODEL_LIST[@]}" -gt 0 ] || MODEL_LIST=("")
[ "${#MODEL_LIST[@]}" -eq 1 ] || [ "$SCORER" != vllm ] \
  || die "MODELS with SCORER=vllm: run one vLLM per model and point each pool's workers at its own (see docs/operations.md)"
pool_of() {  # INDEX NAME: the first model is the default pool's; each other's pool is named after it
  if [ "$1" -eq 0 ]; then echo default; return; fi
  local p; p=$(basename "$2" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-' | sed 's/^-*//; s/-*$//' | cut -c1-40)
  [ -n "$p" ] && [ "$p" != default ] || die "cannot name a pool after model '$2'"
  echo "$p"
}
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive number, got '$WORKERS'"
# each worker runs rerank.worker.consumers (2) Kafka consumers; more consumers than partitions would idle
[ $((WORKERS * 2)) -le "$KAFKA_PARTITIONS" ] || die "WORKERS=$WORKERS needs $((WORKERS * 2)) partitions of rerank.jobs (2 consumers each); KAFKA_PARTITIONS is $KAFKA_PARTITIONS"
mkdir -p "$LOG_DIR" "$PID_DIR" "$DATA_DIR"

# ---- prerequisites ----
command -v java >/dev/null || die "Java 17 or newer is required (java not found on PATH)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null || die "Java 17 or newer is required, found $java_major"

if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing redis-server (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) > "$LOG_DIR/apt.log" 2>&1 \
      || die "could not install redis-server; see $LOG_DIR/apt.log"
  else
    die "redis-server is not installed: sudo apt-get install -y redis-server (or brew install redis), then run up.sh again"
  fi
fi

if [ ! -f "$KAFKA_LIB/.complete" ]; then
  log "fetching the Kafka $KAFKA_VERSION broker jars from Maven Central into $KAFKA_LIB (once)"
  rm -rf "$KAFKA_LIB"
  ./mvnw -B -q -f deploy/local/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIB" \
    > "$LOG_DIR/kafka-fetch.log" 2>&1 || die "could not fetch the Kafka jars; see $LOG_DIR/kafka-fetch.log"
  touch "$KAFKA_LIB/.complete"
fi

GATEWAY_JAR="$ROOT/api-gateway/target/quarkus-app/quarkus-run.jar"
WORKER_JAR="$ROOT/rerank-worker/target/quarkus-app/quarkus-run.jar"
BENCH_JAR="$ROOT/bench/target/bench.jar"
stale() {  # true when a jar is missing or older than any source or pom it is built from
  local jar=$1; shift
  [ -f "$jar" ] || return 0
  [ -n "$(find "$@" -name target -prune -o -newer "$jar" -type f \( -name '*.java' -o -name '*.properties' -o -name 'pom.xml' -o -path '*/resources/*' \) -print -quit 2>/dev/null)" ]
}
if stale "$GATEWAY_JAR" pom.xml common api-gateway || stale "$WORKER_JAR" pom.xml common rerank-worker \
    || stale "$BENCH_JAR" pom.xml common bench; then
  if pid_alive gateway || ls "$PID_DIR"/worker-*.pid >/dev/null 2>&1; then
    log "sources changed since the running apps were built; run deploy/local/down.sh first to pick them up"
  else
    log "building the gateway and the worker (./mvnw package -DskipTests; the first build downloads dependencies)"
    ./mvnw -B -q -DskipTests package -pl api-gateway,rerank-worker,bench -am > "$LOG_DIR/build.log" 2>&1 \
      || die "build failed; see $LOG_DIR/build.log"
  fi
fi

# ---- Redis ----
if pid_alive redis; then
  log "redis already running (pid $(cat "$PID_DIR/redis.pid"))"
else
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by another process; set REDIS_PORT"
  mkdir -p "$DATA_DIR/redis"
  # a memory ceiling (REDIS_MAXMEMORY, 512mb): at it writes fail instead of the machine swapping; noeviction keeps
  # every accepted job's state, and the gateway answers 503 storage-full before Redis refuses
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DATA_DIR/redis" \
    --maxmemory "${REDIS_MAXMEMORY:-512mb}" --maxmemory-policy noeviction --daemonize yes --pidfile "$PID_DIR/redis.pid" --logfile "$LOG_DIR/redis.log" >/dev/null
  wait_until 10 redis port_open "$REDIS_PORT" || die "redis did not start; see $LOG_DIR/redis.log"
  log "redis started on 127.0.0.1:$REDIS_PORT"
fi

# ---- Kafka (single-node KRaft) ----
KAFKA_CP="$KAFKA_LIB/*"
KAFKA_OPTS="${KAFKA_JAVA_OPTS:--Xms32m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
kafka_tool() { java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$KAFKA_CP" -Dlog4j2.configurationFile="$ROOT/deploy/local/kafka/log4j2.properties" "$@"; }
if pid_alive kafka; then
  log "kafka already running (pid $(cat "$PID_DIR/kafka.pid"))"
else
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process; set KAFKA_PORT"
  KDIR="$DATA_DIR/kafka"
  mkdir -p "$KDIR"
  cat > "$KDIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KDIR/logs
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
message.max.bytes=5242880
log.cleaner.dedupe.buffer.size=8388608
PROPS
  if [ ! -f "$KDIR/logs/meta.properties" ]; then
    [ -f "$KDIR/cluster.id" ] || kafka_tool kafka.tools.StorageTool random-uuid > "$KDIR/cluster.id"
    kafka_tool kafka.tools.StorageTool format -t "$(cat "$KDIR/cluster.id")" -c "$KDIR/server.properties" \
      > "$LOG_DIR/kafka-format.log" 2>&1 || die "could not format Kafka storage; see $LOG_DIR/kafka-format.log"
  fi
  # shellcheck disable=SC2086
  nohup java $KAFKA_OPTS -cp "$KAFKA_CP" -Dlog4j2.configurationFile="$ROOT/deploy/local/kafka/log4j2.properties" \
    kafka.Kafka "$KDIR/server.properties" > "$LOG_DIR/kafka.log" 2>&1 &
  echo $! > "$PID_DIR/kafka.pid"
  wait_until 60 kafka grep -qs 'Kafka Server started' "$LOG_DIR/kafka.log" || die "kafka did not start; see $LOG_DIR/kafka.log"
  log "kafka started on 127.0.0.1:$KAFKA_PORT"
fi
existing=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list 2>/dev/null || true)
create_topic() {
  local name=$1; shift
  grep -qx "$name" <<<"$existing" && return 0
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --create --if-not-exists \
    --topic "$name" "$@" >> "$LOG_DIR/kafka-topics.log" 2>&1 || die "could not create topic $name; see $LOG_DIR/kafka-topics.log"
  log "created topic $name"
}
# every topic as declared once, in common's topics.conf (name, partitions, scales, configs); KAFKA_PARTITIONS
# replaces the count of the topics that scale with the job partitions
# replaces the count of the topics that scale with the job partitions; each further model pool P gets its own jobs
# topics (rerank.jobs* as rerank.P.jobs*)
while read -r name partitions scales configs; do
  case "$name" in ''|'#'*) continue ;; esac
  [ "$scales" = yes ] && partitions=$KAFKA_PARTITIONS
  args=()
  for c in $configs; do args+=(--config "$c"); done
  create_topic "$name" --partitions "$partitions" "${args[@]}"
  case "$name" in rerank.jobs.dlq) continue ;; rerank.jobs|rerank.jobs.*) ;; *) continue ;; esac
  for m in "${!MODEL_LIST[@]}"; do
    [ "$m" -eq 0 ] && continue
    create_topic "rerank.$(pool_of "$m" "${MODEL_LIST[$m]%@*}").${name#rerank.}" --partitions "$partitions" "${args[@]}"
  done
done < "$ROOT/common/src/main/resources/dev/rerankqueue/messaging/topics.conf"

# ---- apps ----
COMMON_PROPS=(-Dkafka.bootstrap.servers="127.0.0.1:$KAFKA_PORT" -Dquarkus.redis.hosts="redis://127.0.0.1:$REDIS_PORT")
start_app() {  # NAME PORT JAR JAVA_OPTS EXTRA_PROPS...
  local name=$1 port=$2 jar=$3 opts=$4; shift 4
  if pid_alive "$name"; then
    log "$name already running (pid $(cat "$PID_DIR/$name.pid"))"
    return 0
  fi
  port_open "$port" && die "port $port is taken by another process (wanted by $name)"
  # shellcheck disable=SC2086
  nohup java $opts "${COMMON_PROPS[@]}" -Dquarkus.http.port="$port" "$@" -jar "$jar" > "$LOG_DIR/$name.log" 2>&1 &
  echo $! > "$PID_DIR/$name.pid"
  log "$name starting on 127.0.0.1:$port (log: $LOG_DIR/$name.log)"
}
ready() { curl -fs -o /dev/null "http://127.0.0.1:$1/q/health/ready"; }

start_emulator() {  # NAME PORT
  local name=$1 port=$2
  if pid_alive "$name"; then
    log "$name already running (pid $(cat "$PID_DIR/$name.pid"))"
    return 0
  fi
  port_open "$port" && die "port $port is taken by another process (wanted by $name)"
  # shellcheck disable=SC2086
  # priority scheduling as vLLM's --scheduling-policy priority: the workers send their calls' lane as the priority
  nohup java ${EMULATOR_JAVA_OPTS:--Xms32m -Xmx256m} -jar "$BENCH_JAR" emulator --port "$port" --scheduling-policy priority ${EMULATOR_ARGS:-} \
    > "$LOG_DIR/$name.log" 2>&1 &
  echo $! > "$PID_DIR/$name.pid"
  log "$name (vLLM EMULATOR, not vLLM) starting on 127.0.0.1:$port"
}
emulator_ready() { curl -fs -o /dev/null "http://127.0.0.1:$1/health"; }

# the gateway fails closed without API keys; a local stack on loopback without RERANK_API_KEYS runs with auth off
auth_props=()
if [ -z "${RERANK_API_KEYS:-}" ]; then
  auth_props=(-Drerank.auth.required=false)
  log "RERANK_API_KEYS is not set: authentication is off (one tenant); set it to require API keys"
fi
start_app gateway "$GATEWAY_PORT" "$GATEWAY_JAR" "${GATEWAY_JAVA_OPTS:--Xms64m -Xmx512m}" "${auth_props[@]}"
# WORKERS workers per model, numbered across the pools: worker-N on WORKER_BASE_PORT + N - 1, its emulator likewise
n=0
for m in "${!MODEL_LIST[@]}"; do
  entry=${MODEL_LIST[$m]}
  model=${entry%@*}
  pool=$(pool_of "$m" "$model")
  model_props=(-Drerank.worker.pool="$pool")
  emulator_model=()
  if [ -n "$model" ]; then
    model_props+=(-Drerank.worker.scorer.onnx.model-name="$model" -Drerank.worker.scorer.vllm.model="$model")
    emulator_model=(--model "$model")
    [ "$entry" != "$model" ] && emulator_model+=(--time-scale "${entry##*@}")
  fi
  for _ in $(seq 1 "$WORKERS"); do
    n=$((n + 1))
    i=$n
    scorer_props=(-Drerank.worker.scorer.type=onnx)
    case "$SCORER" in
      emulator)
        EMULATOR_ARGS="${EMULATOR_ARGS:-} ${emulator_model[*]}" start_emulator "emulator-$i" "$((EMULATOR_BASE_PORT + i - 1))"
        wait_until 30 "emulator-$i" emulator_ready "$((EMULATOR_BASE_PORT + i - 1))" \
          || die "emulator-$i did not start; see $LOG_DIR/emulator-$i.log"
        scorer_props=(-Drerank.worker.scorer.type=vllm -Drerank.worker.scorer.vllm.url="http://127.0.0.1:$((EMULATOR_BASE_PORT + i - 1))"
          -Drerank.worker.scorer.vllm.priority-scheduling="${RERANK_WORKER_SCORER_VLLM_PRIORITY_SCHEDULING:-true}");;
      vllm)
        scorer_props=(-Drerank.worker.scorer.type=vllm -Drerank.worker.scorer.vllm.url="$VLLM_URL");;
    esac
    start_app "worker-$i" "$((WORKER_BASE_PORT + i - 1))" "$WORKER_JAR" "${WORKER_JAVA_OPTS:--Xms64m -Xmx768m}" \
      -Drerank.worker.id="worker-$i" "${scorer_props[@]}" "${model_props[@]}"
    log "worker-$i serves ${model:-the default model} in pool $pool"
  done
done
WORKERS=$n

wait_until 120 gateway ready "$GATEWAY_PORT" || die "the gateway is not ready after 120 s; see $LOG_DIR/gateway.log"
for i in $(seq 1 "$WORKERS"); do
  wait_until 120 "worker-$i" ready "$((WORKER_BASE_PORT + i - 1))" \
    || die "worker-$i is not ready after 120 s; see $LOG_DIR/worker-$i.log"
done
# a request that names a model is checked against what the workers announce: wait until the gateway lists one
first_key=""
if [ -n "${RERANK_API_KEYS:-}" ]; then
  first_key=$(printf '%s' "${RERANK_API_KEYS%%,*}" | cut -d: -f2-)
  case "$first_key" in sha256:*) first_key="" ;; esac
fi
model_listed() {  # every model's pool has a worker that announced itself
  [ "$(curl -fs ${first_key:+-H "Authorization: Bearer $first_key"} "http://127.0.0.1:$GATEWAY_PORT/v1/models" \
    | grep -o '"state":"ready"' | wc -l)" -ge "${#MODEL_LIST[@]}" ]
}
if [ -z "${RERANK_API_KEYS:-}" ] || [ -n "$first_key" ]; then
  wait_until 60 "served models" model_listed \
    || die "no worker has announced its model to the gateway after 60 s; see $LOG_DIR/worker-1.log"
fi

cat <<MSG

rerank-queue is ready.
  Web UI        http://127.0.0.1:$GATEWAY_PORT/
  API           http://127.0.0.1:$GATEWAY_PORT/v1/rerank/jobs   (sync drop-in: /v1/rerank, /v2/rerank, /rerank)
  OpenAPI       http://127.0.0.1:$GATEWAY_PORT/q/swagger-ui
  Health        http://127.0.0.1:$GATEWAY_PORT/q/health/ready
  Metrics       http://127.0.0.1:$GATEWAY_PORT/q/metrics   (workers: http://127.0.0.1:$WORKER_BASE_PORT/q/metrics ...)
  Kafka         127.0.0.1:$KAFKA_PORT     Redis 127.0.0.1:$REDIS_PORT     workers: $WORKERS ($SCORER scorer)$( [ "${#MODEL_LIST[@]}" -gt 1 ] && printf '\n  Models        %s (one pool each: GET /v1/models)' "${MODEL_LIST[*]}")$( [ "$SCORER" = emulator ] && printf '\n  Emulators     vLLM EMULATOR (not vLLM) on http://127.0.0.1:%s ... (one per worker)' "$EMULATOR_BASE_PORT")
  Logs          $LOG_DIR
  Stop          deploy/local/down.sh

Try it:
  curl -s -XPOST http://127.0.0.1:$GATEWAY_PORT/v1/rerank/jobs -H 'content-type: application/json' \\
    -d '{"query":"What is the capital of China?","documents":["Gravity pulls objects together.","The capital of China is Beijing.","Pandas eat bamboo."]}'
MSG
