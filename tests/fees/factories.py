"""Fee-specific test data. Shared people/organisations come from tests/factories.py."""

import datetime as dt

import factory

from fees.models import BillingContact, DebitOriginator, FeeSchedule, FirstYearRate
from fees.services import default_first_year_rate


class FeeScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeSchedule
        django_get_or_create = ("fiscal_year",)
        skip_postgeneration_save = True

    fiscal_year = 2026
    label = factory.LazyAttribute(lambda o: f"{o.fiscal_year}年度 会費表（サンプル）")
    is_sample = True
    base_fee_yen = 120_000
    sme_discount_yen = 30_000
    group_discount_yen = 20_000

    @factory.post_generation
    def rates(self, create, extracted, **kwargs):
        """rates={month: (numerator, denominator)}; default: months left in the fiscal year / 12."""
        if not create:
            return
        table = extracted if extracted is not None else {m: default_first_year_rate(m) for m in range(1, 13)}
        for month, (num, den) in table.items():
            FirstYearRate.objects.update_or_create(
                schedule=self, month=month, defaults={"numerator": num, "denominator": den}
            )


class BillingContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingContact

    addressee = "株式会社テスト製作所"
    department = "経理部"
    person_name = "請求 花子"
    email = factory.Sequence(lambda n: f"billing{n}@example.jp")
    postal_code = "1000001"
    prefecture = "13"
    city = "千代田区"
    address_line = "千代田1-1"
    phone = "0312345678"


def originator(**kw):
    """The worked example's originator (zengin.md §6)."""
    data = dict(
        originator_code="12345",
        name_kana="ｼﾔ)ﾆﾎﾝｾｲﾐﾂｷｷｺｳｷﾞﾖｳｶｲ",
        bank_code="0005",
        bank_name_kana="ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ",
        branch_code="001",
        branch_name_kana="ﾎﾝﾃﾝ",
        account_type="1",
        account_number="1234567",
        crlf=True,
    )
    data.update(kw)
    return DebitOriginator.objects.create(**data)


NOTICE = dt.date(2026, 6, 10)
APPLIED = dt.date(2026, 4, 20)
