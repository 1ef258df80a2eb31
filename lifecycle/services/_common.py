"""What every lifecycle job shares: chunking, mail to an establishment's people (the JobRun record is jaim.jobs)."""

import datetime as dt
import itertools

from jaim.dates import today
from jaim.links import absolute_url_of
from jaim.mail import queue_mail


def reference_day(on: dt.date | None) -> dt.date:
    return on or today()


def batched(iterable, n: int):
    it = iter(iterable)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def establishment_url(establishment_id: int, anchor: str = "lifecycle") -> str:
    return absolute_url_of("members:establishment_detail", establishment_id) + f"#{anchor}"


def mail_each(emails, *, template: str, context: dict, kind: str, dedupe: str | None) -> int:
    """One outbox row per address (unique per dedupe key and address when a key is given). Returns rows made."""
    made = 0
    for email in dict.fromkeys(e for e in emails if e):
        msg = queue_mail(
            to=email,
            template=template,
            context=context,
            kind=kind,
            dedupe_key=f"{dedupe}:{email}"[:200] if dedupe else None,
        )
        made += msg is not None
    return made
