"""Retrying a Delta write that lost a commit race to a concurrent writer.

Delta's optimistic concurrency lets two writers race; the loser's commit fails with one of the
concurrent-modification exceptions and writes nothing visible. Two processes creating the same new table
(both attempt version 0: `ProtocolChangedException`), or an OPTIMIZE beside a pipeline write, are expected
in production, so the write is run again from the start — re-reading whether the table exists and its
schema — a bounded number of times with growing, jittered pauses, then fails naming the table and the
conflict. Every write this module wraps is idempotent when repeated after a failed commit: a window
overwrite replaces the same window, an append whose commit failed appended nothing, a MERGE is evaluated
again against the new snapshot. Anything else (schema, contract, Spark errors) is raised at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from delta.exceptions import (
    ConcurrentAppendException,
    ConcurrentDeleteDeleteException,
    ConcurrentDeleteReadException,
    ConcurrentTransactionException,
    ConcurrentWriteException,
    DeltaConcurrentModificationException,
    MetadataChangedException,
    ProtocolChangedException,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

CONFLICTS: tuple[type[BaseException], ...] = (
    ConcurrentAppendException, ConcurrentDeleteDeleteException, ConcurrentDeleteReadException,
    ConcurrentTransactionException, ConcurrentWriteException, DeltaConcurrentModificationException,
    MetadataChangedException, ProtocolChangedException,
)
ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 0.5


class DeltaWriteConflictError(RuntimeError):
    """Every attempt lost its commit to a concurrent writer."""


def with_conflict_retries(write: Callable[[], T], table: str, attempts: int = ATTEMPTS,
                          first_pause: float = FIRST_PAUSE_SECONDS, sleep: Callable[[float], None] = time.sleep) -> T:
    """`write()`, run again after a lost commit race, at most `attempts` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except CONFLICTS as exc:
            name = type(exc).__name__
            if attempt == attempts:
                raise DeltaWriteConflictError(
                    f"Delta table {table}: the write lost its commit to a concurrent writer {attempts} times "
                    f"(last: {name}); nothing of it was committed. Re-run when the other writer has finished."
                ) from exc
            # Jitter so that two losers of the same race do not meet again at the same moment.
            pause = first_pause * 2 ** (attempt - 1) * (1 + random.random())
            log.warning("Delta table %s: a concurrent writer committed first (%s); attempt %d of %d in %.1f s",
                        table, name, attempt + 1, attempts, pause)
            sleep(pause)
    raise AssertionError("unreachable")
