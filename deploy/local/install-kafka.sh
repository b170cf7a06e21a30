#!/usr/bin/env bash
# Resolve Apache Kafka (broker jars and runtime dependencies) from Maven Central once into
# the cache. Prints the folder holding the jars.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

KAFKA_VERSION="${LUGANG_KAFKA_VERSION:-3.9.1}"
SCALA_VERSION="2.13"
SLF4J_VERSION="1.7.36"
dest="$LUGANG_CACHE/kafka-$KAFKA_VERSION"

if [ -f "$dest/libs/.complete" ]; then echo "$dest/libs"; exit 0; fi
command -v mvn >/dev/null || die "mvn (Apache Maven) is not installed" "apt-get install maven, then run again"
command -v java >/dev/null || die "java is not installed" "apt-get install openjdk-17-jre-headless, then run again"

mkdir -p "$dest/libs"
log="$dest/install.log"
say "resolving Apache Kafka $KAFKA_VERSION from Maven Central (first time only; about a minute); log: $log"
cat >"$dest/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>lugang.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_VERSION</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
if ! mvn -B -q -f "$dest/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$dest/libs" -DincludeScope=runtime >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  die "could not resolve org.apache.kafka:kafka_$SCALA_VERSION:$KAFKA_VERSION" "check that Maven Central is reachable; see $log"
fi
touch "$dest/libs/.complete"
say "Kafka jars in $dest/libs"
echo "$dest/libs"
