"""Deterministic demo data generator for the card-transactions-and-fraud domain.

Entry points live in submodules (importing this package does nothing):

- `lakehouse.demo.generator`: `generate(settings, root)`, `land_next_day(settings, root)`
- `lakehouse.demo.settings`: `GeneratorSettings`, `DirtyRates`
- `python -m lakehouse.demo generate|land-next-day ...`: the command line
"""
