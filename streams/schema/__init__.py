"""The InfluxDB schema: the measurements the worker writes and the points it builds."""
