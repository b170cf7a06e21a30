"""The InfluxDB servers the tests run against: 1.12 (what the tests began with) and 2.7
(what docker-compose.yml ships), both through the v1 API Lugang uses (InfluxQL ``/query``)
and the v2 write API.

On 2.x a database is a bucket named ``DATABASE/autogen``, mapped to database ``DATABASE``,
retention policy ``autogen``, the default one (a DBRP mapping, as compose's init script
makes for ``lugang``: InfluxDB's own mapping of such a bucket is not a default, and an
InfluxQL query naming no retention policy is refused). 2.x needs a token and the
organisation's name to write; 1.x (auth off) takes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from dashboards import influx_reader

TOKEN_2X = "lugang-test-token"  # noqa: S105 - deploy/local/start-influxdb2.sh sets it up
ORG_2X = "lugang"


@dataclass(frozen=True)
class Influx:
    """One InfluxDB server: where it is, and what a client sends it."""

    url: str
    version: str  # "1.12" or "2.7"
    token: str | None = None  # None: no authentication (1.x)
    org: str = "-"

    def create_database(self, database: str) -> str:
        """Make ``database`` (retention policy ``autogen``); return its bucket name."""
        bucket = f"{database}/autogen"
        if self.token is None:
            influx_reader.query(self.url, None, f'CREATE DATABASE "{database}"', method="POST")
            return bucket
        org = self._v2("GET", "/api/v2/orgs", params={"org": self.org})["orgs"][0]["id"]
        made = self._v2("POST", "/api/v2/buckets", json={"orgID": org, "name": bucket})
        mapping = {"bucketID": made["id"], "orgID": org, "database": database}
        self._v2(
            "POST",
            "/api/v2/dbrps",
            json={**mapping, "retention_policy": "autogen", "default": True},
        )
        return bucket

    def drop_database(self, database: str) -> None:
        if self.token is None:
            influx_reader.query(self.url, None, f'DROP DATABASE "{database}"', method="POST")
            return
        found = self._v2("GET", "/api/v2/buckets", params={"name": f"{database}/autogen"})
        for bucket in found.get("buckets", []):
            self._v2("DELETE", f"/api/v2/buckets/{bucket['id']}")

    def _v2(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method,
            f"{self.url.rstrip('/')}{path}",
            headers={"Authorization": f"Token {self.token}"},
            timeout=10,
            **kwargs,
        )
        response.raise_for_status()
        return response.json() if response.content else None
