"""influxdb-client writes points to InfluxDB 1.x through its v2 API and reads them with Flux."""

from __future__ import annotations

from datetime import UTC, datetime

from influxdb_client import InfluxDBClient, Point
from influxdb_client.client.write_api import SYNCHRONOUS

DAY = datetime(2026, 3, 15, 16, 0, tzinfo=UTC)  # 2026-03-16 00:00 in Asia/Shanghai


def test_points_written_are_read_back_with_flux(influx_url: str, influx_bucket: str) -> None:
    with InfluxDBClient(url=influx_url, token="lugang:lugang", org="-") as client:
        assert client.ping()
        points = [
            Point("train_runs").tag("corridor", corridor).field("runs", runs).time(DAY)
            for corridor, runs in [("HHW-QZH", 2), ("HHW-VTE", 1)]
        ]
        client.write_api(write_options=SYNCHRONOUS).write(bucket=influx_bucket, record=points)
        tables = client.query_api().query(
            f'from(bucket: "{influx_bucket}") |> range(start: 2026-01-01T00:00:00Z)'
            ' |> filter(fn: (r) => r._measurement == "train_runs")'
        )

    got = {(r.values["corridor"], r.get_value(), r.get_time()) for t in tables for r in t.records}
    assert got == {("HHW-QZH", 2, DAY), ("HHW-VTE", 1, DAY)}
