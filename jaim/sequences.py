"""Gapless numbering: a Sequence row per prefix, advanced under a row lock in the caller's transaction.

One number at a time (`next_value`) or a block of consecutive numbers for a batch (`lock` the row, then
`reserve` as many as the batch turned out to need): either way the numbers roll back with the transaction, so
there is never a gap, and every issuer of a prefix queues on the same row lock."""

from django.db import IntegrityError, transaction

from jaim.models import Sequence


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name}() must be called inside transaction.atomic")


def lock(prefix: str) -> Sequence:
    """The counter row of prefix, locked until the transaction ends (created at 0 if it does not exist yet).
    Lock it before deciding what to number, so that decision cannot race with another issuer."""
    _require_transaction("lock")
    row = Sequence.objects.select_for_update().filter(prefix=prefix).first()
    if row is None:
        try:
            with transaction.atomic():
                Sequence.objects.create(prefix=prefix, last_value=0)
        except IntegrityError:
            pass  # created concurrently; lock it below
        row = Sequence.objects.select_for_update().get(prefix=prefix)
    return row


def reserve(row: Sequence, count: int) -> int:
    """Take `count` consecutive numbers from a row locked by lock(); returns the first (one UPDATE)."""
    _require_transaction("reserve")
    if count < 1:
        raise ValueError("reserve() needs a count of at least 1")
    first = row.last_value + 1
    row.last_value += count
    row.save(update_fields=["last_value"])
    return first


def next_value(prefix: str) -> int:
    """The next number for prefix. Must run inside a transaction; rolls back with it, so there is no gap."""
    _require_transaction("next_value")
    return reserve(lock(prefix), 1)
