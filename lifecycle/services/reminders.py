"""Reminders (design §5): for each kind of matter, the open subjects and the date they turn on (the anchor); the
rules (data) say when to write. A subject gets the most recent reminder that fell due and was not sent yet — so
a missed week is caught up with one message, never a burst — and at most one per rule, subject and day."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef

from applications.models import Application, Document
from fees.models import Invoice
from jaim.jobs import job_run
from jaim.links import absolute_url
from lifecycle import selectors
from lifecycle.models import Reminder, ReminderRule, RenewalSeason, WageReport, WageReportPeriod
from lifecycle.services._common import batched, establishment_url, mail_each, reference_day
from members import services as member_services
from members.models import IdentityChange, Membership, MembershipTerm

REMINDERS_JOB = "lifecycle.reminders"
K = ReminderRule.Kind
# Keyed by ReminderRule.Kind, looked up with the rule's kind as stored (a str).
TEMPLATES: dict[str, str] = {
    K.RENEWAL_ANSWER: "lifecycle_reminder_renewal_answer",
    K.RENEWAL_UNPAID: "lifecycle_reminder_renewal_unpaid",
    K.RETURNED_APPLICATION: "lifecycle_reminder_returned_application",
    K.IDENTITY_FOLLOW_UP: "lifecycle_reminder_identity_follow_up",
    K.DOCUMENT_EXPIRY: "lifecycle_reminder_document_expiry",
    K.WAGE_REPORT_OPENING: "lifecycle_wage_opening",
    K.WAGE_REPORT_DUE: "lifecycle_reminder_wage_report",
    K.WAGE_ADDITIONAL_DUE: "lifecycle_reminder_wage_additional",
}
LOOKBACK = dt.timedelta(days=366)  # rules reach at most a year from their anchor


def _filtered_day(day: dt.date | None) -> dt.date:
    """A day the matter's queryset filters on (`…__gte`, `…__isnull=False`), so never None here."""
    assert day is not None
    return day


@dataclass
class Due:
    """One open matter: what it is about, the day it turns on, whom to tell (None: the establishment's people)."""

    subject: models.Model
    anchor: dt.date
    establishment_id: int | None
    since: dt.date | None = (
        None  # reminders that fell due before this day are not sent (matter did not exist)
    )
    emails: tuple[str, ...] | None = None
    context: dict = field(default_factory=dict)


def _local_day(moment) -> dt.date | None:
    from django.utils import timezone

    return timezone.localtime(moment).date() if moment else None


def _chunks(qs, size: int):
    ids = list(qs.order_by("pk").values_list("pk", flat=True).distinct())
    yield from batched(ids, size)


# --- the open matters of each kind ---------------------------------------------------------------------------


def _renewal_answer(on: dt.date, size: int) -> Iterator[list[Due]]:
    """Renewal confirmations not answered yet while the deadline has not passed."""
    for season in RenewalSeason.objects.filter(notice_on__lte=on, answer_deadline__gte=on):
        qs = MembershipTerm.objects.filter(
            fiscal_year=season.previous_year,
            renewal_answer=MembershipTerm.Answer.PENDING,
            membership__status=Membership.Status.ACTIVE,
            membership__renewal_notices__fiscal_year=season.fiscal_year,
        )
        for ids in _chunks(qs, size):
            yield [
                Due(
                    t,
                    season.answer_deadline,
                    t.membership.establishment_id,
                    since=season.notice_on,
                    context={
                        "season": season,
                        "membership": t.membership,
                        "establishment": t.membership.establishment,
                    },
                )
                for t in MembershipTerm.objects.filter(pk__in=ids).select_related("membership__establishment")
            ]


def _renewal_unpaid(on: dt.date, size: int) -> Iterator[list[Due]]:
    """Renewal invoices unpaid after the debit date, until the grace period ends (then the lapse job acts).
    Billing mail goes to the billing contact when there is one (F10)."""
    seasons = {s.fiscal_year: s for s in RenewalSeason.objects.all()}
    qs = Invoice.objects.filter(
        kind=Invoice.Kind.ANNUAL,
        status__in=Invoice.OPEN_STATUSES,
        membership__status=Membership.Status.ACTIVE,
        fiscal_year__in=list(seasons),
        due_date__lte=on,
    )
    for ids in _chunks(qs, size):
        invoices = list(Invoice.objects.filter(pk__in=ids).select_related("membership__establishment"))
        billing = selectors.billing_emails_by_establishment(i.membership.establishment_id for i in invoices)
        dues = []
        for inv in invoices:
            lapse_day = seasons[inv.fiscal_year].lapse_day(max(inv.due_date, inv.issue_date))
            if on >= lapse_day:
                continue
            est_id = inv.membership.establishment_id
            dues.append(
                Due(
                    inv,
                    max(
                        inv.due_date, inv.issue_date
                    ),  # an invoice issued after the debit date counts from issue
                    est_id,
                    since=max(inv.due_date, inv.issue_date),
                    emails=(billing[est_id],) if est_id in billing else None,
                    context={
                        "invoice": inv,
                        "membership": inv.membership,
                        "establishment": inv.membership.establishment,
                        "lapse_day": lapse_day,
                    },
                )
            )
        yield dues


