"""Grafana through its HTTP API (``grafana-client``): upload the dashboards, add annotations.

- :func:`push_dashboards` makes sure the folder *Lugang 陆港* (uid ``lugang``) exists and
  uploads every ``*.json`` dashboard of a local folder into it with ``overwrite``, so pushing
  again replaces each dashboard (matched by its ``uid``) with the new version.
- :func:`annotations_from_influx` reads train departures (``transit`` points) and cold-chain
  exception openings (``coldchain_exception`` points) of a time range from InfluxDB with
  InfluxQL, and :func:`annotate` adds them to Grafana as organisation annotations tagged
  ``lugang`` (shown by any dashboard whose annotation query filters on that tag).
- :func:`annotate` is idempotent: it first lists the ``lugang`` annotations of the range
  and skips each annotation whose time and text are already there, so annotating the same
  days twice adds nothing the second time.

Every failure ends as one :class:`GrafanaError` whose message is a single line saying what
to do: :class:`GrafanaUnreachable` (connection refused, unknown host, timeout),
:class:`GrafanaAuthError` (HTTP 401/403: the token), :class:`GrafanaRequestError` (any other
refusal), :class:`DashboardFileError` and :class:`InfluxReadError`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final, TypeAlias
from urllib.parse import urlsplit

import niquests
from pydantic import SecretStr

from streams.schema.points import COLDCHAIN_EXCEPTION, TRANSIT, UNKNOWN, local_midnight

GrafanaApi: TypeAlias = Any
"""A ``grafana_client.GrafanaApi`` (the library has no type annotations)."""

FOLDER_TITLE: Final = "Lugang 陆港"
FOLDER_UID: Final = "lugang"
TAG: Final = "lugang"
"""Every annotation Lugang adds carries this tag: dashboards select them by it, and
:func:`annotate` finds the ones already added by it."""
DEFAULT_DASHBOARDS: Final = Path(__file__).resolve().parent.parent / "dashboards" / "json"
"""The provisioned dashboards of this checkout (``dashboards/json/*.json``)."""
PUSH_MESSAGE: Final = "lugang grafana push"
TIMEOUT_S: Final = 10.0

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class GrafanaError(Exception):
    """A failure of ``lugang grafana`` that the user can act on. The message is one line
    (whitespace, newlines included, is collapsed) and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class GrafanaUnreachable(GrafanaError):
    """No HTTP answer from Grafana: connection refused, unknown host, timeout."""


class GrafanaAuthError(GrafanaError):
    """Grafana answered 401 (no or a wrong token) or 403 (a token whose role may not)."""


class GrafanaRequestError(GrafanaError):
    """Grafana refused a request for another reason, failed (5xx), or is not Grafana."""


class DashboardFileError(GrafanaError):
    """A local dashboard folder or file that cannot be pushed."""


class InfluxReadError(GrafanaError):
    """InfluxDB could not be read (the source of the annotations)."""


@dataclass(frozen=True, slots=True, order=True)
class Annotation:
    """One point annotation: an aware time, its text and tags, and optionally the uid of
    the only dashboard that shows it (``None``: an organisation annotation, shown by every
    dashboard whose annotation query asks for its tags)."""

    time: datetime
    text: str
    tags: tuple[str, ...]
    dashboard_uid: str | None = None

    def __post_init__(self) -> None:
        if self.time.utcoffset() is None:
            raise ValueError(f"annotation {self.text!r}: time needs a UTC offset")


# --- connecting, and turning every failure into one clear line -----------------------------


def _where(url: str) -> str:
    """``url`` without user and password, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url.rstrip("/")
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl().rstrip("/")


def _origin(url: str) -> str:
    """``scheme://host:port`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _api_where(client: GrafanaApi) -> str:
    url = getattr(client, "url", None)
    if isinstance(url, str):
        return _where(url)
    return str(client.client.url).removesuffix("/api")


def _reason(exc: BaseException) -> str:
    """The short cause of a failed connection: refused, unknown host, timeout, or the last
    part of the message."""
    text = str(exc)
    if isinstance(exc, niquests.exceptions.Timeout) or "timed out" in text.lower():
        return f"no answer within {TIMEOUT_S:g} s"
    if "Connection refused" in text:
        return "connection refused"
    if "NameResolution" in text or "Failed to resolve" in text or "getaddrinfo" in text:
        return "unknown host name"
    return text.rsplit(": ", 1)[-1].strip(" '\")") or type(exc).__name__


def _grafana_message(response: Any) -> str:
    """What Grafana said in an error body (``{"message": ...}``), shortened."""
    if isinstance(response, dict) and isinstance(response.get("message"), str):
        return str(response["message"])
    return str(response or "")[:200]


@contextmanager
def grafana_errors(url: str, doing: str) -> Iterator[None]:
    """Turn what ``grafana-client`` (and niquests beneath it) raises while ``doing`` into
    one :class:`GrafanaError` line: unreachable, token refused, or request refused."""
    from grafana_client.client import (
        GrafanaClientError,
        GrafanaException,
        GrafanaServerError,
        GrafanaTimeoutError,
        GrafanaUnauthorizedError,
    )

    where = _where(url)
    unreachable = (
        f"cannot reach Grafana at {where}: {{}}; is Grafana running there? "
        "(set --url or LUGANG_GRAFANA_URL)"
    )
    try:
        yield
    except GrafanaTimeoutError:
        raise GrafanaUnreachable(unreachable.format(f"no answer within {TIMEOUT_S:g} s")) from None
    except GrafanaUnauthorizedError as exc:
        raise GrafanaAuthError(
            f"Grafana at {where} refused the token (401 {_grafana_message(exc.response)}) "
            f"when asked to {doing}: check LUGANG_GRAFANA_TOKEN or --token (a service-account "
            "token of this Grafana, role Editor)"
        ) from None
    except GrafanaClientError as exc:
        message = _grafana_message(exc.response)
        if exc.status_code == 403:
            raise GrafanaAuthError(
                f"Grafana at {where} refused the token (403 {message}) when asked to {doing}: "
                "its service account needs the Editor role (LUGANG_GRAFANA_TOKEN or --token)"
            ) from None
        if exc.status_code == 404:
            raise GrafanaRequestError(
                f"{where} answered 404 when asked to {doing}: is that Grafana's base URL? "
                "(set --url or LUGANG_GRAFANA_URL, e.g. http://127.0.0.1:3000)"
            ) from None
        raise GrafanaRequestError(
            f"Grafana at {where} refused to {doing} ({exc.status_code} {message})"
        ) from None
    except GrafanaServerError as exc:
        raise GrafanaRequestError(
            f"Grafana at {where} failed to {doing} ({exc.status_code} "
            f"{_grafana_message(exc.response)}); see Grafana's log"
        ) from None
    except GrafanaException as exc:  # grafana-client's wrapper of other HTTP failures
        raise GrafanaUnreachable(unreachable.format(_reason(exc))) from None
    except niquests.exceptions.JSONDecodeError:  # before RequestException: it is one
        raise GrafanaRequestError(
            f"{where} did not answer JSON when asked to {doing}: is that Grafana's base URL?"
        ) from None
    except niquests.exceptions.RequestException as exc:
        raise GrafanaUnreachable(unreachable.format(_reason(exc))) from None


def connect(url: str, token: SecretStr | str | None, timeout: float = TIMEOUT_S) -> GrafanaApi:
    """A ``GrafanaApi`` for ``url`` that has answered ``GET /api/health``.

    ``token`` is a service-account token (sent as ``Authorization: Bearer``); without one,
    ``user:password@`` in the URL is used (basic auth). ``/api/health`` needs no token: a
    wrong token shows with the first real request, as :class:`GrafanaAuthError`.

    Raises:
        GrafanaUnreachable: connection refused, unknown host, or no answer in ``timeout``.
        GrafanaRequestError: something answered that is not Grafana.
    """
    from grafana_client.api import GrafanaApi as Api

    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise GrafanaRequestError(
            f"{url!r} is not a Grafana URL: use http://HOST:PORT (set --url or LUGANG_GRAFANA_URL)"
        )
    secret = token.get_secret_value() if isinstance(token, SecretStr) else token
    api = Api.from_url(url, credential=secret or None, timeout=timeout)
    with grafana_errors(url, "report its health"):
        health = api.client.GET("/health")
    if not isinstance(health, dict) or "version" not in health:
        raise GrafanaRequestError(
            f"{_where(url)}/api/health did not answer like Grafana: is that Grafana's base URL?"
        )
    api._grafana_info = health  # what grafana-client's own connect() keeps: api.version reads it
    return api


# --- dashboards ---------------------------------------------------------------------------


def load_dashboards(folder: Path) -> list[dict[str, Any]]:
    """The dashboard models of every ``*.json`` file in ``folder``, by file name. A file may
    hold the model itself or an export ``{"dashboard": {...}}``.

    Raises:
        DashboardFileError: no such folder, no JSON file in it, a file that is not JSON or
            not a dashboard with a ``uid`` and a ``title``, or two files with one ``uid``.
    """
    if not folder.is_dir():
        raise DashboardFileError(f"{folder}: no such folder of dashboards (set --dashboards)")
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise DashboardFileError(f"{folder}: no *.json dashboard in it (set --dashboards)")
    dashboards: list[dict[str, Any]] = []
    files_by_uid: dict[str, Path] = {}
    for path in paths:
        try:
            model = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DashboardFileError(f"{path}: cannot read it as JSON: {exc}") from None
        if isinstance(model, dict) and isinstance(model.get("dashboard"), dict):
            model = model["dashboard"]
        if not isinstance(model, dict):
            raise DashboardFileError(f"{path}: not a dashboard (a JSON object is expected)")
        uid, title = model.get("uid"), model.get("title")
        if not isinstance(uid, str) or not uid or not isinstance(title, str) or not title:
            raise DashboardFileError(
                f"{path}: a dashboard needs a uid and a title, so pushing it again replaces it"
            )
        if uid in files_by_uid:
            raise DashboardFileError(f"{path}: uid {uid!r} is also the uid of {files_by_uid[uid]}")
        files_by_uid[uid] = path
        dashboards.append(model)
    return dashboards


def ensure_folder(client: GrafanaApi, title: str = FOLDER_TITLE, uid: str | None = None) -> str:
    """The uid of the Grafana folder titled ``title``, or else of the one with ``uid``
    (default: ``lugang`` for the default title, so a folder renamed in Grafana is still
    found); created with ``title`` and ``uid`` when there is neither."""
    if uid is None and title == FOLDER_TITLE:
        uid = FOLDER_UID
    where = _api_where(client)
    with grafana_errors(where, "list its folders"):
        answer = client.folder.get_all_folders()
    folders = [folder for folder in answer or [] if isinstance(folder, dict)]
    for key, wanted in (("title", title), ("uid", uid)):
        for folder in folders:
            if wanted is not None and folder.get(key) == wanted:
                return str(folder["uid"])
    with grafana_errors(where, f"create the folder {title!r}"):
        created = client.folder.create_folder(title, uid=uid)
    return str(created["uid"])


def upload_dashboards(
    client: GrafanaApi,
    dashboards: Sequence[dict[str, Any]],
    grafana_folder_title: str = FOLDER_TITLE,
    grafana_folder_uid: str | None = None,
) -> list[str]:
    """Upload dashboard models into the folder (created when missing), each with
    ``overwrite``; the URL of each dashboard in Grafana, in order."""
    where = _api_where(client)
    folder_uid = ensure_folder(client, grafana_folder_title, grafana_folder_uid)
    urls = []
    for model in dashboards:
        # "id": null makes Grafana match the existing dashboard by uid, whatever its id there.
        body = {
            "dashboard": {**model, "id": None},
            "folderUid": folder_uid,
            "overwrite": True,
            "message": PUSH_MESSAGE,
        }
        with grafana_errors(where, f"save the dashboard {model['uid']!r}"):
            answer = client.dashboard.update_dashboard(body)
        url = answer.get("url") if isinstance(answer, dict) else None
        # Grafana's url already holds any sub-path Grafana is served from.
        urls.append(_origin(where) + url if isinstance(url, str) else f"{where}/d/{model['uid']}")
    return urls


def push_dashboards(
    client: GrafanaApi,
    folder: Path,
    grafana_folder_title: str = FOLDER_TITLE,
    grafana_folder_uid: str | None = None,
) -> list[str]:
    """Upload every ``*.json`` dashboard of ``folder`` into the Grafana folder
    ``grafana_folder_title`` (created when missing) with ``overwrite: true``; the URL of
    each dashboard in Grafana. The files are all read first: a bad one uploads nothing."""
    dashboards = load_dashboards(folder)
    return upload_dashboards(client, dashboards, grafana_folder_title, grafana_folder_uid)


# --- annotations --------------------------------------------------------------------------


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, Grafana's time unit."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def departure_annotation(
    train_id: str, corridor: str, departed_at: datetime, dashboard_uid: str | None = None
) -> Annotation:
    """A train's departure from the port: ``X260001 HHW-QZH departed / 发车``."""
    return Annotation(
        departed_at,
        f"{train_id} {corridor} departed / 发车",
        (TAG, "train", "departure", corridor),
        dashboard_uid,
    )


def exception_annotation(
    equipment_reference: str,
    kind: str,
    commodity: str,
    corridor: str,
    started_at: datetime,
    dashboard_uid: str | None = None,
) -> Annotation:
    """A cold-chain exception opening:
    ``MSKU9070323 HIGH cold-chain exception opened / 冷链异常 (citrus, HHW-QZH)``.

    The text names only what an exception keeps from opening to closing, so the
    annotation of an exception that has closed since is still the same annotation."""
    known = [value for value in (commodity, corridor) if value and value != UNKNOWN]
    detail = f" ({', '.join(known)})" if known else ""
    return Annotation(
        started_at,
        f"{equipment_reference} {kind} cold-chain exception opened / 冷链异常{detail}",
        (TAG, "coldchain", "exception", kind),
        dashboard_uid,
    )


def _influx_series(
    influx_url: str, database: str, query: str, token: str | None
) -> list[tuple[dict[str, str], list[str], list[list[Any]]]]:
    """(tags, columns, values) of each series an InfluxQL query returns, times in ms."""
    where = _where(influx_url)
    headers = {"Authorization": f"Token {token}"} if token else {}
    try:
        response = niquests.get(
            f"{influx_url.rstrip('/')}/query",
            params={"db": database, "q": query, "epoch": "ms"},
            headers=headers,
            timeout=TIMEOUT_S,
        )
    except niquests.exceptions.RequestException as exc:
        raise InfluxReadError(
            f"cannot read InfluxDB at {where}: {_reason(exc)}; is it running? "
            "(set --influx-url or LUGANG_INFLUX_URL)"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InfluxReadError(
            f"InfluxDB at {where} answered {response.status_code} without JSON to an InfluxQL "
            "query: is that InfluxDB's base URL? (set --influx-url or LUGANG_INFLUX_URL)"
        )
    errors = [body.get("error")] + [r.get("error") for r in body.get("results", [])]
    error = next((e for e in errors if e), None)
    if error or (response.status_code or 0) >= 400:
        raise InfluxReadError(
            f"InfluxDB at {where} refused to read database {database!r} "
            f"({response.status_code} {error or ''}): check LUGANG_INFLUX_BUCKET and "
            "LUGANG_INFLUX_TOKEN"
        )
    return [
        (series.get("tags", {}), series["columns"], series["values"])
        for result in body.get("results", [])
        for series in result.get("series", [])
    ]


def _rows(
    influx_url: str, database: str, query: str, token: str | None
) -> Iterator[tuple[dict[str, str], datetime]]:
    for tags, columns, values in _influx_series(influx_url, database, query, token):
        at = columns.index("time")
        for value in values:
            yield tags, _EPOCH + timedelta(milliseconds=int(value[at]))


def annotations_from_influx(
    influx_url: str,
    database: str,
    start: datetime,
    end: datetime,
    token: str | None = None,
    dashboard_uid: str | None = None,
) -> list[Annotation]:
    """Train departures (``transit`` points, stamped at departure) and cold-chain exception
    openings (``coldchain_exception`` points, stamped at the start) from ``start``
    (inclusive) to ``end`` (exclusive), read with InfluxQL over HTTP; ordered by time.

    Raises:
        InfluxReadError: InfluxDB unreachable, or it refused the query.
    """
    # Only our own measurement names and formatted times go into the queries.
    first, after = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
    when = f"time >= '{first}' AND time < '{after}'"
    annotations = [
        departure_annotation(tags["train_id"], tags["corridor"], at, dashboard_uid)
        for tags, at in _rows(
            influx_url,
            database,
            f'SELECT "hours" FROM "{TRANSIT}" WHERE {when} GROUP BY "corridor", "train_id"',  # noqa: S608
            token,
        )
    ]
    annotations += [
        exception_annotation(
            tags["equipment_reference"],
            tags["kind"],
            tags.get("commodity", UNKNOWN),
            tags.get("corridor", UNKNOWN),
            at,
            dashboard_uid,
        )
        for tags, at in _rows(
            influx_url,
            database,
            f'SELECT "status" FROM "{COLDCHAIN_EXCEPTION}" WHERE {when} GROUP BY *',  # noqa: S608
            token,
        )
    ]
    return sorted(annotations)


def annotate(client: GrafanaApi, annotations: Sequence[Annotation]) -> int:
    """Add the annotations to Grafana, each tagged ``lugang``; how many were added.

    Idempotent: one ``GET /api/annotations`` lists the ``lugang`` annotations between the
    first and the last time, and an annotation whose time (ms) and text are already there
    (or earlier in ``annotations``) is skipped. Annotations are point annotations
    (``timeEnd`` = ``time``).
    """
    if not annotations:
        return 0
    where = _api_where(client)
    with grafana_errors(where, "list its annotations"):
        existing = client.annotations.find_annotations(
            time_from=epoch_ms(min(a.time for a in annotations)),
            time_to=epoch_ms(max(a.time for a in annotations)),
            ann_type="annotation",
            tags=[TAG],
            limit=max(1000, 2 * len(annotations)),
        )
    seen = {
        (item.get("time"), item.get("text")) for item in existing or [] if isinstance(item, dict)
    }
    added = 0
    for annotation in sorted(annotations):
        at = epoch_ms(annotation.time)
        if (at, annotation.text) in seen:
            continue
        tags = [TAG, *(tag for tag in annotation.tags if tag != TAG)]
        with grafana_errors(where, f"add the annotation {annotation.text!r}"):
            client.annotations.add_annotation(
                dashboard_uid=annotation.dashboard_uid,
                time_from=at,
                time_to=at,
                tags=tags,
                text=annotation.text,
            )
        seen.add((at, annotation.text))
        added += 1
    return added


# --- the ``lugang grafana`` subcommands (argparse lives in lugang/cli.py) ---------------------


def _token(args: argparse.Namespace) -> SecretStr | None:
    token = args.token
    if token is None or isinstance(token, SecretStr):
        return token
    return SecretStr(str(token))


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def push_command(args: argparse.Namespace) -> int:
    """``lugang grafana push``: options ``url``, ``token``, ``dashboards`` (None: the
    project's ``dashboards/json``), ``folder`` (None: *Lugang 陆港*)."""
    folder = args.folder or FOLDER_TITLE
    # Read every file before connecting: a bad one sends nothing.
    dashboards = load_dashboards(args.dashboards or DEFAULT_DASHBOARDS)
    api = connect(args.url, _token(args))
    urls = upload_dashboards(api, dashboards, folder)
    print(
        f"pushed {_count(len(urls), 'dashboard')} to Grafana "
        f"{api.version} at {_where(args.url)}, folder {folder!r}:"
    )
    width = max(len(model["uid"]) for model in dashboards)
    for model, url in zip(dashboards, urls, strict=True):
        print(f"  {model['uid']:<{width}}  {url}")
    return 0


def local_day_range(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """From the start of local day ``first`` to the start of the day after ``last``."""
    if last < first:
        raise GrafanaError(f"--to {last} is before --from {first}")
    return local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)


def annotate_command(args: argparse.Namespace) -> int:
    """``lugang grafana annotate``: options ``start``, ``end`` (local days), ``url``,
    ``token``, ``influx_url``, ``influx_bucket``, ``influx_token``, ``dashboard``,
    ``dry_run``."""
    from lugang.reference import load_reference

    if not args.influx_url:
        raise InfluxReadError(
            "annotations are read from InfluxDB: set --influx-url or LUGANG_INFLUX_URL"
        )
    start, end = local_day_range(args.start, args.end, load_reference(None).home.tz)
    database = str(args.influx_bucket).split("/")[0]
    influx_token = args.influx_token
    if isinstance(influx_token, SecretStr):
        influx_token = influx_token.get_secret_value()
    annotations = annotations_from_influx(
        args.influx_url, database, start, end, influx_token, args.dashboard
    )
    departures = sum("departure" in a.tags for a in annotations)
    found = (
        f"{_count(departures, 'train departure')} and "
        f"{_count(len(annotations) - departures, 'cold-chain exception opening')} "
        f"from {args.start} to {args.end} in InfluxDB {database!r}"
    )
    if args.dry_run:
        print(f"found {found}; not sent (--dry-run):")
        for annotation in annotations:
            print(f"  {annotation.time.astimezone(start.tzinfo):%Y-%m-%d %H:%M} {annotation.text}")
        return 0
    api = connect(args.url, _token(args))
    added = annotate(api, annotations)
    print(
        f"found {found}; added {_count(added, 'annotation')} to Grafana at "
        f"{_where(args.url)} ({len(annotations) - added} already there)"
    )
    return 0
