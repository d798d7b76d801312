"""Clean transactions with a real but imperfect fraud signal, generated one chunk at a time.

Fraud comes in episodes (one card, 1-5 transactions within an hour). Non-stealth episodes lean to
night hours, high amounts, foreign and high-risk merchants, new devices and card-not-present entry
modes, and hit very new customers more often; stealth episodes look like normal spending. Legit
spending has its own noise (travel abroad, new devices, several purchases within an hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from lakehouse_tools.demo import catalog as cat
from lakehouse_tools.demo.entities import Entities, entities_for
from lakehouse_tools.demo.settings import GeneratorSettings
from lakehouse_tools.demo.streams import FORMAT_CODE, Stream, amount_text, day_key, draw, iso_utc, rng

CHUNK_ROWS = 100_000  # rows generated and written at a time; fixed so output never depends on memory
_COUNTRY = np.array(cat.COUNTRIES, dtype=object)
_CURRENCY = np.array(cat.CURRENCIES, dtype=object)
_CATEGORY = np.array(cat.CATEGORIES, dtype=object)
_POS_MODES = np.array(cat.POS_ENTRY_MODES, dtype=object)
_WEB_MODES = np.array(cat.ONLINE_ENTRY_MODES, dtype=object)


@dataclass(frozen=True)
class DayContext:
    """What every chunk of one landing day shares."""

    settings: GeneratorSettings
    entities: Entities
    day: date
    key: int  # days since 1970
    legit_cdf: np.ndarray  # cumulative choice weights over customers (0 for not-yet/no-longer customers)
    victim_cdf: np.ndarray
    fraud_rate: dict[str, float]  # per format, so that the overall rate is settings.fraud_rate


@dataclass
class Chunk:
    columns: dict[str, list[str]]  # catalog.TRANSACTION_COLUMNS -> text values
    event_seconds: np.ndarray  # epoch seconds of event_time
    is_fraud: np.ndarray


def day_context(settings: GeneratorSettings, day: date) -> DayContext:
    ents = entities_for(settings)
    c = ents.customers
    key = day_key(day)
    eligible = (c.signup_day <= key) & (c.deleted_day > key)
    if not eligible.any():
        raise ValueError(f"no customer is active on {day}; raise `customers` or move `start_date`")
    very_new = (key - c.signup_day) < cat.NEW_CUSTOMER_DAYS
    victim_weight = c.activity**0.3 * np.where(very_new, cat.NEW_CUSTOMER_FRAUD_FACTOR, 1.0)
    share, mult = settings.csv_share, settings.online_fraud_multiplier
    pos_rate = settings.fraud_rate / (share + (1 - share) * mult)
    return DayContext(
        settings=settings,
        entities=ents,
        day=day,
        key=key,
        legit_cdf=np.cumsum(c.activity * eligible),
        victim_cdf=np.cumsum(victim_weight * eligible),
        fraud_rate={"csv": min(pos_rate, 0.5), "jsonl": min(pos_rate * mult, 0.5)},
    )


def _pick(cdf: np.ndarray, r: np.random.Generator, n: int) -> np.ndarray:
    return np.searchsorted(cdf, r.random(n) * cdf[-1], side="right").clip(0, len(cdf) - 1)


def _foreign(r: np.random.Generator, home: np.ndarray) -> np.ndarray:
    """A travel destination other than each row's home country."""
    dest = draw(r, cat.TRAVEL_WEIGHTS, len(home))
    clash = dest == home
    n = len(cat.COUNTRIES)
    dest[clash] = (dest[clash] + 1 + r.integers(0, n - 1, int(clash.sum()))) % n
    return dest


