"""Upload dashboards into a Grafana folder: every ``*.json`` of a local folder, with
``overwrite``, so pushing again replaces each dashboard (matched by its ``uid``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from dashboards.grafana.connection import GrafanaApi, api_where, origin
from dashboards.grafana.errors import DashboardFileError, grafana_errors

FOLDER_TITLE: Final = "Lugang 陆港"
FOLDER_UID: Final = "lugang"
DEFAULT_DASHBOARDS: Final = Path(__file__).resolve().parent.parent / "json"
"""The provisioned dashboards of this checkout (``dashboards/json/*.json``)."""
PUSH_MESSAGE: Final = "lugang grafana push"


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
    where = api_where(client)
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
    where = api_where(client)
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
        urls.append(origin(where) + url if isinstance(url, str) else f"{where}/d/{model['uid']}")
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