def _returned_application(on: dt.date, size: int) -> Iterator[list[Due]]:
    """Applications returned for correction and not resubmitted; after the deadline the applications' deadline
    job cancels them."""
    qs = Application.objects.filter(status=Application.Status.RETURNED, return_deadline__gte=on)
    for ids in _chunks(qs, size):
        yield [
            Due(
                app,
                _filtered_day(app.return_deadline),
                app.establishment_id,
                since=_local_day(app.returned_at),
                emails=((app.submitted_by or app.created_by).email,),
                context={
                    "application": app,
                    "establishment": app.establishment,
                    "url": absolute_url("applications:detail", app.pk),
                },
            )
            for app in Application.objects.filter(pk__in=ids).select_related(
                "establishment", "submitted_by", "created_by"
            )
        ]


def _identity_follow_up(on: dt.date, size: int) -> Iterator[list[Due]]:
    """R13/R14: documents due once staff confirmed the new company / site operating, until they are all in (or
    the secretariat accepted them)."""
    qs = IdentityChange.objects.filter(
        effective_on__isnull=False,
        follow_up_due_on__isnull=False,
        follow_up_due_on__gte=on - LOOKBACK,
        follow_up_submitted_at__isnull=True,
        follow_up_done_on__isnull=True,
        establishment__memberships__status__in=Membership.OPEN_STATUSES,
    )
    for ids in _chunks(qs, size):
        yield [
            Due(
                ch,
                _filtered_day(ch.follow_up_due_on),
                ch.establishment_id,
                since=ch.effective_on,
                context={
                    "change": ch,
                    "establishment": ch.establishment,
                    "url": establishment_url(ch.establishment_id, "identity-change"),
                },
            )
            for ch in IdentityChange.objects.filter(pk__in=ids).select_related("establishment")
        ]


def _document_expiry(on: dt.date, size: int) -> Iterator[list[Due]]:
    """Evidence that expires (textile human-rights certificates …) on file for a member, not yet replaced by a
    document of the same type that is valid longer."""
    newer = Document.objects.filter(
        document_type_id=OuterRef("document_type_id"),
        application__establishment_id=OuterRef("application__establishment_id"),
        application__status=Application.Status.APPROVED,
        valid_until__gt=OuterRef("valid_until"),
    )
    qs = (
        Document.objects.filter(
            valid_until__isnull=False,
            valid_until__gte=on - LOOKBACK,
            application__status=Application.Status.APPROVED,
            application__establishment__memberships__status__in=Membership.OPEN_STATUSES,
        )
        .annotate(replaced=Exists(newer))
        .filter(replaced=False)
    )
    for ids in _chunks(qs, size):
        yield [
            Due(
                doc,
                _filtered_day(doc.valid_until),
                doc.application.establishment_id,
                since=_local_day(doc.uploaded_at),
                context={"document": doc, "establishment": doc.application.establishment},
            )
            for doc in Document.objects.filter(pk__in=ids).select_related(
                "document_type", "application__establishment"
            )
        ]


def _wage_periods(on: dt.date):
    return WageReportPeriod.objects.filter(opens_on__lte=on, closes_on__gte=on)


def _wage_unreported(anchor_field: str):
    def source(on: dt.date, size: int) -> Iterator[list[Due]]:
        """Members that owe this year's wage-increase report and have not filed it, while the window is open."""
        for period in _wage_periods(on):
            filed = WageReport.objects.filter(
                period=period, status=WageReport.Status.SUBMITTED, membership_id=OuterRef("pk")
            )
            qs = selectors.wage_report_owed(period).filter(~Exists(filed))  # an anti-join, not NOT IN
            anchor = getattr(period, anchor_field)
            for ids in _chunks(qs, size):
                yield [
                    Due(
                        m,
                        anchor,
                        m.establishment_id,
                        since=period.opens_on,
                        context={
                            "period": period,
                            "membership": m,
                            "establishment": m.establishment,
                            "url": establishment_url(m.establishment_id, "wage-report"),
                        },
                    )
                    for m in Membership.objects.filter(pk__in=ids).select_related("establishment")
                ]

    return source


