"""Peers of the Lugang worker that ``bench.pipeline`` measures it against."""
