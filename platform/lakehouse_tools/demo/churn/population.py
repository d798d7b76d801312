"""The subscribers and their fates: who exists, their plan, how they use the service, whether and when
they ask to cancel (and whether they go through with it), and plan changes.

Every account draws from its own random stream keyed by its number, and the signups of a day from a
stream keyed by the day, so an account's whole life is fixed by the seed: generating more days later
never changes what earlier days held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum

import numpy as np

from lakehouse_tools.demo.churn.settings import ChurnSettings
from lakehouse_tools.demo.streams import day_key

PLANS = ("basic", "standard", "premium")
# Whole euros: demo.sources.sync_table compares numbers as integers, and a cent would make it rewrite rows.
FEES = (8.0, 13.0, 18.0)
PAYMENTS = ("card", "paypal", "invoice")
COUNTRIES = ("DE", "FR", "NL", "ES", "IT")
DEVICES = ("web", "tv", "ios", "android")
REASONS = ("price", "content", "technical", "other")
NEVER = np.iinfo(np.int64).max  # "no such event" for day and second arrays
_PLAN_HAZARD = np.array([2.5, 1.0, 0.6])  # basic subscribers leave most
_PAYMENT_HAZARD = np.array([1.0, 1.2, 2.0])  # invoice payers miss renewals


class Stream(IntEnum):
    """Random streams of this generator (kept apart from the card_fraud generator's numbers)."""

    SIGNUPS = 100
    ACCOUNT = 101
    USAGE = 102
    DIRT = 103


def rng(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, int(stream), *keys])


@dataclass(frozen=True)
class Population:
    """Every account signed up by the last generated day, in signup order (arrays indexed alike)."""

    ids: list[str]
    signup_at: np.ndarray  # epoch seconds
    plan: np.ndarray  # index into PLANS before any change
    payment: np.ndarray  # index into PAYMENTS
    country: np.ndarray  # index into COUNTRIES
    device: np.ndarray  # preferred device, index into DEVICES
    base_minutes: np.ndarray  # typical minutes per usage day
    usage_prob: np.ndarray  # probability of using the service on a day
    cancel_at: np.ndarray  # epoch seconds of the cancelled request, NEVER when none
    withdrawn_at: np.ndarray  # epoch seconds of a request taken back, NEVER when none
    reason: np.ndarray  # index into REASONS of the cancelled request
    delay: np.ndarray  # days until the cancellation stream carries the account's requests
    change_at: np.ndarray  # epoch seconds of the plan change, NEVER when none
    new_plan: np.ndarray  # index into PLANS after the change

    def existing_on(self, day: date) -> int:
        """How many accounts (a prefix, in signup order) had signed up by the end of `day`."""
        return int(np.searchsorted(self.signup_at, (day_key(day) + 1) * 86_400, side="left"))

    def plan_on(self, second: int) -> np.ndarray:
        return np.where(self.change_at <= second, self.new_plan, self.plan)


def _account(settings: ChurnSettings, number: int, signup_at: int) -> tuple:
    """One account's attributes and fate, from its own stream."""
    r = rng(settings.seed, Stream.ACCOUNT, number)
    plan = int(r.choice(3, p=[0.45, 0.4, 0.15]))
    payment = int(r.choice(3, p=[0.6, 0.3, 0.1]))
    hazard = settings.daily_hazard * _PLAN_HAZARD[plan] * _PAYMENT_HAZARD[payment] * r.lognormal(0.0, 0.6)
    start = max(day_key(settings.start_date), signup_at // 86_400 + 1)  # first day the account can leave
    cancel_day = start + int(r.geometric(min(hazard, 0.9)))
    withdrawn_day = start + int(r.integers(0, 56)) if r.random() < settings.withdrawn_share else NEVER
    change_day = start + int(r.integers(1, 56)) if r.random() < settings.plan_change_share else NEVER
    seconds = r.integers(8 * 3600, 22 * 3600, 3)
    return (
        plan, payment, int(r.integers(len(COUNTRIES))), int(r.choice(4, p=[0.3, 0.25, 0.25, 0.2])),
        float(r.lognormal(np.log(70.0), 0.4)), float(r.uniform(0.6, 0.95)),
        cancel_day * 86_400 + int(seconds[0]),
        withdrawn_day * 86_400 + int(seconds[1]) if withdrawn_day < cancel_day else NEVER,
        int(r.integers(len(REASONS))), int(r.integers(0, settings.max_export_delay_days + 1)),
        change_day * 86_400 + int(seconds[2]) if change_day < cancel_day else NEVER,
        (plan + int(r.integers(1, 3))) % 3,
    )


def build_population(settings: ChurnSettings, last_day: date) -> Population:
    """Accounts existing before start_date, then each day's signups up to `last_day`."""
    start = day_key(settings.start_date)
    numbers, ids, signups = [], [], []
    early = rng(settings.seed, Stream.SIGNUPS, 0).integers((start - 700) * 86_400, (start - 30) * 86_400,
                                                        settings.accounts)  # subscribed 1 month to 2 years before
    for i, at in enumerate(np.sort(early).tolist()):
        numbers.append(i)
        ids.append(f"a{i:05d}")
        signups.append(at)
    for key in range(start, day_key(last_day) + 1):
        r = rng(settings.seed, Stream.SIGNUPS, key)
        for k, second in enumerate(np.sort(r.integers(0, 86_400, r.poisson(settings.signups_per_day))).tolist()):
            numbers.append(key * 1000 + k)
            ids.append(f"a{key}-{k}")
            signups.append(key * 86_400 + second)
    rows = [_account(settings, n, s) for n, s in zip(numbers, signups)]
    columns = [np.array(c, dtype=np.float64 if j in (4, 5) else np.int64) for j, c in enumerate(zip(*rows))]
    return Population(ids, np.array(signups, dtype=np.int64), *columns)
