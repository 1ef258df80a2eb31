"""PostgreSQL: the establishments a user may act for are found from the user's accesses by index, never by walking
the establishment table (scale: My Page of a 50-establishment company, 145 ms at 10,000 → 1,029 ms at 100,000)."""

import pytest
from django.db import connection

from members import selectors
from members.models import Establishment, Organisation
from tests.factories import EstablishmentFactory, OrganisationFactory, head_office
from tests.pg import plan

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_my_page_establishments_are_found_by_index_not_by_a_scan_of_every_establishment():
    user, org = head_office()
    mine = [EstablishmentFactory(organisation=org) for _ in range(3)]
    others = Organisation.objects.bulk_create(OrganisationFactory.build() for _ in range(200))
    Establishment.objects.bulk_create(
        EstablishmentFactory.build(organisation=others[i % len(others)]) for i in range(20000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_establishment")
        cursor.execute("ANALYZE members_organisation")
        cursor.execute("ANALYZE members_access")
    queryset = selectors.mypage_establishments(user)
    assert set(queryset) == set(mine)
    text = plan(queryset)
    assert "Seq Scan on members_establishment" not in text, text  # an OR of EXISTS walked them all
