"""Lugang (陆港): a streaming operations monitor for an inland international land port."""

__version__ = "0.1.0"