def _wage_additional(on: dt.date, size: int) -> Iterator[list[Due]]:
    """Reports below the target whose additional report is not in yet."""
    qs = WageReport.objects.filter(
        below_target=True,
        additional_submitted_at__isnull=True,
        additional_due_on__gte=on - LOOKBACK,
        membership__status=Membership.Status.ACTIVE,
    )
    for ids in _chunks(qs, size):
        yield [
            Due(
                r,
                _filtered_day(r.additional_due_on),
                r.membership.establishment_id,
                since=_local_day(r.submitted_at),
                context={
                    "report": r,
                    "period": r.period,
                    "establishment": r.membership.establishment,
                    "url": establishment_url(r.membership.establishment_id, "wage-report"),
                },
            )
            for r in WageReport.objects.filter(pk__in=ids).select_related(
                "period", "membership__establishment"
            )
        ]


SOURCES: dict[str, Callable[[dt.date, int], Iterator[list[Due]]]] = {
    K.RENEWAL_ANSWER: _renewal_answer,
    K.RENEWAL_UNPAID: _renewal_unpaid,
    K.RETURNED_APPLICATION: _returned_application,
    K.IDENTITY_FOLLOW_UP: _identity_follow_up,
    K.DOCUMENT_EXPIRY: _document_expiry,
    K.WAGE_REPORT_OPENING: _wage_unreported("opens_on"),
    K.WAGE_REPORT_DUE: _wage_unreported("closes_on"),
    K.WAGE_ADDITIONAL_DUE: _wage_additional,
}


# --- the job -------------------------------------------------------------------------------------------------


def _pick(due: Due, rules: list[ReminderRule], on: dt.date) -> tuple[ReminderRule, dt.date] | None:
    """The rule and day of the most recent reminder that fell due for this matter."""
    best = None
    for rule in rules:
        day = rule.latest_due(due.anchor, on, since=due.since)
        if day is not None and (best is None or day > best[1]):
            best = (rule, day)
    return best


def _send_chunk(kind: str, rules: list[ReminderRule], dues: list[Due], on: dt.date) -> int:
    picks = [(d, *p) for d in dues if (p := _pick(d, rules, on))]
    if not picks:
        return 0
    ct = ContentType.objects.get_for_model(type(picks[0][0].subject))
    sent_before = set(
        Reminder.objects.filter(
            content_type=ct, object_id__in=[d.subject.pk for d, _r, _day in picks], rule__in=rules
        ).values_list("rule_id", "object_id", "reference_date")
    )
    todo = [(d, r, day) for d, r, day in picks if (r.pk, d.subject.pk, day) not in sent_before]
    contacts = selectors.contacts_by_establishment(
        d.establishment_id for d, _r, _day in todo if d.emails is None
    )
    sent = 0
    with transaction.atomic():
        for due, rule, day in todo:
            if due.emails is not None:
                emails = due.emails
            else:
                emails = (
                    tuple(contacts.get(due.establishment_id, ())) if due.establishment_id is not None else ()
                )
            try:
                with transaction.atomic():
                    Reminder.objects.create(
                        rule=rule,
                        content_type=ct,
                        object_id=due.subject.pk,
                        reference_date=day,
                        establishment_id=due.establishment_id,
                        recipients=len(emails),
                    )
            except IntegrityError:
                continue  # another run sent this one a moment ago
            context = {"rule": rule, "anchor": due.anchor, "reference_date": day, **due.context}
            context.setdefault("url", establishment_url(due.establishment_id) if due.establishment_id else "")
            mail_each(
                emails,
                template=TEMPLATES[kind],
                context=context,
                kind=TEMPLATES[kind],
                dedupe=f"lifecycle-reminder:{rule.pk}:{ct.pk}:{due.subject.pk}:{day.isoformat()}",
            )
            sent += 1
    return sent


def send_reminders(*, on: dt.date | None = None, chunk_size: int = 500) -> dict:
    """The reminders job: every active rule, every open matter; counts per kind."""
    on = reference_day(on)
    with job_run(REMINDERS_JOB, on) as counts:
        rules = defaultdict(list)
        for rule in ReminderRule.objects.filter(is_active=True):
            rules[rule.kind].append(rule)
        for kind, kind_rules in rules.items():
            counts[kind.lower()] += 0
            for dues in SOURCES[kind](on, chunk_size):
                counts[kind.lower()] += _send_chunk(kind, kind_rules, dues, on)
        # Follow-up documents past their due date are flagged for staff (once each, R13/R14).
        counts["identity_follow_up_overdue"] += member_services.flag_overdue_follow_ups(on=on)
    return dict(counts)
