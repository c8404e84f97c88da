#!/usr/bin/env bash
# Builds stand-ins for the upstream images this project's containers start from (a JRE, Kafka, Redis, Prometheus), made from
# Debian's packages and Maven Central, for machines that cannot pull from a registry (CI here, air-gapped hosts).
# Each is built once and kept by its tag; --force rebuilds. Prints the settings that point the builds at them:
#   eval "$(deploy/docker/bases/build.sh)"   then   docker compose -f deploy/docker/compose.yaml up --build
# Needs docker, debootstrap (Debian's package) and network access to Debian's mirrors and Maven Central.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../.. && pwd)
force=false; [ "${1:-}" = --force ] && force=true
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/local/kafka/pom.xml")
DEBIAN=rerank-queue/base-debian:bookworm
JRE=rerank-queue/base-jre:17-bookworm
KAFKA=rerank-queue/base-kafka:$KAFKA_VERSION
REDIS=rerank-queue/base-redis:7-bookworm
PROMETHEUS=rerank-queue/base-prometheus:bookworm
have() { ! $force && docker image inspect "$1" > /dev/null 2>&1; }
log() { echo "bases: $*" >&2; }
if ! have "$DEBIAN"; then
  log "making $DEBIAN with debootstrap (about 30 s)"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" > /dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$DEBIAN" > /dev/null
  rm -rf "$rootfs"
fi
if ! have "$JRE"; then
  log "building $JRE"
  docker build --network host -q --build-arg DEBIAN_IMAGE="$DEBIAN" -f Dockerfile.jre -t "$JRE" . > /dev/null
fi
if ! have "$REDIS"; then
  log "building $REDIS"
  docker build --network host -q --build-arg DEBIAN_IMAGE="$DEBIAN" -f Dockerfile.redis -t "$REDIS" . > /dev/null
fi
if ! have "$PROMETHEUS"; then
  log "building $PROMETHEUS"
  docker build --network host -q --build-arg DEBIAN_IMAGE="$DEBIAN" -f Dockerfile.prometheus -t "$PROMETHEUS" . > /dev/null
fi
if ! have "$KAFKA"; then
  log "building $KAFKA from the broker jars of Maven Central"
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  "$ROOT/mvnw" -B -q -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$ctx/lib" >&2
  cp Dockerfile.kafka kafka-run.sh kafka-tool.sh "$ctx/"
  cp "$ROOT/deploy/local/kafka/log4j2.properties" "$ctx/"
  docker build -q --build-arg JRE_IMAGE="$JRE" -f "$ctx/Dockerfile.kafka" -t "$KAFKA" "$ctx" > /dev/null
  rm -rf "$ctx"
fi
echo "export JRE_IMAGE=$JRE KAFKA_IMAGE=$KAFKA REDIS_IMAGE=$REDIS PROMETHEUS_IMAGE=$PROMETHEUS"
