"""Customer changes per day (inserts, updates, soft deletes, late updates) and the resulting state.

A day's changes are drawn from that day's own stream and never depend on the current table state,
so the state after day D is a pure replay of start_date..D: the source table can be rewritten
idempotently, whichever days were landed before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lakehouse_tools.demo import catalog as cat
from lakehouse_tools.demo.entities import Customers
from lakehouse_tools.demo.settings import GeneratorSettings
from lakehouse_tools.demo.streams import Stream, day_key, draw, rng


@dataclass(frozen=True)
class DayChanges:
    inserted: np.ndarray  # customer indices signing up today
    insert_time: np.ndarray  # epoch seconds
    updated: np.ndarray  # in-order updates, in updated_at order
    update_time: np.ndarray
    new_segment: np.ndarray  # -1 = unchanged
    new_limit: np.ndarray  # -1 = unchanged
    deleted: np.ndarray
    delete_time: np.ndarray
    late: np.ndarray  # out-of-order updates: written today, updated_at 1-3 days ago
    late_time: np.ndarray
    late_limit: np.ndarray


@dataclass
class CustomerState:
    present: np.ndarray
    segment: np.ndarray
    credit_limit: np.ndarray
    updated_at: np.ndarray  # epoch seconds
    is_deleted: np.ndarray


def _new_limit(r: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    limit = cat.SEGMENT_CREDIT_LIMIT[segment] * r.lognormal(0.0, 0.3, len(segment))
    return (np.round(limit / 100) * 100).astype(np.int64).clip(500, None)


def day_changes(settings: GeneratorSettings, c: Customers, key: int) -> DayChanges:
    start = day_key(settings.start_date)
    r = rng(settings.seed, Stream.CUSTOMER_CHANGES, key, 0)
    inserted = np.flatnonzero(c.signup_day == key)
    active = np.flatnonzero((c.signup_day < key) & (c.deleted_day > key))
    n_upd = 0
    if len(active) and settings.customer_update_rate > 0:
        n_upd = max(1, int(r.binomial(len(active), settings.customer_update_rate)))
    updated = r.choice(active, n_upd, replace=False) if n_upd else np.zeros(0, dtype=np.int64)
    what = r.random(n_upd)  # < 0.5: credit limit only, < 0.85: segment only, else both
    segment = draw(r, cat.SEGMENT_WEIGHTS, n_upd)
    new_segment = np.where(what >= 0.5, segment, -1)
    limit = _new_limit(r, np.where(what >= 0.5, segment, c.segment[updated]))
    new_limit = np.where((what < 0.5) | (what >= 0.85), limit, -1)
    deleted = np.flatnonzero(c.deleted_day == key)

    # Out-of-order updates: from day start+2 on, so that an update newer than them was written before.
    lr = rng(settings.seed, Stream.CUSTOMER_CHANGES, key, 1)
    late = np.zeros(0, dtype=np.int64)
    late_time = np.zeros(0, dtype=np.int64)
    rate = settings.dirty.out_of_order_customer_update
    old_enough = np.flatnonzero((c.signup_day < key - 3) & (c.deleted_day > key))
    if key >= start + 2 and n_upd and rate > 0 and len(old_enough):
        n_late = min(int(lr.binomial(n_upd, min(rate, 1.0))), len(old_enough))
        late = lr.choice(old_enough, n_late, replace=False)
        late_time = lr.integers(max(start, key - 3) * 86_400, (key - 1) * 86_400, n_late)
    return DayChanges(
        inserted=inserted,
        insert_time=key * 86_400 + c.signup_second[inserted],
        updated=updated,
        update_time=np.sort(key * 86_400 + r.integers(0, 86_400, n_upd)),
        new_segment=new_segment,
        new_limit=new_limit,
        deleted=deleted,
        delete_time=key * 86_400 + r.integers(0, 86_400, len(deleted)),
        late=late,
        late_time=late_time,
        late_limit=_new_limit(lr, c.segment[late]),
    )


def state_as_of(settings: GeneratorSettings, c: Customers, last_key: int) -> CustomerState:
    """Replay every day from start_date to `last_key`; later writes win, as in the source database."""
    start = day_key(settings.start_date)
    state = CustomerState(
        present=c.signup_day < start,
        segment=c.segment.copy(),
        credit_limit=c.credit_limit.copy(),
        updated_at=c.initial_updated.copy(),
        is_deleted=np.zeros(len(c.ids), dtype=bool),
    )
    for key in range(start, last_key + 1):
        ch = day_changes(settings, c, key)
        state.present[ch.inserted] = True
        state.updated_at[ch.inserted] = ch.insert_time
        seg, lim = ch.new_segment >= 0, ch.new_limit >= 0
        state.segment[ch.updated[seg]] = ch.new_segment[seg]
        state.credit_limit[ch.updated[lim]] = ch.new_limit[lim]
        state.updated_at[ch.updated] = ch.update_time
        state.is_deleted[ch.deleted] = True
        state.updated_at[ch.deleted] = ch.delete_time
        state.credit_limit[ch.late] = ch.late_limit
        state.updated_at[ch.late] = ch.late_time
    return state
