"""Settings of the churn demo generator (pydantic v2, frozen)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from lakehouse.config.base import StrictModel


class ChurnSettings(StrictModel):
    """Sizes, behaviour and dirt of the generated subscribers. Defaults are tiny (tests, a laptop)."""

    seed: int = Field(default=7, description="Seed of every random stream; same seed, same bytes.")
    start_date: date = Field(default=date(2026, 1, 1), description="First day with usage (dataset.yaml start).")
    accounts: int = Field(default=120, ge=1, description="Accounts subscribed before start_date.")
    signups_per_day: float = Field(default=2.5, ge=0, description="Mean new subscriptions per day (Poisson).")
    daily_hazard: float = Field(
        default=0.008, gt=0, lt=1,
        description="Base probability that an account asks to cancel on a given day; basic plans and invoice "
        "payers are riskier, and each account has its own risk on top.",
    )
    withdrawn_share: float = Field(
        default=0.25, ge=0, le=1, description="Share of accounts that ask to cancel once and take it back."
    )
    plan_change_share: float = Field(
        default=0.15, ge=0, le=1, description="Share of accounts that change plan once within the first 8 weeks."
    )
    late_share: float = Field(default=0.04, ge=0, le=1, description="Usage rows exported with the next day's file.")
    duplicate_share: float = Field(
        default=0.02, ge=0, le=1, description="Usage rows exported again with the next day's file (same usage_id)."
    )
    missing_account_share: float = Field(
        default=0.01, ge=0, le=1, description="Usage rows without account_id (rejected into quarantine by bronze)."
    )
    spelling_share: float = Field(
        default=0.08, ge=0, le=1, description="Device values in another spelling (iPhone, Browser, Smart_TV)."
    )
    unknown_device_share: float = Field(
        default=0.005, ge=0, le=1, description="Device values silver cannot recognise (nulled with a quality note)."
    )
    missing_sessions_share: float = Field(
        default=0.05, ge=0, le=1, description="App rows without `sessions` (old app versions)."
    )
    max_export_delay_days: int = Field(
        default=2, ge=0, le=7, description="Cancellation requests reach the stream up to this many days late."
    )
