"""Customers and merchants: the visible source columns plus hidden traits that drive behaviour.

Built once per entity-defining settings (seed, sizes, start date) and cached; every day's
transactions and customer changes are drawn against the same population.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from lakehouse_tools.demo import catalog as cat
from lakehouse_tools.demo.settings import GeneratorSettings
from lakehouse_tools.demo.streams import Stream, day_key, draw, rng

NEVER = np.iinfo(np.int64).max // 2  # "deleted on" for customers who are never deleted


@dataclass(frozen=True)
class Customers:
    ids: np.ndarray  # object array of str, e.g. C0000001 (ordered by sign-up)
    signup_day: np.ndarray  # day key (days since 1970)
    signup_second: np.ndarray  # second of the sign-up day
    initial_updated: np.ndarray  # epoch seconds of the row as first written
    segment: np.ndarray  # index into catalog.SEGMENTS
    home: np.ndarray  # index into catalog.COUNTRIES
    birth_year: np.ndarray
    credit_limit: np.ndarray
    spend_scale: np.ndarray  # hidden: the customer's usual amount relative to the category median
    activity: np.ndarray  # hidden: how often the card is used
    devices: np.ndarray  # hidden: (n, 2) known device ids (online)
    deleted_day: np.ndarray  # hidden: day key of the soft delete, NEVER if none


@dataclass(frozen=True)
class MerchantGroup:
    """Merchants of one (channel, country) with cumulative choice weights for legit and fraud use."""

    members: np.ndarray
    legit_cdf: np.ndarray
    fraud_cdf: np.ndarray

    def pick(self, rng_: np.random.Generator, n: int, fraud: bool) -> np.ndarray:
        cdf = self.fraud_cdf if fraud else self.legit_cdf
        pos = np.searchsorted(cdf, rng_.random(n) * cdf[-1], side="right").clip(0, len(cdf) - 1)
        return self.members[pos]


@dataclass(frozen=True)
class Merchants:
    ids: np.ndarray
    names: list[str]
    category: np.ndarray
    country: np.ndarray
    risk: np.ndarray
    online: np.ndarray  # hidden: web shop (JSON channel) rather than till/ATM (CSV channel)
    updated_at: np.ndarray  # epoch seconds
    groups: dict[tuple[bool, int], MerchantGroup]


@dataclass(frozen=True)
class Entities:
    customers: Customers
    merchants: Merchants


def entities_for(settings: GeneratorSettings) -> Entities:
    return _build(
        settings.seed,
        settings.start_date,
        settings.customers,
        settings.merchants,
        settings.new_customer_share,
        settings.customer_delete_rate,
    )


@lru_cache(maxsize=4)
def _build(seed: int, start: date, n_cust: int, n_merch: int, new_share: float, delete_rate: float) -> Entities:
    r = rng(seed, Stream.ENTITIES)
    customers = _customers(r, day_key(start), n_cust, new_share, delete_rate)
    return Entities(customers, _merchants(r, day_key(start), n_merch))


def _customers(r: np.random.Generator, start: int, n: int, new_share: float, delete_rate: float) -> Customers:
    is_new = r.random(n) < new_share
    # Established customers joined up to six years ago; new ones around the generated period.
    signup = np.where(is_new, r.integers(start - 30, start + 90, n), r.integers(start - 6 * 365, start - 30, n))
    order = np.argsort(signup, kind="stable")
    signup = signup[order]
    signup_second = r.integers(0, 86_400, n)
    # An established row was last touched some time between sign-up and the start date.
    last_touch = signup + (r.random(n) * np.maximum(start - signup - 1, 0)).astype(np.int64)
    initial_updated = np.where(
        signup < start, last_touch * 86_400 + r.integers(0, 86_400, n), signup * 86_400 + signup_second
    )
    segment = draw(r, cat.SEGMENT_WEIGHTS, n)
    student = segment == cat.SEGMENTS.index("student")
    birth_year = np.where(student, r.integers(1998, 2008, n), r.integers(1945, 2003, n))
    limit = cat.SEGMENT_CREDIT_LIMIT[segment] * r.lognormal(0.0, 0.3, n)
    if delete_rate > 0:
        deleted = np.maximum(start + r.geometric(delete_rate, n) - 1, signup + 1)
    else:
        deleted = np.full(n, NEVER, dtype=np.int64)
    dev = r.integers(0, 2**48, (n, 2))
    return Customers(
        ids=np.array([f"C{i:07d}" for i in range(1, n + 1)], dtype=object),
        signup_day=signup.astype(np.int64),
        signup_second=signup_second,
        initial_updated=initial_updated.astype(np.int64),
        segment=segment,
        home=draw(r, cat.HOME_WEIGHTS, n),
        birth_year=birth_year,
        credit_limit=(np.round(limit / 100) * 100).astype(np.int64).clip(500, None),
        spend_scale=cat.SEGMENT_SPEND_FACTOR[segment] * r.lognormal(0.0, 0.4, n),
        activity=r.lognormal(0.0, 0.8, n),
        devices=np.array([f"{d:012x}" for d in dev.ravel().tolist()], dtype=object).reshape(n, 2),
        deleted_day=deleted.astype(np.int64),
    )


def _merchants(r: np.random.Generator, start: int, n: int) -> Merchants:
    n_countries = len(cat.COUNTRIES)
    pos_ok = cat.CATEGORY_WEIGHTS * (cat.CATEGORY_POS_SHARE > 0)
    web_ok = cat.CATEGORY_WEIGHTS * (cat.CATEGORY_POS_SHARE < 1)
    # The first 2 x countries merchants guarantee a till and a web shop in every country.
    seeded = 2 * n_countries
    country = np.concatenate(
        [np.repeat(np.arange(n_countries), 2), draw(r, 0.75 * cat.HOME_WEIGHTS + 0.25 * cat.TRAVEL_WEIGHTS, n - seeded)]
    )
    online = np.concatenate([np.tile([False, True], n_countries), np.zeros(n - seeded, dtype=bool)])
    category = np.empty(n, dtype=np.int64)
    category[:seeded:2] = draw(r, pos_ok, n_countries)
    category[1:seeded:2] = draw(r, web_ok, n_countries)
    category[seeded:] = draw(r, cat.CATEGORY_WEIGHTS, n - seeded)
    online[seeded:] = r.random(n - seeded) >= cat.CATEGORY_POS_SHARE[category[seeded:]]
    risk_cdf = np.cumsum(cat.CATEGORY_RISK[category], axis=1)
    risk = (r.random(n)[:, None] > risk_cdf[:, :-1]).sum(axis=1)
    popularity = r.lognormal(0.0, 1.0, n)
    fraud_pull = popularity * cat.FRAUD_CATEGORY_FACTOR[category] * cat.FRAUD_TIER_FACTOR[risk]
    words_a, words_b = r.integers(0, len(cat.NAME_WORDS_A), n), r.integers(0, len(cat.NAME_WORDS_B), n)
    names = [
        f"{cat.NAME_WORDS_A[a]} {cat.NAME_WORDS_B[b]} {cat.CATEGORY_NAME_SUFFIX[c]}"
        for a, b, c in zip(words_a.tolist(), words_b.tolist(), category.tolist())
    ]
    groups = {}
    for web in (False, True):
        for c in range(n_countries):
            members = np.flatnonzero((online == web) & (country == c))
            groups[(web, c)] = MerchantGroup(members, np.cumsum(popularity[members]), np.cumsum(fraud_pull[members]))
    return Merchants(
        ids=np.array([f"M{i:05d}" for i in range(1, n + 1)], dtype=object),
        names=names,
        category=category,
        country=country,
        risk=risk,
        online=online,
        updated_at=(start - 1 - r.integers(0, 365, n)) * 86_400 + r.integers(0, 86_400, n),
        groups=groups,
    )
