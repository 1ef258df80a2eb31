"""The outbox's state machine (OutboxMessage.TRANSITIONS, checked by jaim.states.check_move): a message is claimed
(SENDING), then sent, retried (PENDING) or given up (FAILED); an unsent one may be queued again by the
administrator; a sent one is final. Every move the sender and the resend action make is in the table, any other
is refused and changes nothing."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from jaim.admin import OutboxMessageAdmin
from jaim.errors import DomainError
from jaim.mail import deliver, queue_mail
from jaim.models import OutboxMessage
from jaim.states import check_move
from tests.factories import UserFactory

S = OutboxMessage.Status
pytestmark = pytest.mark.django_db


def _message(status=S.PENDING):
    msg = queue_mail(
        to="taro@example.jp", template="verify_email", context={"url": "http://x/"}, kind="verify"
    )
    OutboxMessage.objects.filter(pk=msg.pk).update(status=status)
    msg.refresh_from_db()
    return msg


def test_every_status_has_its_moves_and_a_sent_message_has_none():
    assert set(OutboxMessage.TRANSITIONS) == set(S.values)
    assert OutboxMessage.TRANSITIONS[S.SENT] == set()


@pytest.mark.parametrize(
    "current,to",
    [(S.SENT, S.PENDING), (S.SENT, S.SENDING), (S.SENT, S.FAILED), (S.FAILED, S.SENT), (S.PENDING, S.SENT)],
)
def test_an_illegal_move_is_refused_and_changes_nothing(current, to):
    msg = _message(current)
    with pytest.raises(DomainError) as refused:
        check_move(msg, to, transitions=OutboxMessage.TRANSITIONS)
    assert refused.value.code == "illegal_transition"
    assert msg.status == current
    msg.refresh_from_db()
    assert msg.status == current


def test_delivery_walks_the_table_pending_sending_sent(mailoutbox):
    msg = _message()
    assert deliver(msg.pk) is True
    msg.refresh_from_db()
    assert msg.status == S.SENT and msg.attempts == 1
    assert deliver(msg.pk) is False  # final: not sent twice
    assert len(mailoutbox) == 1


def test_resend_queues_failed_messages_again_and_leaves_sent_ones(django_capture_on_commit_callbacks):
    failed, sent = _message(S.FAILED), _message(S.SENT)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().post("/")
    request.user = admin_user
    model_admin = OutboxMessageAdmin(OutboxMessage, site)
    model_admin.message_user = lambda *a, **k: None
    with django_capture_on_commit_callbacks(execute=False):
        model_admin.resend(request, OutboxMessage.objects.filter(pk__in=[failed.pk, sent.pk]))
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, sent.status) == (S.PENDING, S.SENT)
