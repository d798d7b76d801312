"""Local tools around the pipeline, kept out of the deployable `lakehouse` wheel.

- `lakehouse_tools.demo`: the demo data generator (`python -m lakehouse_tools.demo generate|land-next-day`)
- `lakehouse_tools.run`: `make run`'s replay of production (with `summary`, what it prints at the end)
- `lakehouse_tools.bench`: `make bench`
- `lakehouse_tools.scaffold` (`lakehouse_tools.cli`: the `lakehouse` command): `lakehouse new-dataset` writes a
  dataset folder inferred from a sample file, `lakehouse land` splits files into its landing folders
- `lakehouse_tools.query`: tables by name from a new Spark session (`python -m lakehouse_tools.query "SQL"`)
- `lakehouse_tools.spark_connect`: a local Spark Connect server (`make spark-connect`)
- `lakehouse_tools.warm_jars`: warms Spark's Ivy cache (`make jars`)
- `lakehouse_tools.synthetic_gold`: synthetic gold tables for the ML / scoring tests and the benchmark

These import `lakehouse`; `lakehouse` never imports them (platform_tests/test_package_boundary.py).
They are installed, editable, by `make setup` from tools/pyproject.toml (a second distribution over the
same source root), so the wheel built from ../pyproject.toml holds the pipeline only.
"""
