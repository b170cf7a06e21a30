#!/bin/bash
# Run once by the influxdb:2.x image after its set-up (DOCKER_INFLUXDB_INIT_MODE=setup),
# while influxd still listens on its temporary port (the image exports INFLUX_HOST and the
# influx CLI configuration, and DOCKER_INFLUXDB_INIT_ORG / _BUCKET_ID).
#
# Lugang's dashboards query InfluxQL, which InfluxDB 2.x answers through its v1
# compatibility API (/query) only for a database/retention policy mapped to a bucket:
#   1. map INFLUX_V1_DATABASE/INFLUX_V1_RETENTION_POLICY (lugang/autogen) to the bucket,
#      as the default retention policy of that database;
#   2. create a read-only v1 user (INFLUX_V1_READ_USER/_PASSWORD) for Grafana's InfluxQL
#      datasource, so the dashboards need not hold the admin token. (Token use works too:
#      header "Authorization: Token <token>".)
# The workers write with the v2 API (bucket + org + token) and need neither.
set -euo pipefail

: "${DOCKER_INFLUXDB_INIT_BUCKET_ID:?the influxdb image did not export the initial bucket id}"
: "${DOCKER_INFLUXDB_INIT_ORG:?DOCKER_INFLUXDB_INIT_ORG is not set}"
database="${INFLUX_V1_DATABASE:-lugang}"
policy="${INFLUX_V1_RETENTION_POLICY:-autogen}"

influx v1 dbrp create \
  --org "$DOCKER_INFLUXDB_INIT_ORG" \
  --bucket-id "$DOCKER_INFLUXDB_INIT_BUCKET_ID" \
  --db "$database" \
  --rp "$policy" \
  --default
echo "lugang: InfluxQL database $database, retention policy $policy -> bucket $DOCKER_INFLUXDB_INIT_BUCKET"

if [ -n "${INFLUX_V1_READ_USER:-}" ]; then
  : "${INFLUX_V1_READ_PASSWORD:?set INFLUX_V1_READ_PASSWORD for the v1 user $INFLUX_V1_READ_USER}"
  influx v1 auth create \
    --org "$DOCKER_INFLUXDB_INIT_ORG" \
    --username "$INFLUX_V1_READ_USER" \
    --password "$INFLUX_V1_READ_PASSWORD" \
    --read-bucket "$DOCKER_INFLUXDB_INIT_BUCKET_ID" \
    --description "Grafana (InfluxQL, read-only)"
  echo "lugang: v1 user $INFLUX_V1_READ_USER may read bucket $DOCKER_INFLUXDB_INIT_BUCKET"
fi
