#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft, combined broker and
# controller) on 127.0.0.1 for the integration tests, and prints its address.
# The broker and its runtime dependencies come from Maven Central (pom.xml
# beside this script), cached per version under $KAFKA_CACHE. Stop it with
# stop.sh DIR.
#
#   addr=$(test/kafka/start.sh /tmp/kafka)   # e.g. 127.0.0.1:39092
#   KAFKA_BROKERS=$addr go test -run ... ./pkg/connector/
#   test/kafka/stop.sh /tmp/kafka
#
# Environment:
#   KAFKA_VERSION   Apache Kafka release from Maven Central (default 3.9.1;
#                   4.x works too: log4j2 logging, KRaft only, Java 17+)
#   KAFKA_PORT      the PLAINTEXT listener's port (default 39092); the
#                   controller listens on KAFKA_PORT+1
#   KAFKA_SASL_SSL  1 adds a SASL_SSL listener (SCRAM-SHA-512 over TLS) on
#                   KAFKA_PORT+2: start.sh makes a CA and a broker certificate
#                   for 127.0.0.1 and localhost in DIR/tls, creates the SCRAM
#                   user "connector" with a random password, and writes
#                   DIR/sasl.env (KAFKA_SASL_SSL_BROKERS, _CA_FILE, _USER,
#                   _PASSWORD), which TestEndToEndOverSASLSSL reads:
#                     set -a; . /tmp/kafka/sasl.env; set +a
#                     go test -run TestEndToEndOverSASLSSL ./pkg/connector/
#                   Inter-broker and controller traffic stay PLAINTEXT.
#   KAFKA_CACHE     where the jars go (default ~/.cache/connector-ci/kafka)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: start.sh WORKDIR}
version=${KAFKA_VERSION:-3.9.1}
port=${KAFKA_PORT:-39092}
cport=$((port + 1))
sport=$((port + 2))
sasl=${KAFKA_SASL_SSL:-}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "KAFKA_VERSION=$version: want a release such as 3.9.1" >&2; exit 2; }
major=${version%%.*}
cache=${KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/connector-ci/kafka}/$version
libs="$cache/libs"

mvn_props=(-Dkafka.version="$version")
[ "$major" -ge 4 ] && mvn_props+=(-Dkafka.log4j2)
if [ ! -f "$cache/complete" ]; then
  echo "fetching Apache Kafka $version from Maven Central into $libs" >&2
  rm -rf "$libs"
  mvn -q -B -f "$here/pom.xml" "${mvn_props[@]}" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  touch "$cache/complete"
fi

mkdir -p "$work/data"
work=$(cd "$work" && pwd)
listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
advertised="PLAINTEXT://127.0.0.1:$port"
protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
format_args=()
if [ "$sasl" = 1 ]; then
  command -v openssl >/dev/null || { echo "KAFKA_SASL_SSL=1 needs openssl" >&2; exit 1; }
  tls="$work/tls"
  if [ ! -f "$tls/broker.pem" ]; then
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=connector test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$tls/broker.key" -out "$tls/broker.csr" 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > "$tls/broker.ext"
    openssl x509 -req -days 30 -in "$tls/broker.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
      -CAcreateserial -extfile "$tls/broker.ext" -out "$tls/broker.crt" 2>/dev/null
    # Kafka's PEM key store: the unencrypted PKCS#8 key, then the chain.
    cat "$tls/broker.key" "$tls/broker.crt" "$tls/ca.pem" > "$tls/broker.pem"
    chmod 600 "$tls"/*.key "$tls/broker.pem"
  fi
  if [ -f "$work/sasl.env" ]; then
    password=$(sed -n 's/^KAFKA_SASL_SSL_PASSWORD=//p' "$work/sasl.env")
  else
    password=$(openssl rand -hex 16)
  fi
  cat > "$work/sasl.env" <<ENV
KAFKA_SASL_SSL_BROKERS=127.0.0.1:$sport
KAFKA_SASL_SSL_CA_FILE=$tls/ca.pem
KAFKA_SASL_SSL_USER=connector
KAFKA_SASL_SSL_PASSWORD=$password
ENV
  chmod 600 "$work/sasl.env"
  listeners="$listeners,SASL_SSL://127.0.0.1:$sport"
  advertised="$advertised,SASL_SSL://127.0.0.1:$sport"
  protocols="$protocols,SASL_SSL:SASL_SSL"
  format_args=(--add-scram "SCRAM-SHA-512=[name=connector,password=$password]")
fi

cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
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
if [ "$sasl" = 1 ]; then
  cat >> "$work/server.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$tls/broker.pem
PROPS
fi

if [ "$major" -ge 4 ]; then
  cat > "$work/log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $work/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
PROPS
  log_opt="-Dlog4j2.configurationFile=$work/log4j2.properties"
else
  cat > "$work/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$work/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
PROPS
  log_opt="-Dlog4j.configuration=file:$work/log4j.properties"
fi

java_run() { java -Xms256m -Xmx768m "$log_opt" -cp "$libs/*" "$@"; }
if [ -f "$work/cluster.id" ]; then
  cluster_id=$(cat "$work/cluster.id")
else
  cluster_id=$(java_run kafka.tools.StorageTool random-uuid)
  echo "$cluster_id" > "$work/cluster.id"
fi
# Its output (4.x prints the bootstrap records, SCRAM keys included) goes to
# a file, shown only when formatting fails.
java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$work/server.properties" --ignore-formatted \
  "${format_args[@]}" > "$work/format.out" 2>&1 || { cat "$work/format.out" >&2; exit 1; }
nohup java -Xms256m -Xmx768m "$log_opt" -cp "$libs/*" \
  kafka.Kafka "$work/server.properties" > "$work/kafka.out" 2>&1 &
echo $! > "$work/pid"

for _ in $(seq 1 120); do
  if ! kill -0 "$(cat "$work/pid")" 2>/dev/null; then
    echo "Kafka $version exited; see $work/kafka.out and $work/server.log" >&2
    tail -20 "$work/kafka.out" "$work/server.log" >&2 2>/dev/null || true
    exit 1
  fi
  if grep -q "Kafka Server started" "$work/server.log" 2>/dev/null; then
    msg="Kafka $version started"
    [ "$sasl" = 1 ] && msg="$msg; SASL_SSL (SCRAM-SHA-512) on 127.0.0.1:$sport, credentials in $work/sasl.env"
    echo "$msg" >&2
    echo "127.0.0.1:$port"
    exit 0
  fi
  sleep 0.5
done
echo "Kafka $version did not start within 60s; see $work/kafka.out" >&2
exit 1
