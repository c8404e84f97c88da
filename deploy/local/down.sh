#!/usr/bin/env bash
# Stops everything deploy/local/up.sh started, by pid: workers first (they finish and commit), then the gateway,
# Kafka and Redis. Queued jobs stay in Kafka's data folder for the next up.sh; --purge deletes data and logs too.
set -uo pipefail
. "$(dirname "$0")/env.sh"

stop() {  # NAME [SECONDS]
  local name=$1 grace=${2:-30} f="$PID_DIR/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    local end=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop in ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$f"
}

if [ -d "$PID_DIR" ]; then
  for f in "$PID_DIR"/worker-*.pid; do
    [ -e "$f" ] && stop "$(basename "$f" .pid)" 30
  done
  for f in "$PID_DIR"/emulator-*.pid; do
    [ -e "$f" ] && stop "$(basename "$f" .pid)" 10
  done
  stop gateway 30
  stop kafka 60
  stop redis 10
fi
if [ "${1:-}" = "--purge" ]; then
  rm -rf "$RUN_DIR"
  log "removed $RUN_DIR"
fi
log "all stopped"
