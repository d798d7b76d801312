"""Deterministic demo data for the `subscription_churn` dataset (config/datasets/subscription_churn/).

Entry points (importing this package does nothing):

- `lakehouse_tools.demo.churn.generator`: `land_days(settings, root, first, last)`
- `lakehouse_tools.demo.churn.settings`: `ChurnSettings`
- `python -m lakehouse_tools.demo.churn --root DIR --first 2026-01-01 --last 2026-01-28`

Layout under `root` (the folders sources.yaml names): landing/usage_web/<day>/usage_web_<day>.csv,
landing/usage_app/<day>/usage_app_<day>.jsonl, stream/cancellations/<day>/cancellations_<day>.json and
the billing database sources/churn_sources.sqlite (table `accounts`).
"""
