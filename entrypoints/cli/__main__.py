"""``python -m entrypoints.cli``: the ``lugang`` command (the demo starts its worker so)."""

from entrypoints.cli.main import main

raise SystemExit(main())
