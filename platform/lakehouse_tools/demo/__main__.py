"""`python -m lakehouse_tools.demo ...`: see lakehouse_tools.demo.cli."""

from lakehouse_tools.demo.cli import main

raise SystemExit(main())
