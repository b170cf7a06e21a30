"""Grafana dashboards, provisioning files and alert rules as code (see build.py)."""
