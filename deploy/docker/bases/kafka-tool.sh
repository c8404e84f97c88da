#!/bin/bash
# kafka-topics.sh of apache/kafka, on the same jars.
case "$(basename "$0")" in
  kafka-topics.sh) main=org.apache.kafka.tools.TopicCommand ;;
  *) echo "unknown tool $0" >&2; exit 2 ;;
esac
exec java -Xmx128m -XX:TieredStopAtLevel=1 -cp "/opt/kafka/libs/*" \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties "$main" "$@"
