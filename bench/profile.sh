#!/usr/bin/env bash
# Runs a benchmark scenario (bench/run.sh, fresh stack) with Java Flight Recorder in the gateway and the worker(s), then
# prints where their CPU went: the hottest methods (top frame of each execution sample) and the share of samples that
# pass through each part of the stack (JSON, compression, Kafka client, Redis client, HTTP/Vert.x, our code).
#   bench/profile.sh efficiency|latency|burst|seed-table|priority [run.sh flags]
# The recordings stay in bench/target/jfr/ (open them in JDK Mission Control for more).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: bench/profile.sh SCENARIO [flags]}
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
      if (frame ~ /^io\.netty|^io\.vertx\.core\.net|^io\.vertx\.core\.http|^sun\.nio|^java\.net|^sun\.net/) return "network I/O (Netty, NIO)";
      if (frame ~ /^io\.micrometer|^io\.quarkus\.micrometer/) return "metrics (Micrometer)";
      if (frame ~ /^org\.jboss\.logmanager|^io\.quarkus\.logging/) return "logging";
      if (frame ~ /^dev\.rerankqueue/) return "rerank-queue code";
      return "";
    }
    /stackTrace = \[/ { inStack = 1; first = 1; delete seen; n++; next }
    inStack && /^[[:space:]]*\]/ { inStack = 0; next }
    inStack {
      frame = $1; sub(/\(.*/, "", frame);
      if (first) { top[frame]++; first = 0 }
      p = part(frame); if (p != "" && !(p in seen)) { seen[p] = 1; parts[p]++ }
    }
    END {
      printf "  %d samples\n  hottest methods (self):\n", n;
      for (f in top) printf "%6.1f %%  %s\n", 100 * top[f] / n, f | "sort -rn | head -12";
      close("sort -rn | head -12");
      printf "  samples through each part (a sample may be in several; stacks are cut at 64 frames):\n";
      for (p in parts) printf "%6.1f %%  %s\n", 100 * parts[p] / n, p | "sort -rn";
      close("sort -rn");
    }'
}
for f in "$dir"/*.jfr; do
  echo "== $(basename "$f" .jfr) =="
  summarize "$f"
done
