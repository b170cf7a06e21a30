"""Grafana through its HTTP API (``grafana-client``): upload the dashboards.

- :mod:`.errors`: every failure as one :class:`~.errors.GrafanaError` line that says what
  to do, and :func:`~.errors.grafana_errors`, which turns what grafana-client raises into
  one;
- :mod:`.connection`: :func:`~.connection.connect` to a Grafana that answers;
- :mod:`.push`: upload the ``*.json`` dashboards of a folder into the folder *Lugang 陆港*
  with ``overwrite`` (pushing again replaces each dashboard, matched by ``uid``);
- :mod:`.datasources`: before a push, the data sources the dashboards query must be there;
- :mod:`.commands`: the ``lugang grafana push`` subcommand.

Departures and cold-chain exceptions are not copied into Grafana's annotations: the
dashboards read them from InfluxDB with annotation queries (:mod:`dashboards.annotations`).
"""
