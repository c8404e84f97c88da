#!/usr/bin/env bash
# Runs a benchmark scenario (bench/run.sh, fresh stack) with Java Flight Recorder in the gateway and the worker(s), then
# prints where their CPU went: the hottest methods (top frame of each execution sample) and the share of samples spent
# in each part of the stack (JSON, compression, Kafka client, Redis client, network I/O, metrics, logging, our code):
# a sample belongs to the part that owns the first frame, from the top, that one of them owns.
#   bench/profile.sh efficiency|latency|burst|seed-table|priority [run.sh flags]
# The recordings stay in bench/target/jfr/ (open them in JDK Mission Control for more).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: bench/profile.sh SCENARIO [flags]}
# every worker gets the same WORKER_JAVA_OPTS, so two would write one recording file
[ "${WORKERS:-1}" = 1 ] || { echo "profile.sh records one worker: run it with WORKERS=1" >&2; exit 1; }
dir="$PWD/bench/target/jfr/$scenario"
rm -rf "$dir"; mkdir -p "$dir"
jfr_opts() { echo "-XX:StartFlightRecording=filename=$dir/$1.jfr,settings=profile,dumponexit=true"; }
GATEWAY_JAVA_OPTS="-Xms64m -Xmx512m $(jfr_opts gateway)" \
WORKER_JAVA_OPTS="-Xms64m -Xmx768m $(jfr_opts worker)" \
  bench/run.sh "$@"

summarize() {  # FILE: hottest methods and stack parts of the execution samples
  jfr print --events jdk.ExecutionSample "$1" | awk '
    function part(frame) {
      if (frame ~ /^com\.fasterxml\.jackson/) return "JSON (Jackson)";
      if (frame ~ /lz4|Lz4|LZ4|compress/) return "compression (LZ4)";
      if (frame ~ /^org\.apache\.kafka/) return "Kafka client";
      if (frame ~ /redis|Redis/) return "Redis client";
      if (frame ~ /^io\.netty|^io\.vertx\.core\.net|^io\.vertx\.core\.http|^sun\.nio|^java\.net|^sun\.net/) return "Netty and NIO (HTTP, sockets)";
      if (frame ~ /^org\.jboss\.resteasy|^io\.quarkus\.resteasy|^io\.quarkus\.vertx\.http|^io\.vertx\.ext\.web/) return "REST layer (RESTEasy Reactive, Vert.x Web)";
      if (frame ~ /^io\.smallrye\.mutiny|^io\.smallrye\.reactive|^io\.smallrye\.context|^io\.vertx\.core|^io\.quarkus\.smallrye/) return "reactive plumbing (Mutiny, SmallRye, Vert.x core)";
      if (frame ~ /^io\.micrometer|^io\.quarkus\.micrometer|^io\.prometheus/) return "metrics (Micrometer, Prometheus text)";
      if (frame ~ /^org\.jboss\.logmanager|^io\.quarkus\.logging/) return "logging";
      if (frame ~ /^dev\.rerankqueue/) return "rerank-queue code";
      return "";
    }
    /stackTrace = \[/ { inStack = 1; first = 1; owner = ""; n++; next }
    inStack && /^[[:space:]]*\]/ {
      inStack = 0; parts[owner == "" ? "JDK and other libraries" : owner]++; next
    }
    inStack {
      frame = $1; sub(/\(.*/, "", frame);
      if (first) { top[frame]++; first = 0 }
      if (owner == "") owner = part(frame);
    }
    END {
      printf "  %d samples\n  hottest methods (self):\n", n;
      for (f in top) printf "%6.1f %%  %s\n", 100 * top[f] / n, f | "sort -rn | head -12";
      close("sort -rn | head -12");
      printf "  samples by the part of the stack they were in (the first frame from the top that one of these owns):\n";
      for (p in parts) printf "%6.1f %%  %s\n", 100 * parts[p] / n, p | "sort -rn";
      close("sort -rn");
    }'
}
for f in "$dir"/*.jfr; do
  echo "== $(basename "$f" .jfr) =="
  summarize "$f"
done
