"""`python -m lakehouse_tools.scaffold ...`: the `lakehouse` command (lakehouse_tools/cli.py)."""

from lakehouse_tools.cli import main

raise SystemExit(main())
