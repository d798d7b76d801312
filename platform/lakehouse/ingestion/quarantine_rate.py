"""The `quarantine_rate` check of a file source: is each landing day's data usable?

Every row is loaded or quarantined (`reconciliation` proves it), so a day whose rows are nearly all
rejected still "succeeds" — unless this check fails it. Each landing day of the run is judged on its own
(a range run does not average a bad day away):

- ERROR (blocking): quarantined / read above `quarantine_error_share` with at least
  `quarantine_error_min_rows` rows quarantined, or rows read and none loaded (whatever the limits);
- passed otherwise.

A second check, `quarantine_rate_warning` (not blocking, WARN), fails for days above
`quarantine_warn_share`. It is separate so that the blocking check means one thing — this day is
unusable — to everything that reads check verdicts: Dagster's own `all_deps_blocking_checks_passed()`
counts a WARN on a blocking check as a failure, which would hold a usable day.

The counts are the ones the other checks already have (file_source.py): rows read per day observed while
the files are parsed, quarantined per day observed while the quarantine is written, loaded per day from
the one aggregation over the committed window -- no further pass over the data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from lakehouse.config.sources import SourceConfig

CHECK, WARNING = "quarantine_rate", "quarantine_rate_warning"


def quarantine_rate_specs(asset_key: AssetKey, source: SourceConfig) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            CHECK, asset=asset_key, blocking=True,
            description=f"Per landing day, quarantined rows / rows read: fails above "
            f"{source.quarantine_error_share:.0%} (with at least {source.quarantine_error_min_rows} rows "
            "quarantined) or when nothing was loaded. Blocking: the run is red and downstream waits.",
        ),
        AssetCheckSpec(
            WARNING, asset=asset_key,
            description=f"Per landing day: warns when quarantined rows / rows read is above "
            f"{source.quarantine_warn_share:.0%} (not blocking; the limits are the source's "
            "quarantine_* fields).",
        ),
    ]


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def quarantine_rate_results(read: dict[date | None, int], loaded: dict[date | None, int],
                            quarantined: dict[date | None, int], source: SourceConfig, asset_key: AssetKey
                            ) -> list[AssetCheckResult]:
    """`None`: rows of files outside a YYYY-MM-DD landing folder (no landing day), judged as one more day."""
    days = sorted(set(read) | set(loaded) | set(quarantined), key=str)
    failing, warning = [], []
    for day in days:
        n, ok, bad = read.get(day, 0), loaded.get(day, 0), quarantined.get(day, 0)
        rate = _share(bad, n)
        line = f"{day}: {bad} of {n} rows quarantined ({rate:.1%})" + (", none loaded" if n and not ok else "")
        too_many = rate > source.quarantine_error_share and bad >= source.quarantine_error_min_rows
        if n and (not ok or too_many):
            failing.append(line)
        elif rate > source.quarantine_warn_share:
            warning.append(line)
    worst = max(days, key=lambda d: (_share(quarantined.get(d, 0), read.get(d, 0)), str(d)), default=None)
    total_read, total_bad = sum(read.values()), sum(quarantined.values())
    metadata: dict[str, Any] = {
        "rows_read": total_read,
        "rows_loaded": sum(loaded.values()),
        "rows_quarantined": total_bad,
        "quarantine_rate": MetadataValue.float(_share(total_bad, total_read)),
        "error_limit": MetadataValue.float(source.quarantine_error_share),
        "warn_limit": MetadataValue.float(source.quarantine_warn_share),
        "error_min_rows": source.quarantine_error_min_rows,
        "worst_day": str(worst) if worst else "-",
        "worst_day_rate": MetadataValue.float(_share(quarantined.get(worst, 0), read.get(worst, 0)) if worst else 0.0),
        "failing_days": "\n".join(failing) or "none",
        "warning_days": "\n".join(warning) or "none",
    }
    return [
        AssetCheckResult(asset_key=asset_key, check_name=CHECK, passed=not failing,
                         severity=AssetCheckSeverity.ERROR, metadata=metadata),
        AssetCheckResult(asset_key=asset_key, check_name=WARNING, passed=not warning,
                         severity=AssetCheckSeverity.WARN, metadata=metadata),
    ]
