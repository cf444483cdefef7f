#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft, combined broker and
# controller) on 127.0.0.1 for the integration tests, and prints its address.
# The broker and its runtime dependencies come from Maven Central (pom.xml
# beside this script), cached under $KAFKA_CACHE. Stop it with stop.sh DIR.
#
#   addr=$(test/kafka/start.sh /tmp/kafka)   # e.g. 127.0.0.1:39092
#   KAFKA_BROKERS=$addr go test -run ... ./pkg/connector/
#   test/kafka/stop.sh /tmp/kafka
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: start.sh WORKDIR}
port=${KAFKA_PORT:-39092}
cport=$((port + 1))
cache=${KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/connector-ci/kafka}
libs="$cache/libs"

if [ ! -f "$cache/complete" ]; then
  echo "fetching Apache Kafka from Maven Central into $libs" >&2
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  touch "$cache/complete"
fi

mkdir -p "$work/data"
cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
PROPS
cat > "$work/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$work/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
PROPS

java_run() { java -Xms256m -Xmx768m -Dlog4j.configuration="file:$work/log4j.properties" -cp "$libs/*" "$@"; }
cluster_id=$(java_run kafka.tools.StorageTool random-uuid)
java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$work/server.properties" --ignore-formatted >&2
nohup java -Xms256m -Xmx768m -Dlog4j.configuration="file:$work/log4j.properties" -cp "$libs/*" \
  kafka.Kafka "$work/server.properties" > "$work/kafka.out" 2>&1 &
echo $! > "$work/pid"

for _ in $(seq 1 120); do
  if ! kill -0 "$(cat "$work/pid")" 2>/dev/null; then
    echo "Kafka exited; see $work/kafka.out and $work/server.log" >&2
    tail -20 "$work/kafka.out" >&2
    exit 1
  fi
  if grep -q "Kafka Server started" "$work/server.log" 2>/dev/null; then
    echo "127.0.0.1:$port"
    exit 0
  fi
  sleep 0.5
done
echo "Kafka did not start within 60s; see $work/kafka.out" >&2
exit 1
