"""Roster test helpers: establishments with memberships moved through the real members services, so the
roster learns about them only through its signal receivers."""

import datetime as dt

from tests.factories import EstablishmentFactory, OrganisationFactory, membership_for

# Canary values: personal data that must never appear in any public response.
CANARY_REPRESENTATIVE = "代表者カナリア太郎"
CANARY_PHONE = "0399998888"
CANARY_EMAIL = "canary-person@example.jp"
CANARY_ADDRESS_LINE = "カナリア町9-9-9"


def listed(
    *,
    org_name="株式会社テスト精工",
    est_name="本社工場",
    prefecture="23",
    city="名古屋市中村区",
    on=dt.date(2026, 4, 1),
    codes=("2592",),
    organisation=None,
    **org_kwargs,
):
    """An establishment whose membership became ACTIVE (first payment) on `on`."""
    org = organisation or OrganisationFactory(
        name=org_name,
        representative_name=CANARY_REPRESENTATIVE,
        phone=CANARY_PHONE,
        address_line=CANARY_ADDRESS_LINE,
        **org_kwargs,
    )
    est = EstablishmentFactory(
        organisation=org,
        name=est_name,
        prefecture=prefecture,
        city=city,
        phone=CANARY_PHONE,
        address_line=CANARY_ADDRESS_LINE,
    )
    return membership_for(est, codes=codes, fee_notice_date=on - dt.timedelta(days=30), active_on=on)
