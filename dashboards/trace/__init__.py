"""``lugang trace``: the whole journey of one container on one page (issue 13).

- :mod:`dashboards.trace.model`: what the trace holds (moves, trains, readings, gaps,
  power-off periods, exceptions with their acknowledgements, trips) and its JSON;
- :mod:`dashboards.trace.trips`: the readings split into trips by the domain's watch rule,
  the gaps and power-off periods of each trip, and each trip's cold-chain summary;
- :mod:`dashboards.trace.data`: the InfluxQL queries and the trace built from their answers;
- :mod:`dashboards.trace.text` and :mod:`dashboards.trace.page`: plain text and the
  self-contained HTML page.
"""
