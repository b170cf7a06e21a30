"""``lugang grafana push`` and ``lugang grafana annotate`` against a recorded Grafana exchange.

Grafana cannot run on this machine, so these tests do not talk to a live Grafana. They run
against a recorded HTTP exchange: ``tests/grafana_replay.py`` serves a cassette from
``tests/data/grafana/`` on loopback, checks that each request Lugang sends is the one
recorded (method, path, query, token, JSON body) and answers what Grafana answers. The
cassettes were transcribed from Grafana's HTTP API documentation and error bodies, not
captured from a running Grafana; a Grafana that answers differently would not be caught
here. What is real: grafana-client and its HTTP stack, the sockets, and, for the
annotations, the InfluxDB the points are read from.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from pydantic import SecretStr

from dashboards.grafana.annotations import Annotation, annotate
from dashboards.grafana.commands import annotate_command, push_command
from dashboards.grafana.connection import connect
from dashboards.grafana.errors import GrafanaAuthError, GrafanaUnreachable
from dashboards.grafana.influx import annotations_from_influx
from dashboards.grafana.push import FOLDER_TITLE, push_dashboards
from entrypoints.embedded import free_port
from lugang.contract import ColdChainException, exception_id
from lugang.reference import default_reference
from streams.schema.points import Sample, exception_sample, transit_sample
from tests.grafana_replay import CASSETTES, GrafanaReplay, load_cassette

TOKEN = "glsa_lugangTestToken_0123456789abcdef_01234567"  # noqa: S105 (the cassettes' token)
FIXTURE_DASHBOARDS = CASSETTES / "dashboards"
SHANGHAI = timedelta(hours=8)


@contextmanager
def recorded(name: str) -> Iterator[GrafanaReplay]:
    """The recorded exchange ``tests/data/grafana/NAME.json``, served on loopback. When the
    code under test fails on a request outside the recording, the failure says which."""
    with GrafanaReplay(load_cassette(name)) as server:
        try:
            yield server
        except Exception:
            server.assert_played()
            raise


def push_args(url: str, token: str) -> argparse.Namespace:
    """The options ``lugang grafana push`` parses into."""
    return argparse.Namespace(
        url=url, token=SecretStr(token), dashboards=FIXTURE_DASHBOARDS, folder=FOLDER_TITLE
    )


def dashboard_saves(replay: GrafanaReplay) -> list[tuple[str, str, object, object]]:
    """(method, dashboard uid, folderUid, overwrite) of each dashboard save received."""
    return [
        (r.method, r.body["dashboard"]["uid"], r.body["folderUid"], r.body["overwrite"])
        for r in replay.received
        if r.path == "/api/dashboards/db"
    ]


def test_push_creates_the_folder_and_uploads_each_dashboard() -> None:
    """Against a recorded exchange, not a live Grafana (none can run here): with no Lugang
    folder in Grafana, push creates it, then saves each fixture dashboard into it with
    overwrite, and returns each dashboard's URL."""
    with recorded("push-new-folder") as replay:
        urls = push_dashboards(connect(replay.url, TOKEN), FIXTURE_DASHBOARDS)

    replay.assert_played()
    assert urls == [
        f"{replay.url}/d/lugang-test-coldchain/lugang-test-cold-chain",
        f"{replay.url}/d/lugang-test-overview/lugang-test-overview",
    ]
    assert [(r.method, r.path) for r in replay.received][:3] == [
        ("GET", "/api/health"),
        ("GET", "/api/folders"),
        ("POST", "/api/folders"),
    ]
    assert replay.received[2].body == {"title": "Lugang 陆港", "uid": "lugang"}
    assert dashboard_saves(replay) == [
        ("POST", "lugang-test-coldchain", "lugang", True),
        ("POST", "lugang-test-overview", "lugang", True),
    ]
    # The exported dashboard's own id (42) is not sent: Grafana matches it by uid.
    assert all(r.body["dashboard"]["id"] is None for r in replay.received[3:])
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in replay.received[1:])


