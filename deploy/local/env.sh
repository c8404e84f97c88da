# Shared settings of up.sh and down.sh; every value can be overridden from the environment.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${RERANK_RUN_DIR:-$ROOT/deploy/local/.run}"
LOG_DIR="$RUN_DIR/logs"
PID_DIR="$RUN_DIR/pids"
DATA_DIR="$RUN_DIR/data"
CACHE_DIR="${RERANK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rerank-queue}"

GATEWAY_PORT="${GATEWAY_PORT:-8080}"
WORKERS="${WORKERS:-1}"
SCORER="${SCORER:-onnx}"
WORKER_BASE_PORT="${WORKER_BASE_PORT:-8091}"
EMULATOR_BASE_PORT="${EMULATOR_BASE_PORT:-8101}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_PARTITIONS="${KAFKA_PARTITIONS:-12}"
REDIS_PORT="${REDIS_PORT:-6379}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/local/kafka/pom.xml" | head -1)"
KAFKA_LIB="$CACHE_DIR/kafka-$KAFKA_VERSION/lib"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }

# pid_alive NAME: true when the pid file exists and its process is running
pid_alive() {
  local f="$PID_DIR/$1.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s
wait_until() {
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.5
  done
}
