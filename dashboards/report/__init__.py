"""``lugang report --html``: the evaluation pack of a month, quarter, half year or year to
date as one HTML page.

The page is self-contained: its CSS is in a ``<style>`` element and every chart is inline
SVG drawn here from the figures — no script, font, image or style sheet from elsewhere —
so it opens offline, travels as one file, and prints (A4, one card never split).

What it shows, for the period (month, quarter, half year or year to date) ending on the
day asked, with the day its report is due (15 days after the whole period ends):

- train runs, TEU per category, reefer TEU and tonnage against the plan's pro-rata target
  (yearly target × days in the period ÷ days in the year), as ``/status`` gives them for
  the period (``against_plan``), train runs per corridor;
- 天天班 per service group: today, streak, missed days and days without data (unknown,
  not missed), and a calendar of served, missed, unknown and uncounted days;
- daily train runs and TEU, and cumulative runs against the pace line;
- transit times against the corridors' benchmarks (30 h to a seaport, 72 h to ASEAN);
- the cold-chain exceptions that started in the period.

Modules: :mod:`.data` reads the figures (a worker's ``/status``, InfluxDB) into the
report's data model; :mod:`.style` formats, colours and styles; :mod:`.svg` draws chart
primitives; :mod:`.targets`, :mod:`.sections` and :mod:`.series` build the page's sections;
:mod:`.page` assembles the page; :mod:`.command` is the entry the CLI calls.
"""
