"""Grafana through its HTTP API (``grafana-client``): upload the dashboards, add annotations.

- :mod:`.errors`: every failure as one :class:`~.errors.GrafanaError` line that says what
  to do, and :func:`~.errors.grafana_errors`, which turns what grafana-client raises into
  one;
- :mod:`.connection`: :func:`~.connection.connect` to a Grafana that answers;
- :mod:`.push`: upload the ``*.json`` dashboards of a folder into the folder *Lugang 陆港*
  with ``overwrite`` (pushing again replaces each dashboard, matched by ``uid``);
- :mod:`.annotations`: what an annotation says, and :func:`~.annotations.annotate`, which
  adds annotations idempotently (one already there, same time and text, is skipped);
- :mod:`.influx`: the train departures and cold-chain exception openings of a time range,
  read from InfluxDB (through :mod:`dashboards.influx_reader`) as annotations;
- :mod:`.commands`: the ``lugang grafana push`` and ``annotate`` subcommands.
"""
