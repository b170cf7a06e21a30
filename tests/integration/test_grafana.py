"""``lugang grafana push`` against a recorded Grafana exchange.

Grafana cannot run on this machine, so these tests do not talk to a live Grafana. They run
against a recorded HTTP exchange: ``tests/grafana_replay.py`` serves a cassette from
``tests/data/grafana/`` on loopback, checks that each request Lugang sends is the one
recorded (method, path, query, token, JSON body) and answers what Grafana answers. The
cassettes were transcribed from Grafana's HTTP API documentation and error bodies, not
captured from a running Grafana; a Grafana that answers differently would not be caught
here. What is real: grafana-client and its HTTP stack, and the sockets.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import SecretStr

from dashboards.grafana.commands import push_command
from dashboards.grafana.connection import connect
from dashboards.grafana.errors import GrafanaAuthError, GrafanaUnreachable
from dashboards.grafana.push import FOLDER_TITLE, push_dashboards
from entrypoints.embedded import free_port
from tests.grafana_replay import CASSETTES, GrafanaReplay, load_cassette

TOKEN = "glsa_lugangTestToken_0123456789abcdef_01234567"  # noqa: S105 (the cassettes' token)
FIXTURE_DASHBOARDS = CASSETTES / "dashboards"


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
