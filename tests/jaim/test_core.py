import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from jaim import dates, sequences
from jaim.mail import Mail, deliver, queue_mail, queue_mails
from jaim.models import OutboxMessage, Sequence
from jaim.sequences import next_value


@pytest.mark.parametrize(
    "day,fy",
    [
        (dt.date(2026, 4, 1), 2026),
        (dt.date(2027, 3, 31), 2026),
        (dt.date(2026, 3, 31), 2025),
        (dt.date(2028, 2, 29), 2027),
    ],
)
def test_fiscal_year_runs_april_to_march(day, fy):
    assert dates.fiscal_year_of(day) == fy
    assert dates.fiscal_year_start(fy) <= day <= dates.fiscal_year_end(fy)


def test_japanese_date_format():
    assert dates.japanese_date(dt.date(2026, 4, 1)) == "2026年4月1日"


@pytest.mark.django_db
def test_outbox_dedupe_key_makes_a_reminder_exist_once():
    ctx = {"user": None, "url": "x"}
    first = queue_mail(to="a@example.jp", template="verify_email", context=ctx, kind="t", dedupe_key="k1")
    second = queue_mail(to="a@example.jp", template="verify_email", context=ctx, kind="t", dedupe_key="k1")
    assert first is not None and second is None
    assert OutboxMessage.objects.filter(dedupe_key="k1").count() == 1


@pytest.mark.django_db
def test_a_batch_of_mails_writes_the_rows_queue_mail_would_in_constant_statements_and_one_send_task(
    django_capture_on_commit_callbacks,
):
    def batch(n, key_from=0):
        return [
            Mail(to=f"u{i}@example.jp", template="verify_email", context={"url": f"https://x/{i}"}, kind="t",
                 dedupe_key=f"batch:{i}" if i % 2 else None)
            for i in range(key_from, key_from + n)
        ]  # fmt: skip

    one_by_one = [queue_mail(to=m.to, template=m.template, context=m.context, kind=m.kind) for m in batch(3)]
    queue_mail(
        to="u1@example.jp", template="verify_email", context={"url": "x"}, kind="t", dedupe_key="batch:1"
    )
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few, django_capture_on_commit_callbacks() as callbacks:
        rows = queue_mails(batch(3) + batch(1, key_from=2))  # batch:1 exists; u2 twice but without a key
    assert [r.to for r in rows] == ["u0@example.jp", "u2@example.jp", "u2@example.jp"]
    expected = [one_by_one[0], one_by_one[2], one_by_one[2]]
    assert [(r.kind, r.subject, r.body) for r in rows] == [(m.kind, m.subject, m.body) for m in expected]
    assert len(callbacks) == 1  # one send task for the batch
    with CaptureQueriesContext(connection) as many:
        assert len(queue_mails(batch(40, key_from=100))) == 40
    assert len(many) == len(few)
    assert len(queue_mails(batch(40, key_from=100))) == 20  # again: only the 20 without a key
    assert (
        OutboxMessage.objects.filter(dedupe_key__startswith="batch:1").count() == 1 + 20
    )  # keyed: once each


def test_numbers_reserved_for_a_batch_are_consecutive_and_roll_back_with_it(db):
    with transaction.atomic():
        assert next_value("batch") == 1
        row = sequences.lock("batch")
        assert sequences.reserve(row, 5) == 2
        assert next_value("batch") == 7
    with transaction.atomic():
        sequences.reserve(sequences.lock("batch"), 10)
        transaction.set_rollback(True)
    with transaction.atomic():
        assert next_value("batch") == 8  # no gap


@pytest.mark.django_db
def test_failed_delivery_is_recorded_and_retried_later(settings, mailoutbox):
    msg = queue_mail(to="a@example.jp", template="verify_email", context={"url": "x"}, kind="t")
    settings.EMAIL_BACKEND = "tests.jaim.broken_backend.Backend"
    with pytest.raises(ConnectionError):
        deliver(msg.pk)
    msg.refresh_from_db()
    assert (
        msg.status == OutboxMessage.Status.PENDING
        and msg.attempts == 1
        and "ConnectionError" in msg.last_error
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver(msg.pk) is True
    assert deliver(msg.pk) is False  # already sent: nothing twice
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_sequence_rolls_back_with_its_transaction_so_there_is_no_gap():
    with transaction.atomic():
        assert next_value("t") == 1
    try:
        with transaction.atomic():
            assert next_value("t") == 2
            raise RuntimeError
    except RuntimeError:
        pass
    with transaction.atomic():
        assert next_value("t") == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_gives_no_duplicate_and_no_gap():
    results, errors = [], []

    def worker():
        try:
            for _ in range(10):
                with transaction.atomic():
                    results.append(next_value("race"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == list(range(1, 41))
    assert Sequence.objects.get(prefix="race").last_value == 40


def test_enqueue_by_dotted_path_sends_that_task_after_commit(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    """Services name their own app's tasks by path (no import cycle with the tasks module)."""
    from fees import tasks
    from jaim.queue import enqueue

    sent = []
    monkeypatch.setattr(tasks.render_document, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue("fees.tasks.render_document", "receipt", 7)
    assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert sent == [("receipt", 7)]


def test_enqueue_with_a_wrong_task_path_fails_at_once_not_after_commit(db):
    from jaim.queue import enqueue

    with pytest.raises(ImportError):
        enqueue("fees.tasks.no_such_task", 1)
