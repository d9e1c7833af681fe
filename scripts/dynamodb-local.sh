#!/usr/bin/env bash
# Runs a command against AWS's own DynamoDB Local (for parity with the
# embedded minidyn server): fetches it from Maven Central once into
# .local/dynamodb-local, starts it in memory on a free loopback port, runs
# the command with DYNAMODB_ENDPOINT set, and stops it.
#
#   scripts/dynamodb-local.sh go test ./functions/dynamo/...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.local/dynamodb-local"
VERSION=3.1.0

say() { printf 'dynamodb-local: %s\n' "$*" >&2; }
command -v java >/dev/null && command -v mvn >/dev/null || { say "java and mvn are needed"; exit 1; }

if [ ! -f "$DIR/lib/DynamoDBLocal-$VERSION.jar" ]; then
	say "fetching DynamoDB Local $VERSION from Maven Central"
	mkdir -p "$DIR"
	cat >"$DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.agentdesk</groupId><artifactId>dynamodb-local</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>software.amazon.dynamodb</groupId><artifactId>DynamoDBLocal</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>com.almworks.sqlite4java</groupId><artifactId>libsqlite4java-linux-amd64</artifactId><version>1.0.392</version><type>so</type></dependency>
  </dependencies>
</project>
POM
	(cd "$DIR" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory=lib) >&2
fi

# DynamoDB Local has no bind-address flag; it is only reached on 127.0.0.1.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log="$(mktemp)"
# Run from its own folder: it writes a metadata file into the working dir.
(cd "$DIR" && exec java -Djava.library.path="$DIR/lib" -cp "$DIR/lib/*" software.amazon.dynamodb.services.local.main.ServerRunner \
	-inMemory -sharedDb -port "$port") >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; say "did not start"; exit 1; }
	sleep 0.1
done
say "running on 127.0.0.1:$port"
DYNAMODB_ENDPOINT="http://127.0.0.1:$port" "$@"
