"""Gapless numbering: a Sequence row per prefix, advanced under a row lock in the caller's transaction."""

from django.db import IntegrityError, transaction

from jaim.models import Sequence


def next_value(prefix: str) -> int:
    """The next number for prefix. Must run inside a transaction; rolls back with it, so there is no gap."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must be called inside transaction.atomic")
    row = Sequence.objects.select_for_update().filter(prefix=prefix).first()
    if row is None:
        try:
            with transaction.atomic():
                Sequence.objects.create(prefix=prefix, last_value=0)
        except IntegrityError:
            pass  # created concurrently; lock it below
        row = Sequence.objects.select_for_update().get(prefix=prefix)
    row.last_value += 1
    row.save(update_fields=["last_value"])
    return row.last_value
