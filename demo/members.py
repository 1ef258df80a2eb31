"""Demo organisations, establishments and people. Every password is printed by seed_demo."""

import datetime as dt

from django.contrib.auth.models import Group

from members import selectors as member_selectors
from members import services
from members.models import Association, AssociationMembership, Organisation, User

PASSWORD = "jaim-demo-2026"  # noqa: S105 - printed demo login, never production


def user(email, name, *, staff_group=None, superuser=False):
    u = User.objects.filter(email=email).first()
    if u is None:
        u = (User.objects.create_superuser if superuser else User.objects.create_user)(
            email=email, password=PASSWORD, full_name=name
        )
        u.email_verified_at = u.date_joined
        u.is_staff = bool(staff_group or superuser)
        u.save()
    if staff_group:
        u.groups.add(Group.objects.get(name=staff_group))
    if u.is_superuser and not superuser:  # an older demo database made the administrator a superuser
        u.is_superuser = False
        u.save(update_fields=["is_superuser"])
    return u


def seed() -> dict:
    owner = user("owner@demo.jaim.example", "山田 太郎")
    site = user("site@demo.jaim.example", "佐藤 花子")
    support = user("support@demo.jaim.example", "鈴木 一郎")
    other = user("other@demo.jaim.example", "高橋 次郎")
    reviewer = user("reviewer@demo.jaim.example", "審査 担当", staff_group="reviewer")
    finance = user("finance@demo.jaim.example", "経理 担当", staff_group="finance")
    # The administrator works with the administrator role, not as a superuser (break-glass only: createsuperuser).
    admin = user("admin@demo.jaim.example", "管理 者", staff_group="administrator")

    org = Organisation.objects.filter(corporate_number="4011001098993").first()
    if org is None:
        org = services.create_organisation(
            by=owner,
            data=dict(
                kind="CORPORATION",
                corporate_number="4011001098993",
                name="株式会社サンプル精工",
                name_kana="サンプルセイコウ",
                **member_selectors.representative_fields("kabushiki", "代表取締役"),
                representative_name="山田 太郎",
                representative_since=dt.date(2019, 6, 27),
                postal_code="4500002",
                prefecture="23",
                city="名古屋市中村区",
                address_line="名駅1-1-1",
                phone="0521234567",
                capital_yen=80_000_000,
                regular_employees=120,
            ),
        )
        # The SME proof (労働保険 申告書) was accepted: the SME discount applies (domain.md §4, F3).
        services.record_sme_declaration(org, capital_yen=80_000_000, regular_employees=120, by=admin)
        services.create_establishment(
            org,
            by=owner,
            data=dict(
                name="本社工場",
                name_kana="ホンシャコウジョウ",
                postal_code="4500002",
                prefecture="23",
                city="名古屋市中村区",
                address_line="名駅1-1-1",
                phone="0521234567",
                operating_since=dt.date(1998, 4, 1),
            ),
        )
        e2 = services.create_establishment(
            org,
            by=owner,
            data=dict(
                name="岐阜第二工場",
                name_kana="ギフダイニコウジョウ",
                postal_code="5000001",
                prefecture="21",
                city="岐阜市",
                address_line="東金宝町1-2",
                phone="0581234567",
                operating_since=dt.date(2010, 10, 1),
            ),
        )
        services.grant_establishment_access(e2, email=site.email, can_manage=False, by=owner)
        sup = services.create_organisation(
            by=support,
            data=dict(
                kind="CORPORATION",
                corporate_number="2120901007402",
                name="協同組合ミライ支援センター",
                name_kana="キョウドウクミアイミライシエンセンター",
                **member_selectors.representative_fields("kumiai", "代表理事"),
                representative_name="鈴木 一郎",
                postal_code="5300001",
                prefecture="27",
                city="大阪市北区",
                address_line="梅田2-2-2",
                phone="0661234567",
                is_support_organisation=True,
                support_registration_number="19登-000123",
            ),
        )
        services.grant_support_access(e2, support_organisation=sup, by=owner)
        services.create_organisation(
            by=other,
            data=dict(
                kind="CORPORATION",
                corporate_number="8700110005901",
                name="有限会社ほかの印刷",
                name_kana="ホカノインサツ",
                **member_selectors.representative_fields("yugen", "取締役"),
                representative_name="高橋 次郎",
                postal_code="1000001",
                prefecture="13",
                city="千代田区",
                address_line="千代田1-1",
                phone="0312345678",
                capital_yen=3_000_000,
                regular_employees=12,
            ),
        )
        assoc, _ = Association.objects.get_or_create(
            name="一般社団法人日本サンプル工業会",
            defaults={"name_kana": "ニホンサンプルコウギョウカイ", "proof_required": False},
        )
        AssociationMembership.objects.get_or_create(
            organisation=org,
            association=assoc,
            defaults={"applied_on": dt.date(2024, 4, 1), "complete_on": dt.date(2024, 5, 1)},
        )
    from demo.issuer import seed_issuer

    seed_issuer(admin)  # before the first invoice: every demo document prints the issuer's block
    return {
        "owner": owner,
        "site": site,
        "support": support,
        "other": other,
        "reviewer": reviewer,
        "finance": finance,
        "admin": admin,
        "organisation": org,
    }