def test_push_again_reuses_the_folder_and_overwrites(capsys: pytest.CaptureFixture[str]) -> None:
    """Against a recorded exchange, not a live Grafana (none can run here): when the
    folder exists, ``lugang grafana push`` does not create it again and overwrites both
    dashboards; it prints where each one is."""
    with recorded("push-existing-folder") as replay:
        assert push_command(push_args(replay.url, TOKEN)) == 0

    replay.assert_played()
    assert [r.path for r in replay.received].count("/api/folders") == 1  # the GET only
    assert dashboard_saves(replay) == [
        ("POST", "lugang-test-coldchain", "lugang", True),
        ("POST", "lugang-test-overview", "lugang", True),
    ]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"pushed 2 dashboards to Grafana 11.3.0 at {replay.url}, folder 'Lugang 陆港':"
    )
    assert out[2].split() == [
        "lugang-test-overview",
        f"{replay.url}/d/lugang-test-overview/lugang-test-overview",
    ]


def write_points(influx_url: str, bucket: str, samples: list[Sample]) -> None:
    database = bucket.split("/")[0]
    response = requests.post(
        f"{influx_url}/write",
        params={"db": database, "precision": "ns"},
        data="\n".join(s.to_line() for s in samples).encode(),
        timeout=10,
    )
    response.raise_for_status()


def departure(train_id: str, corridor: str, at: datetime) -> Sample:
    return transit_sample(train_id, corridor, at, at + timedelta(hours=30), 36.0)


def opening(box: str, started: datetime) -> Sample:
    return exception_sample(
        ColdChainException(
            exception_id=exception_id(box, "HIGH", started),
            kind="HIGH",
            equipment_reference=box,
            commodity="citrus",
            corridor="HHW-QZH",
            started_at=started,
            peak_deviation_c=2.4,
            status="OPEN",
        )
    )


def test_annotate_adds_departures_and_exception_openings_from_influxdb(
    influx_url: str, influx_bucket: str
) -> None:
    """Against a recorded exchange, not a live Grafana (none can run here); the points
    come from the real InfluxDB. The departures and the exception opening of
    2026-03-10..11 (Asia/Shanghai days) become annotations; the one Grafana already has
    (X260001's departure) is skipped, the other two are added."""
    write_points(
        influx_url,
        influx_bucket,
        [
            departure("X250999", "HHW-QZH", datetime(2026, 3, 9, 15, 30, tzinfo=UTC)),  # 3-9
            departure("X260001", "HHW-QZH", datetime(2026, 3, 10, 1, 30, tzinfo=UTC)),
            opening("MSKU9070323", datetime(2026, 3, 10, 5, 0, tzinfo=UTC)),
            departure("X260002", "HHW-VTE", datetime(2026, 3, 11, 2, 0, tzinfo=UTC)),
            departure("X260003", "HHW-QZH", datetime(2026, 3, 11, 16, 0, tzinfo=UTC)),  # 3-12
        ],
    )
    start = datetime(2026, 3, 10, tzinfo=UTC) - SHANGHAI
    annotations = annotations_from_influx(
        influx_url, influx_bucket.split("/")[0], start, start + timedelta(days=2)
    )

    assert annotations == [
        Annotation(
            datetime(2026, 3, 10, 1, 30, tzinfo=UTC),
            "X260001 HHW-QZH departed / 发车",
            ("lugang", "train", "departure", "HHW-QZH"),
        ),
        Annotation(
            datetime(2026, 3, 10, 5, 0, tzinfo=UTC),
            "MSKU9070323 HIGH cold-chain exception opened / 冷链异常 (citrus, HHW-QZH)",
            ("lugang", "coldchain", "exception", "HIGH"),
        ),
        Annotation(
            datetime(2026, 3, 11, 2, 0, tzinfo=UTC),
            "X260002 HHW-VTE departed / 发车",
            ("lugang", "train", "departure", "HHW-VTE"),
        ),
    ]

    with recorded("annotate") as replay:
        added = annotate(connect(replay.url, SecretStr(TOKEN)), annotations)

    replay.assert_played()
    assert added == 2
    posted = [r.body for r in replay.received if r.method == "POST"]
    assert [(p["time"], p["timeEnd"], p["text"]) for p in posted] == [
        (1773118800000, 1773118800000, annotations[1].text),
        (1773194400000, 1773194400000, annotations[2].text),
    ]
    assert [p["tags"] for p in posted] == [list(a.tags) for a in annotations[1:]]


def annotate_args(url: str, influx_url: str, influx_bucket: str) -> argparse.Namespace:
    """The options ``lugang grafana annotate --from 2026-03-10 --to 2026-03-11`` parses into."""
    return argparse.Namespace(
        start=date(2026, 3, 10),
        end=date(2026, 3, 11),
        url=url,
        token=SecretStr(TOKEN),
        influx_url=influx_url,
        influx_bucket=influx_bucket,
        influx_token=SecretStr("lugang:lugang"),
        dashboard=None,
        dry_run=False,
    )


