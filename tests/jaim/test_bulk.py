"""jaim.bulk and the `__any` lookup (jaim.lookups): the batch jobs' fast writes and reads give the rows and answers
that bulk_create and `__in` give, in a constant number of statements that query counters see."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from jaim import bulk
from jaim.models import AuditEvent, OutboxMessage
from members.models import Membership
from tests.factories import EstablishmentFactory, membership_for

pytestmark = pytest.mark.django_db


def _mails(prefix: str, n: int) -> list[OutboxMessage]:
    return [
        OutboxMessage(
            dedupe_key=f"{prefix}:{i}",
            kind="fees_invoice_issued",
            to=f"keiri{i}@example.jp",
            subject=f"【JAIM】請求書 {i}",
            body=f"本文 {i}\n改行\tタブ \\ 円記号 ¥120,000\n",
        )
        for i in range(n)
    ]


def _values(qs, skip=("id", "created_at")):
    return [{k: v for k, v in row.items() if k not in skip} for row in qs.order_by("dedupe_key").values()]


@pytest.mark.postgres  # elsewhere insert is bulk_create itself
def test_insert_writes_what_bulk_create_writes_and_sets_the_primary_keys():
    copied = bulk.insert(_mails("copy", 30))
    made = OutboxMessage.objects.bulk_create(_mails("orm", 30))
    assert all(m.pk for m in copied) and len({m.pk for m in copied}) == 30
    assert {m.pk for m in copied}.isdisjoint({m.pk for m in made})
    mine = _values(OutboxMessage.objects.filter(dedupe_key__startswith="copy:"))
    theirs = _values(OutboxMessage.objects.filter(dedupe_key__startswith="orm:"))
    assert len(mine) == 30
    assert [{**r, "dedupe_key": r["dedupe_key"][5:]} for r in mine] == [
        {**r, "dedupe_key": r["dedupe_key"][4:]} for r in theirs
    ]
    # each instance is its own row (the ids match the rows), and the batch's auto_now_add is one timestamp
    for m in copied[:3]:
        assert OutboxMessage.objects.get(pk=m.pk).dedupe_key == m.dedupe_key
    stamps = set(
        OutboxMessage.objects.filter(dedupe_key__startswith="copy:").values_list("created_at", flat=True)
    )
    assert len(stamps) == 1 and stamps == {copied[0].created_at}
    assert copied[0]._state.adding is False


@pytest.mark.postgres
def test_insert_is_two_statements_and_write_one_whatever_the_batch_size():
    ct = ContentType.objects.get_for_model(Membership)
    table = bulk.Table(AuditEvent, ["content_type_id", "object_id", "action", "note"])
    for n in (5, 500):
        with CaptureQueriesContext(connection) as inserted:
            bulk.insert(_mails(f"n{n}", n))
        with CaptureQueriesContext(connection) as written:
            assert bulk.write(table, ((ct.pk, str(i), "issued", "¥1") for i in range(n))) == n
        assert len(inserted) == 2 and len(written) == 1
    events = AuditEvent.objects.filter(action="issued", content_type=ct)
    assert events.count() == 505
    # the columns not given take the model's defaults (blank statuses, no actor, the table's time)
    assert set(events.values_list("from_status", "to_status", "actor_id")) == {("", "", None)}
    assert events.filter(created_at__isnull=True).count() == 0


def test_a_duplicate_key_raises_djangos_integrity_error_and_the_transaction_goes_on():
    bulk.insert(_mails("dup", 2))
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            bulk.insert(_mails("dup", 3))  # dup:0 and dup:1 exist
    assert (
        OutboxMessage.objects.filter(dedupe_key__startswith="dup:").count() == 2
    )  # nothing of the failed batch


def test_any_finds_what_in_finds_for_ids_keys_and_an_empty_list():
    members = [membership_for(EstablishmentFactory()) for _ in range(4)]
    ids = [m.pk for m in members[:3]]
    assert set(Membership.objects.filter(pk__any=ids)) == set(Membership.objects.filter(pk__in=ids))
    assert set(Membership.objects.filter(establishment__any=[members[3].establishment_id])) == {members[3]}
    assert not Membership.objects.filter(pk__any=[]).exists()
    bulk.insert(_mails("key", 3))
    keys = ["key:0", "key:2", "key:9"]
    assert sorted(
        OutboxMessage.objects.filter(dedupe_key__any=keys).values_list("dedupe_key", flat=True)
    ) == [
        "key:0",
        "key:2",
    ]
    with CaptureQueriesContext(connection) as queries:
        list(Membership.objects.filter(pk__any=ids))
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"] and " IN (" not in queries[0]["sql"]


@pytest.mark.postgres  # a PostgreSQL setting
def test_serial_plans_switches_parallel_plans_off_and_back():
    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            return cursor.fetchone()[0]

    before = setting()
    assert before != "0"
    with bulk.serial_plans():
        assert setting() == "0"
    assert setting() == before


def test_int_array_is_a_postgresql_array_literal():
    assert bulk.int_array([3, 1, 20]) == "{3,1,20}"
    assert bulk.int_array([]) == "{}"


def test_absolute_url_of_is_absolute_url_for_every_id(settings):
    from jaim.links import absolute_url, absolute_url_of

    for pk in (1, 42, 8765432109876542):
        assert absolute_url_of("members:establishment_detail", pk) == absolute_url(
            "members:establishment_detail", pk
        )
    settings.SITE_URL = "https://jaim.example.jp/"
    assert absolute_url_of("members:establishment_detail", 7) == absolute_url(
        "members:establishment_detail", 7
    )
    assert absolute_url_of("members:establishment_detail", 7).startswith("https://jaim.example.jp/")


def test_any_refuses_a_subquery():
    with pytest.raises(TypeError):
        Membership.objects.filter(pk__any=Membership.objects.values("pk"))
