"""The roof: the ``lugang`` command, the composition root and the demo.

Only this package imports every other one (``lugang``, ``producers``, ``streams``,
``dashboards``); nothing imports it.
"""
