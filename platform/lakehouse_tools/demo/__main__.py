"""`python -m lakehouse.demo ...`: see lakehouse.demo.cli."""

from lakehouse.demo.cli import main

raise SystemExit(main())