def test_annotate_command_says_what_it_added(
    influx_url: str, influx_bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against a recorded exchange, not a live Grafana (none can run here); the points
    come from the real InfluxDB. ``lugang grafana annotate`` turns the local days into
    the range, and reports what it found and what Grafana already had."""
    write_points(
        influx_url,
        influx_bucket,
        [
            departure("X260001", "HHW-QZH", datetime(2026, 3, 10, 1, 30, tzinfo=UTC)),
            opening("MSKU9070323", datetime(2026, 3, 10, 5, 0, tzinfo=UTC)),
            departure("X260002", "HHW-VTE", datetime(2026, 3, 11, 2, 0, tzinfo=UTC)),
        ],
    )

    with recorded("annotate") as replay:
        assert (
            annotate_command(
                annotate_args(replay.url, influx_url, influx_bucket), default_reference()
            )
            == 0
        )

    replay.assert_played()
    database = influx_bucket.split("/")[0]
    assert capsys.readouterr().out.splitlines() == [
        "found 2 train departures and 1 cold-chain exception opening from 2026-03-10 to "
        f"2026-03-11 in InfluxDB {database!r}; added 2 annotations to Grafana at "
        f"{replay.url} (1 already there)"
    ]


def test_annotate_dry_run_lists_the_annotations_without_grafana(
    influx_url: str, influx_bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No Grafana at all (none can run here, and --dry-run sends nothing): the annotations
    read from the real InfluxDB for local days --from..--to are printed in local time."""
    write_points(
        influx_url,
        influx_bucket,
        [departure("X260001", "HHW-QZH", datetime(2026, 3, 10, 1, 30, tzinfo=UTC))],
    )
    args = annotate_args(f"http://127.0.0.1:{free_port()}", influx_url, influx_bucket)
    args.end, args.dry_run = date(2026, 3, 10), True

    assert annotate_command(args, default_reference()) == 0

    database = influx_bucket.split("/")[0]
    assert capsys.readouterr().out.splitlines() == [
        "found 1 train departure and 0 cold-chain exception openings from 2026-03-10 to "
        f"2026-03-10 in InfluxDB {database!r}; not sent (--dry-run):",
        "  2026-03-10 09:30 X260001 HHW-QZH departed / 发车",
    ]


def test_a_wrong_token_is_one_clear_line() -> None:
    """Against a recorded exchange, not a live Grafana (none can run here): Grafana's
    recorded 401 for an unknown token ends the push with one line naming the setting."""
    with recorded("wrong-token") as replay, pytest.raises(GrafanaAuthError) as failure:
        push_command(push_args(replay.url, "glsa_revokedToken_0000000000000000_00000000"))

    replay.assert_played()
    message = str(failure.value)
    assert "\n" not in message
    assert message == (
        f"Grafana at {replay.url} refused the token (401 Invalid API key) when asked to list "
        "its folders: check LUGANG_GRAFANA_TOKEN or --token (a service-account token of "
        "this Grafana, role Editor)"
    )


def test_a_token_without_the_editor_role_is_one_clear_line() -> None:
    """Against a recorded exchange, not a live Grafana (none can run here): Grafana's
    recorded 403 for a Viewer's token stops the push at the first dashboard, in one line."""
    with recorded("viewer-token") as replay, pytest.raises(GrafanaAuthError) as failure:
        push_command(push_args(replay.url, "glsa_viewerToken_1111111111111111_11111111"))

    replay.assert_played()
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith(
        f"Grafana at {replay.url} refused the token (403 You'll need additional permissions"
    )
    assert message.endswith(
        "when asked to save the dashboard 'lugang-test-coldchain': its service account "
        "needs the Editor role (LUGANG_GRAFANA_TOKEN or --token)"
    )


def test_an_unreachable_grafana_is_one_clear_line() -> None:
    """No Grafana and no recording (none can run here): a closed loopback port is refused,
    and push says so in one line, after checking the dashboard files."""
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(GrafanaUnreachable) as failure:
        push_command(push_args(url, TOKEN))

    assert str(failure.value) == (
        f"cannot reach Grafana at {url} (connection refused); "
        "start it or set --url or LUGANG_GRAFANA_URL"
    )
