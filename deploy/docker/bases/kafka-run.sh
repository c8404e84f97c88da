#!/bin/bash
# Starts one KRaft broker configured as apache/kafka is: KAFKA_FOO_BAR=value becomes foo.bar=value.
set -euo pipefail
props=/opt/kafka/config/server.properties
: > "$props"
while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_JVM_PERFORMANCE_OPTS) continue ;;
    KAFKA_*) key=${name#KAFKA_}; key=${key,,}; echo "${key//_/.}=$value" >> "$props" ;;
  esac
done < <(env)
grep -q '^log.dirs=' "$props" || echo "log.dirs=/var/lib/kafka/data" >> "$props"
cp_="/opt/kafka/libs/*"
log4j=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties
dir=$(sed -n 's/^log.dirs=//p' "$props" | cut -d, -f1)
if [ ! -f "$dir/meta.properties" ]; then
  java -Xmx128m -cp "$cp_" "$log4j" kafka.tools.StorageTool format -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$props"
fi
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} ${KAFKA_OPTS:-} -XX:+ExitOnOutOfMemoryError -cp "$cp_" "$log4j" kafka.Kafka "$props"
