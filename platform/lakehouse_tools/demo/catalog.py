"""Fixed vocabulary of the demo world: countries, categories, segments, time profiles, columns.

Kept as module constants (not settings) because changing them changes the meaning of the data,
not just its size or noise level.
"""

from __future__ import annotations

import numpy as np

# Output columns of both transaction formats, in file order.
TRANSACTION_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "customer_id",
    "merchant_id",
    "event_time",
    "amount",
    "currency",
    "channel",
    "category",
    "country",
    "device_id",
    "entry_mode",
)
# Required columns a "missing column" file may lack; kept apart from the columns that row-level
# dirt touches so each injected problem stays countable on its own.
DROPPABLE_COLUMNS: tuple[str, ...] = ("currency", "merchant_id")
EXTRA_COLUMNS: tuple[str, ...] = ("promo_code", "terminal_id", "loyalty_tier")

# Customers live in the first nine countries; the last four only host merchants (travel, web shops).
COUNTRIES: tuple[str, ...] = ("DE", "FR", "NL", "ES", "IT", "BE", "AT", "PL", "GB", "US", "TR", "TH", "BR")
CURRENCIES: tuple[str, ...] = ("EUR",) * 7 + ("PLN", "GBP", "USD", "TRY", "THB", "BRL")
HOME_WEIGHTS = np.array([0.30, 0.20, 0.12, 0.10, 0.10, 0.06, 0.05, 0.04, 0.03, 0, 0, 0, 0])
TRAVEL_WEIGHTS = np.array([0.08, 0.12, 0.05, 0.15, 0.12, 0.03, 0.05, 0.03, 0.10, 0.12, 0.08, 0.05, 0.02])

# Merchant categories. `pos_share`: probability a merchant of the category sells at a till
# (otherwise it is a web shop); `risk`: probabilities of the low/medium/high risk tiers.
CATEGORIES: tuple[str, ...] = (
    "grocery",
    "restaurants",
    "fuel",
    "pharmacy",
    "fashion",
    "electronics",
    "travel",
    "gaming",
    "entertainment",
    "utilities",
    "cash",
)
CATEGORY_WEIGHTS = np.array([0.22, 0.15, 0.08, 0.05, 0.10, 0.07, 0.05, 0.05, 0.07, 0.06, 0.05])
CATEGORY_MEDIAN_AMOUNT = np.array([38.0, 32, 60, 22, 70, 190, 340, 30, 35, 80, 120])
CATEGORY_POS_SHARE = np.array([0.95, 0.9, 1.0, 0.85, 0.55, 0.45, 0.25, 0.1, 0.4, 0.05, 1.0])
CATEGORY_RISK = np.array(
    [
        [0.85, 0.13, 0.02],
        [0.80, 0.17, 0.03],
        [0.85, 0.13, 0.02],
        [0.85, 0.13, 0.02],
        [0.60, 0.30, 0.10],
        [0.35, 0.40, 0.25],
        [0.35, 0.40, 0.25],
        [0.25, 0.40, 0.35],
        [0.60, 0.30, 0.10],
        [0.90, 0.09, 0.01],
        [0.80, 0.18, 0.02],
    ]
)
CASH = CATEGORIES.index("cash")
HIGH_RISK_CATEGORIES: tuple[str, ...] = ("electronics", "gaming", "travel")
# How much likelier fraudsters pick a merchant, by category and by risk tier.
FRAUD_CATEGORY_FACTOR = np.array([1.0 if c not in HIGH_RISK_CATEGORIES else 4.0 for c in CATEGORIES])
FRAUD_CATEGORY_FACTOR[CASH] = 2.0
FRAUD_TIER_FACTOR = np.array([1.0, 2.5, 6.0])
RISK_TIERS: tuple[str, ...] = ("low", "medium", "high")
CATEGORY_NAME_SUFFIX: tuple[str, ...] = (
    "Market",
    "Kitchen",
    "Fuel",
    "Pharmacy",
    "Boutique",
    "Electronics",
    "Travel",
    "Games",
    "Tickets",
    "Energy",
    "ATM",
)
NAME_WORDS_A: tuple[str, ...] = (
    "Blue", "Golden", "Green", "North", "Royal", "Silver", "Urban", "Happy", "Prime", "Star"
)  # fmt: skip
NAME_WORDS_B: tuple[str, ...] = (
    "Harbor", "Oak", "River", "Peak", "Bridge", "Garden", "Lane", "Square", "Hill", "Point"
)  # fmt: skip

SEGMENTS: tuple[str, ...] = ("mass", "affluent", "student", "business")
SEGMENT_WEIGHTS = np.array([0.65, 0.15, 0.12, 0.08])
SEGMENT_CREDIT_LIMIT = np.array([3000.0, 12000, 1000, 20000])
SEGMENT_SPEND_FACTOR = np.array([1.0, 1.8, 0.6, 2.2])

# Relative likelihood of each hour of the day (UTC); fraud is much flatter, with a night bump.
LEGIT_HOURS = np.array(
    [0.6, 0.4, 0.3, 0.25, 0.3, 0.6, 1.5, 3, 4.5, 5.5, 6, 6.5, 7, 6.5, 6, 6, 6.5, 7, 7, 6.5, 5.5, 4, 2.5, 1.2]
)
FRAUD_HOURS = np.array([4, 4.5, 4.5, 4, 3.5, 3, 2.5, 2.5, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3.5, 4.0])

POS_ENTRY_MODES: tuple[str, ...] = ("chip", "contactless", "magstripe", "manual")
POS_ENTRY_LEGIT = np.array([0.62, 0.34, 0.03, 0.01])
POS_ENTRY_FRAUD = np.array([0.25, 0.15, 0.40, 0.20])
ONLINE_ENTRY_MODES: tuple[str, ...] = ("ecom_3ds", "ecom")
ONLINE_ENTRY_LEGIT = np.array([0.75, 0.25])
ONLINE_ENTRY_FRAUD = np.array([0.30, 0.70])

# Behaviour knobs that shape the fraud signal (not settings: they define the demo's story).
HOME_SHARE = {"csv": 0.95, "jsonl": 0.85}  # legit transactions at home-country merchants
FRAUD_FOREIGN_SHARE = 0.45  # non-stealth fraud episodes abroad
LEGIT_NEW_DEVICE = 0.05  # legit online transactions from a device never seen before
FRAUD_NEW_DEVICE = 0.8  # non-stealth online fraud episodes from a new device
LEGIT_BURST_SHARE = 0.04  # legit rows that follow another row of the same card within the hour
EPISODE_EXTRA_MEAN = 1.5  # extra transactions per fraud episode (Poisson), all within an hour
NEW_CUSTOMER_DAYS = 30  # "very new" customers
NEW_CUSTOMER_FRAUD_FACTOR = 6.0
MAX_AMOUNT = 15_000.0  # clean amounts stay below the contract's soft maximum
