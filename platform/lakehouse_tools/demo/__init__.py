"""Deterministic demo data generator for the card-transactions-and-fraud domain.

Entry points live in submodules (importing this package does nothing):

- `lakehouse_tools.demo.generator`: `generate(settings, root)`, `land_next_day(settings, root)`
- `lakehouse_tools.demo.settings`: `GeneratorSettings`, `DirtyRates`
- `python -m lakehouse_tools.demo generate|land-next-day ...`: the command line
"""
