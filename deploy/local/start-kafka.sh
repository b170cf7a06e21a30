#!/usr/bin/env bash
# Start a single-node Apache Kafka in KRaft mode on loopback and wait until it serves.
# Prints LUGANG_KAFKA_BOOTSTRAP=host:port on stdout. Stop it with stop-kafka.sh.
#   LUGANG_KAFKA_PORT        broker port (default: a free port)
#   LUGANG_KAFKA_HEAP        JVM heap (default: 512m)
#   LUGANG_WORK              where data, logs and the pid file go
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

libs=$("$here/install-kafka.sh")
dir="$LUGANG_WORK/kafka"
pidfile="$dir/kafka.pid"
stop_pidfile "$pidfile"
rm -rf "$dir"; mkdir -p "$dir/data" "$dir/logs"

port="${LUGANG_KAFKA_PORT:-$(free_port)}"
controller_port=$(free_ports 1 "$port")
cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
# Recordings keep their event times as record timestamps, often months old: keep every
# record rather than let time-based retention delete a replay minutes after it was sent.
log.retention.ms=-1
delete.topic.enable=true
PROPS
cat >"$dir/log4j.properties" <<'LOG4J'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
LOG4J

java_opts=(-Xms256m "-Xmx${LUGANG_KAFKA_HEAP:-512m}" -XX:+UseG1GC
  "-Dlog4j.configuration=file:$dir/log4j.properties" "-Dkafka.logs.dir=$dir/logs")
cluster_id=$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format -t "$cluster_id" \
  -c "$dir/server.properties" >"$dir/logs/format.log" 2>&1 \
  || { tail -n 20 "$dir/logs/format.log" >&2; die "formatting Kafka storage failed" "see $dir/logs/format.log"; }

nohup java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
  >"$dir/logs/stdout.log" 2>&1 &
echo $! >"$pidfile"

wait_for "Kafka" 90 "$dir/logs/server.log" "$pidfile" grep -q "Kafka Server started" "$dir/logs/server.log" \
  || { stop_pidfile "$pidfile"; die "Kafka did not start" "see $dir/logs/server.log and $dir/logs/stdout.log"; }
say "Apache Kafka $(basename "$(dirname "$libs")") ready on 127.0.0.1:$port (pid $(cat "$pidfile"), logs $dir/logs)"
echo "LUGANG_KAFKA_BOOTSTRAP=127.0.0.1:$port"
