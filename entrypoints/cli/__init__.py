"""The ``lugang`` command, one module per area of subcommands; :func:`main` runs it."""

from entrypoints.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