def generate_chunk(ctx: DayContext, fmt: str, file_no: int, chunk_no: int, n: int, seq_start: int) -> Chunk:
    """`n` clean transactions of one file chunk, sorted by event time, ids numbered from `seq_start`."""
    s, c, mer = ctx.settings, ctx.entities.customers, ctx.entities.merchants
    r = rng(s.seed, Stream.TRANSACTIONS, ctx.key, FORMAT_CODE[fmt], file_no, chunk_no)
    online = fmt == "jsonl"

    # Fraud episodes first: their sizes decide how many legit rows remain.
    mean_size = 1 + cat.EPISODE_EXTRA_MEAN
    n_ep = int(r.binomial(n, ctx.fraud_rate[fmt] / mean_size)) if ctx.fraud_rate[fmt] > 0 else 0
    sizes = 1 + r.poisson(cat.EPISODE_EXTRA_MEAN, n_ep)
    sizes = sizes[np.cumsum(sizes) <= n]
    n_ep, n_fraud = len(sizes), int(sizes.sum())
    n_legit = n - n_fraud

    # Legit rows: active customers by activity, daytime-heavy, mostly at home.
    cust = _pick(ctx.legit_cdf, r, n_legit)
    sec = draw(r, cat.LEGIT_HOURS, n_legit) * 3600 + r.integers(0, 3600, n_legit)
    home = c.home[cust]
    country = np.where(r.random(n_legit) >= cat.HOME_SHARE[fmt], _foreign(r, home), home)
    n_follow = int(r.binomial(n_legit, cat.LEGIT_BURST_SHARE)) if n_legit > 1 else 0
    if n_follow:  # legit bursts: a second purchase by the same card soon after another one
        follower = r.choice(n_legit, n_follow, replace=False)
        leader = r.integers(0, n_legit, n_follow)
        cust[follower], country[follower] = cust[leader], country[leader]
        sec[follower] = np.minimum(sec[leader] + r.integers(60, 3000, n_follow), 86_399)

    # Fraud episodes: victim, start time, place and device are shared by the episode's rows.
    victim = _pick(ctx.victim_cdf, r, n_ep)
    stealth = r.random(n_ep) < s.stealth_fraud_share
    ep_start = np.where(stealth, draw(r, cat.LEGIT_HOURS, n_ep), draw(r, cat.FRAUD_HOURS, n_ep)) * 3600
    ep_start += r.integers(0, 3600, n_ep)
    ep_abroad = np.where(stealth, r.random(n_ep) >= cat.HOME_SHARE[fmt], r.random(n_ep) < cat.FRAUD_FOREIGN_SHARE)
    ep_country = np.where(ep_abroad, _foreign(r, c.home[victim]), c.home[victim])
    ep_new_dev = np.where(stealth, r.random(n_ep) < cat.LEGIT_NEW_DEVICE, r.random(n_ep) < cat.FRAUD_NEW_DEVICE)
    ep_dev_id = r.integers(0, 2**48, n_ep)
    ep = np.repeat(np.arange(n_ep), sizes)
    offset = r.integers(0, 3600, n_fraud)
    offset[np.cumsum(sizes) - sizes] = 0  # the episode starts with its first transaction
    f_sec = ep_start[ep] + offset
    f_sec = np.where(f_sec > 86_399, f_sec - 3600, f_sec)  # keep the burst inside the landing day

    cust = np.concatenate([cust, victim[ep]])
    sec = np.concatenate([sec, f_sec])
    country = np.concatenate([country, ep_country[ep]])
    is_fraud = np.concatenate([np.zeros(n_legit, bool), np.ones(n_fraud, bool)])
    loud = np.concatenate([np.zeros(n_legit, bool), ~stealth[ep]])  # fraud that behaves like fraud

    merchant = np.empty(n, dtype=np.int64)
    for k in np.unique(country).tolist():
        group = mer.groups[(online, k)]
        for fraud_weights in (False, True):
            mask = (country == k) & (loud == fraud_weights)
            if mask.any():
                merchant[mask] = group.pick(r, int(mask.sum()), fraud_weights)
    category = mer.category[merchant]

    base = cat.CATEGORY_MEDIAN_AMOUNT[category] * c.spend_scale[cust] * r.lognormal(0.0, 0.55, n)
    base = np.where(loud, base * np.exp(r.normal(1.1, 0.8, n)), base)
    cents = np.round(np.clip(base, 0.5, cat.MAX_AMOUNT) * 100).astype(np.int64)
    atm = (category == cat.CASH) & ~online
    cents = np.where(atm, np.maximum(np.round(cents / 1000) * 1000, 2000), cents).astype(np.int64)

    if online:
        modes = np.where(
            loud,
            _WEB_MODES[draw(r, cat.ONLINE_ENTRY_FRAUD, n)],
            _WEB_MODES[draw(r, cat.ONLINE_ENTRY_LEGIT, n)],
        )
        known = c.devices[cust, r.integers(0, 2, n)]
        new_dev = np.concatenate([r.random(n_legit) < cat.LEGIT_NEW_DEVICE, ep_new_dev[ep]])
        fresh_ids = np.concatenate([r.integers(0, 2**48, n_legit), ep_dev_id[ep]])
        device = np.where(new_dev, np.array([f"{d:012x}" for d in fresh_ids.tolist()], dtype=object), known)
        channel = np.full(n, "online", dtype=object)
    else:
        modes = np.where(
            loud, _POS_MODES[draw(r, cat.POS_ENTRY_FRAUD, n)], _POS_MODES[draw(r, cat.POS_ENTRY_LEGIT, n)]
        )
        modes = np.where(atm, "chip", modes)
        device = np.full(n, "", dtype=object)
        channel = np.where(atm, "atm", "pos").astype(object)

    order = np.argsort(sec, kind="stable")
    event = ctx.key * 86_400 + sec[order]
    prefix = f"tx-{ctx.day:%Y%m%d}-{'p' if fmt == 'csv' else 'o'}{file_no:02d}-"
    columns = {
        "transaction_id": [f"{prefix}{i:08d}" for i in range(seq_start, seq_start + n)],
        "customer_id": c.ids[cust[order]].tolist(),
        "merchant_id": mer.ids[merchant[order]].tolist(),
        "event_time": iso_utc(event),
        "amount": amount_text(cents[order]),
        "currency": _CURRENCY[mer.country[merchant[order]]].tolist(),
        "channel": channel[order].tolist(),
        "category": _CATEGORY[category[order]].tolist(),
        "country": _COUNTRY[mer.country[merchant[order]]].tolist(),
        "device_id": device[order].tolist(),
        "entry_mode": modes[order].tolist(),
    }
    return Chunk(columns=columns, event_seconds=event, is_fraud=is_fraud[order])
