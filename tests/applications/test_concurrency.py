"""Two people acting on one application at the same moment, on PostgreSQL with two connections."""

import threading

import pytest
from django.db import connection

from applications import services
from applications.models import Application
from jaim.errors import DomainError
from jaim.models import OutboxMessage
from members.models import Membership
from tests.applications.factories import applicant, complete, draft, reviewer, submitted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(*calls):
    """Run the calls in parallel threads (each its own DB connection), started together. Returns outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = ("ok", fn())
        except DomainError as exc:
            outcomes[i] = ("domain_error", exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[i] = ("crash", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_reviewers_approving_at_once_make_exactly_one_decision(billed):
    app = submitted()
    first, second = reviewer(), reviewer()
    services.start_review(app, reviewer=first)
    outcomes = race(
        lambda: services.approve_application(Application(pk=app.pk), reviewer=first),
        lambda: services.approve_application(Application(pk=app.pk), reviewer=second),
    )
    kinds = sorted(o[0] for o in outcomes)
    assert kinds == ["domain_error", "ok"], outcomes
    assert [o[1] for o in outcomes if o[0] == "domain_error"] == ["already_decided"]
    assert Membership.objects.filter(establishment_id=app.establishment_id).count() == 1
    assert len(billed) == 1
    assert Application.objects.get(pk=app.pk).status == "APPROVED"


def test_approve_and_reject_at_once_make_exactly_one_decision():
    app = submitted()
    first, second = reviewer(), reviewer()
    services.start_review(app, reviewer=first)
    outcomes = race(
        lambda: services.approve_application(Application(pk=app.pk), reviewer=first),
        lambda: services.reject_application(Application(pk=app.pk), reviewer=second, reason="対象外"),
    )
    assert sorted(o[0] for o in outcomes) == ["domain_error", "ok"], outcomes
    final = Application.objects.get(pk=app.pk)
    assert final.status in ("APPROVED", "REJECTED")
    assert (final.status == "APPROVED") == Membership.objects.filter(
        establishment_id=app.establishment_id
    ).exists()


def test_a_double_clicked_submit_on_two_connections_submits_once():
    user, est = applicant()
    app = complete(draft(est, user), user)
    outcomes = race(
        lambda: services.submit_application(Application(pk=app.pk), by=user),
        lambda: services.submit_application(Application(pk=app.pk), by=user),
    )
    assert sorted(o[0] for o in outcomes) == ["domain_error", "ok"], outcomes
    assert OutboxMessage.objects.filter(kind="application_received").count() == 1


def test_two_starts_at_once_create_one_application():
    user, est = applicant()
    outcomes = race(
        lambda: services.create_application(est, kind="NEW", by=user),
        lambda: services.create_application(est, kind="NEW", by=user),
    )
    assert sorted(o[0] for o in outcomes) == ["domain_error", "ok"], outcomes
    assert Application.objects.filter(establishment=est).count() == 1
