"""Imports with a preview (dry run) before anything is written, one transaction per file, a per-row report, and
idempotent re-imports: council records (R17), association member lists (F4) and bank statements (fees)."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice import services
from backoffice.models import CouncilRecord, ImportRun
from fees.models import BankStatementImport, BankStatementLine, Invoice
from jaim.models import AuditEvent, OutboxMessage
from members.models import AssociationMembership, Membership
from tests.backoffice.factories import council_csv
from tests.factories import (
    AssociationFactory,
    AssociationMembershipFactory,
    EstablishmentFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROW_LINKED = "K-1,株式会社サンプル精工,本社工場,4011001098993,2592,450-0002,愛知県,名古屋市中村区名駅1-1-1,2020-04-01,,いいえ"
ROW_UNKNOWN = "K-2,株式会社サンプル金属,大阪工場,7123456789012,2441 2452,530-0001,大阪府,大阪市北区梅田1-1,2021/10/1,2025/12/25,はい"


@pytest.fixture
def company():
    org = OrganisationFactory(corporate_number="4011001098993", name="株式会社サンプル精工")
    est = EstablishmentFactory(
        organisation=org, name="本社工場", prefecture="23", city="名古屋市中村区", address_line="名駅1-1-1"
    )
    EstablishmentFactory(organisation=org, name="岐阜第二工場")
    return org, est


def preview(
    text_or_bytes, kind=ImportRun.Kind.COUNCIL, *, name="council.csv", options=None, encoding="utf-8"
):
    data = text_or_bytes.encode(encoding) if isinstance(text_or_bytes, str) else text_or_bytes
    return services.preview_import(kind, data, file_name=name, options=options, by=UserFactory(is_staff=True))


def messages(run, line):
    return " ".join(next(r["messages"] for r in run.report if r["line"] == line))


# --- council records (R17) ---------------------------------------------------------------------------------------


def test_council_preview_is_a_dry_run_that_writes_nothing(company):
    audits = AuditEvent.objects.count()
    run = preview(council_csv(ROW_LINKED, ROW_UNKNOWN))
    assert run.status == ImportRun.Status.PREVIEWED and run.can_import
    assert run.counts["created"] == 2 and run.counts["rejected"] == 0
    assert "本社工場" in messages(run, 2) and "紐付けはありません" in messages(run, 3)
    assert not CouncilRecord.objects.exists()
    assert CouncilRecord.history.count() == 0
    assert AuditEvent.objects.count() == audits + 1  # only "previewed" on the ImportRun itself


def test_council_import_keeps_records_as_such_linked_when_matched_and_never_creates_a_membership(company):
    org, est = company
    run = services.commit_import(preview(council_csv(ROW_LINKED, ROW_UNKNOWN)), by=UserFactory(is_staff=True))
    assert run.status == ImportRun.Status.IMPORTED
    linked = CouncilRecord.objects.get(council_number="K-1")
    assert (linked.organisation, linked.establishment, linked.link_method) == (org, est, "NAME")
    assert linked.jsic_codes == ["2592"] and linked.council_joined_on == dt.date(2020, 4, 1)
    assert linked.information_migration_only is False and linked.import_run == run
    other = CouncilRecord.objects.get(council_number="K-2")
    assert other.organisation is None and other.establishment is None
    assert other.information_migration_only is True and other.council_left_on == dt.date(2025, 12, 25)
    assert other.jsic_codes == ["2441", "2452"] and other.prefecture == "27"
    assert not Membership.objects.exists()  # R17: a council record is never a JAIM membership


def test_council_record_links_by_address_when_the_name_differs(company):
    org, est = company
    row = ROW_LINKED.replace("本社工場", "本社第一工場")
    run = services.commit_import(preview(council_csv(row)), by=None)
    record = CouncilRecord.objects.get()
    assert record.establishment == est and record.link_method == "ADDRESS"
    assert run.counts["created"] == 1


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8（BOM付き）"), ("cp932", False, "Shift_JIS（CP932）")],
)
def test_utf8_with_or_without_bom_and_shift_jis_are_detected(company, encoding, bom, label):
    data = council_csv(ROW_LINKED, ROW_UNKNOWN).encode(encoding)
    run = preview((b"\xef\xbb\xbf" if bom else b"") + data)
    assert run.encoding == label
    assert run.counts["created"] == 2 and not run.errors
    assert run.report[0]["values"][1] == "株式会社サンプル精工"  # no mojibake


def test_undecodable_file_is_refused_with_a_message():
    run = preview(council_csv(ROW_LINKED).encode("utf-8") + b"\x81\x20\xff")
    assert run.status == ImportRun.Status.REFUSED and not run.can_import
    assert "文字コードを判別できません" in run.errors[0]


def test_utf16_file_is_refused_with_a_message():
    run = preview(council_csv(ROW_LINKED).encode("utf-16"))
    assert run.status == ImportRun.Status.REFUSED and "UTF-16" in run.errors[0]


def test_missing_columns_are_named_and_nothing_is_written():
    header = "法人名,事業所名,法人番号,都道府県,所在地,協議会加入日"
    run = preview(council_csv("A社,B工場,4011001098993,愛知県,名古屋市,2020-04-01", header=header))
    assert run.status == ImportRun.Status.REFUSED
    assert "産業分類" in run.errors[0] and "情報移行のみ" in run.errors[0]
    assert not CouncilRecord.objects.exists() and not run.stored_file


def test_wrong_encoding_header_hints_at_the_encoding():
    # EUC-JP decodes as (garbled) CP932: no header is recognised, and the message says to check the encoding.
    run = preview(council_csv(ROW_LINKED).encode("euc-jp"))
    assert run.status == ImportRun.Status.REFUSED
    assert "文字コード" in run.errors[0]


def test_duplicate_rows_are_reported_on_the_later_row_and_the_file_is_refused(company):
    run = preview(council_csv(ROW_LINKED, ROW_UNKNOWN, ROW_LINKED))
    assert run.status == ImportRun.Status.REFUSED
    assert run.counts["rejected"] == 1
    assert "2行目と同じ内容の重複行" in messages(run, 4)
    assert not CouncilRecord.objects.exists()


@pytest.mark.parametrize(
    ("number", "message"),
    [("1123456789012", "チェックデジット"), ("401100109899", "13桁"), ("4011-0010-9899-3", None)],
)
def test_invalid_corporate_numbers_are_reported_per_row(company, number, message):
    run = preview(council_csv(ROW_LINKED.replace("4011001098993", number), ROW_UNKNOWN))
    if message is None:  # hyphens and full-width digits are what people type: normalised, accepted
        assert run.counts["rejected"] == 0
        return
    assert run.status == ImportRun.Status.REFUSED
    assert message in messages(run, 2)
    assert (
        next(r for r in run.report if r["line"] == 3)["outcome"] == "created"
    )  # the good row is still reported
    assert not CouncilRecord.objects.exists()


def test_every_problem_of_a_row_is_reported():
    bad = "K-9,,,1123456789012,0000,12-34,火星,,2020-13-01,,たぶん"
    run = preview(council_csv(bad))
    text = messages(run, 2)
    for expected in [
        "法人名",
        "事業所名",
        "チェックデジット",
        "0000",
        "郵便番号",
        "都道府県",
        "所在地",
        "協議会加入日",
        "情報移行のみ",
    ]:
        assert expected in text


def test_sole_proprietor_without_corporate_number_is_accepted_unlinked():
    row = "K-3,山田製作所,山田製作所,,2592,,岐阜県,岐阜市1-1,R2.4.1,,0"
    run = services.commit_import(preview(council_csv(row)), by=None)
    record = CouncilRecord.objects.get()
    assert run.status == ImportRun.Status.IMPORTED
    assert record.corporate_number == "" and record.organisation is None
    assert record.council_joined_on == dt.date(2020, 4, 1)  # 令和2年


def test_reimporting_the_same_file_changes_nothing(company):
    text = council_csv(ROW_LINKED, ROW_UNKNOWN)
    services.commit_import(preview(text), by=None)
    before = list(CouncilRecord.objects.order_by("pk").values())
    history, audits = (
        CouncilRecord.history.count(),
        AuditEvent.objects.exclude(content_type__model="importrun").count(),
    )
    again = services.commit_import(preview(text), by=None)
    assert again.status == ImportRun.Status.IMPORTED
    assert again.counts["unchanged"] == 2 and again.counts["created"] == again.counts["updated"] == 0
    assert list(CouncilRecord.objects.order_by("pk").values()) == before
    assert CouncilRecord.history.count() == history
    assert AuditEvent.objects.exclude(content_type__model="importrun").count() == audits


def test_a_corrected_file_updates_records_and_adds_a_link_but_never_repoints_one(company):
    org, est = company
    services.commit_import(preview(council_csv(ROW_UNKNOWN)), by=None)
    record = CouncilRecord.objects.get()
    # The company has registered since: a re-import links it; the corrected leaving date is taken over.
    later_org = OrganisationFactory(corporate_number="7123456789012")
    later_est = EstablishmentFactory(organisation=later_org, name="大阪工場", prefecture="27")
    run = services.commit_import(
        preview(council_csv(ROW_UNKNOWN.replace("2025/12/25", "2025/12/20"))), by=None
    )
    record.refresh_from_db()
    assert run.counts["updated"] == 1 and "協議会退会日" in messages(run, 2)
    assert record.council_left_on == dt.date(2025, 12, 20) and record.establishment == later_est
    # Staff re-point it by hand; another import does not undo that.
    services.link_council_record(record, establishment=est, by=None)
    services.commit_import(preview(council_csv(ROW_UNKNOWN.replace("2025/12/25", "2025/12/20"))), by=None)
    record.refresh_from_db()
    assert record.establishment == est and record.link_method == "MANUAL"


def test_the_whole_file_or_nothing_when_the_import_fails_midway(company, monkeypatch):
    services.commit_import(preview(council_csv(ROW_UNKNOWN)), by=None)
    run = preview(council_csv(ROW_LINKED, ROW_UNKNOWN.replace("2025/12/25", "2025/12/20")))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("simple_history.utils.bulk_update_with_history", boom)
    with pytest.raises(RuntimeError):
        services.commit_import(run, by=None)
    assert list(CouncilRecord.objects.values_list("council_number", flat=True)) == [
        "K-2"
    ]  # the new row is not kept
    assert CouncilRecord.objects.get().council_left_on == dt.date(2025, 12, 25)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEWED


def test_an_import_is_done_once(company):
    run = services.commit_import(preview(council_csv(ROW_LINKED)), by=None)
    from jaim.errors import DomainError

    with pytest.raises(DomainError):
        services.commit_import(run, by=None)


def test_excel_files_are_read_too(company):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for line in council_csv(ROW_LINKED).strip().split("\n"):
        ws.append(line.split(","))
    ws.append(
        [
            "K-5",
            "株式会社エクセル",
            "工場",
            "2120901007402",
            2592,
            "",
            "東京都",
            "千代田区1",
            dt.datetime(2022, 4, 1),
            None,
            1,
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    run = preview(buf.getvalue(), name="council.xlsx")
    assert run.encoding == "Excel" and run.counts["created"] == 2, run.report
    services.commit_import(run, by=None)
    assert CouncilRecord.objects.get(council_number="K-5").council_joined_on == dt.date(2022, 4, 1)


# --- association member lists (F4) -------------------------------------------------------------------------------


def test_association_list_sets_memberships_and_the_group_discount_uses_them():
    from fees.services import group_discount_applies

    assoc = AssociationFactory(name="一般社団法人日本テスト工業会")
    member = OrganisationFactory()
    known = AssociationMembershipFactory(
        organisation=OrganisationFactory(), association=assoc, complete_on=None
    )
    outsider = "2120901007402"  # a company the association lists but JAIM does not know
    text = (
        "団体名,法人番号,法人名,加入日,退会日\n"
        f"日本テスト工業会,{member.corporate_number},{member.name},2024-04-01,\n"
        f"一般社団法人日本テスト工業会,{known.organisation.corporate_number},x,2025/5/1,\n"
        f"一般社団法人日本テスト工業会,{outsider},よその会社,2020-01-01,\n"
    )
    run = preview(text, ImportRun.Kind.ASSOCIATION, name="list.csv")
    assert [r["outcome"] for r in run.report] == ["created", "updated", "skipped"]
    assert not AssociationMembership.objects.filter(organisation=member).exists()  # dry run
    services.commit_import(run, by=None)
    am = AssociationMembership.objects.get(organisation=member, association=assoc)
    assert am.complete_on == dt.date(2024, 4, 1)
    known.refresh_from_db()
    assert known.complete_on == dt.date(2025, 5, 1)
    assert group_discount_applies([am], fiscal_year=2026, application_date=dt.date(2026, 5, 1))
    again = services.commit_import(preview(text, ImportRun.Kind.ASSOCIATION), by=None)
    assert again.counts["unchanged"] == 2 and again.counts["skipped"] == 1


def test_association_chosen_on_the_form_applies_to_a_file_without_the_column():
    assoc = AssociationFactory()
    org = OrganisationFactory()
    text = f"法人番号,加入日\n{org.corporate_number},2024-04-01\n"
    refused = preview(text, ImportRun.Kind.ASSOCIATION)
    assert refused.status == ImportRun.Status.REFUSED and "団体名がありません" in messages(refused, 2)
    run = preview(text, ImportRun.Kind.ASSOCIATION, options={"association_id": assoc.pk})
    services.commit_import(run, by=None)
    assert AssociationMembership.objects.get(organisation=org).association == assoc


def test_association_rows_with_unknown_association_or_bad_dates_are_rejected():
    org = OrganisationFactory()
    text = f"団体名,法人番号,加入日,退会日\n存在しない会,{org.corporate_number},2024-04-01,\n" + (
        f"{AssociationFactory().name},{org.corporate_number},2024-04-01,2023-01-01\n"
    )
    run = preview(text, ImportRun.Kind.ASSOCIATION)
    assert "登録されていません" in messages(run, 2) and "退会日が加入日より前" in messages(run, 3)


def test_commit_checks_again_and_refuses_if_the_data_changed():
    assoc = AssociationFactory()
    org = OrganisationFactory()
    run = preview(
        f"団体名,法人番号,加入日\n{assoc.name},{org.corporate_number},2024-04-01\n",
        ImportRun.Kind.ASSOCIATION,
    )
    assert run.can_import
    assoc.is_active = False  # withdrawn from the list of associations meanwhile
    assoc.save()
    done = services.commit_import(run, by=None)
    assert done.status == ImportRun.Status.REFUSED and done.counts["rejected"] == 1
    assert not AssociationMembership.objects.exists()


# --- bank statements (fees' import, with a preview) ---------------------------------------------------------------


@pytest.fixture
def open_invoice():
    from tests.backoffice.factories import invoice

    org = OrganisationFactory(name="株式会社ヤマダ製作所", name_kana="ヤマダセイサクショ")
    from tests.factories import membership_for

    m = membership_for(EstablishmentFactory(organisation=org))
    return invoice(m, total_yen=90_000)


def statement(amount):
    return (
        "booked_on,direction,amount_yen,payer_name_raw,description_raw\n"
        f"2026-07-01,in,{amount},ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,\n"
        "2026-07-02,out,500,,手数料\n"
        "2026-07-03,in,1234,ﾀﾅｶ ﾀﾛｳ,\n"
    )


def test_bank_statement_dry_run_shows_the_matches_and_writes_nothing(open_invoice):
    run = preview(statement(90_000), ImportRun.Kind.BANK_STATEMENT, options={"bank_format": "canonical"})
    assert run.status == ImportRun.Status.PREVIEWED
    assert open_invoice.number in messages(run, 2)
    assert "照合待ち" in messages(run, 4)
    assert not BankStatementImport.objects.exists() and not BankStatementLine.objects.exists()
    assert Invoice.objects.get(pk=open_invoice.pk).status == "ISSUED"
    assert not OutboxMessage.objects.exists()


def test_bank_statement_import_reuses_fees_and_a_second_import_changes_nothing(open_invoice):
    text = statement(90_000)
    run = services.commit_import(
        preview(text, ImportRun.Kind.BANK_STATEMENT, options={"bank_format": "canonical"}), by=None
    )
    assert run.status == ImportRun.Status.IMPORTED and run.result_ref.startswith("fees.bankstatementimport:")
    assert Invoice.objects.get(pk=open_invoice.pk).status == "PAID"
    assert BankStatementLine.objects.count() == 3
    again = services.commit_import(
        preview(text, ImportRun.Kind.BANK_STATEMENT, options={"bank_format": "canonical"}), by=None
    )
    assert again.counts["unchanged"] == 3 and again.counts["created"] == 0
    assert BankStatementImport.objects.count() == 1 and BankStatementLine.objects.count() == 3


def test_malformed_bank_statement_is_refused_with_its_line_number():
    bad = "booked_on,direction,amount_yen,payer_name_raw,description_raw\n2026-07-01,in,x,a,b\n"
    run = preview(bad, ImportRun.Kind.BANK_STATEMENT, options={"bank_format": "canonical"})
    assert run.status == ImportRun.Status.REFUSED and run.errors[0].startswith("2行目")


# --- screens ---------------------------------------------------------------------------------------------------


def test_upload_preview_import_and_report_through_the_screens(admin_client, company):
    upload = SimpleUploadedFile("council.csv", council_csv(ROW_LINKED, ROW_UNKNOWN).encode("cp932"))
    r = admin_client.post(reverse("backoffice:import_upload"), {"kind": "COUNCIL", "file": upload})
    run = ImportRun.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("backoffice:import_preview", args=[run.pk])
    page = admin_client.get(r["Location"]).content.decode()
    assert "ドライラン" in page and "Shift_JIS" in page and "本社工場" in page
    assert not CouncilRecord.objects.exists()
    report = admin_client.get(reverse("backoffice:import_report", args=[run.pk]))
    body = report.content
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("行,結果,メッセージ,協議会会員番号") and lines[1].startswith("2,新規,")
    r = admin_client.post(reverse("backoffice:import_commit", args=[run.pk]))
    assert r.status_code == 302 and CouncilRecord.objects.count() == 2


def test_refused_file_has_no_import_button_and_reports_rejected_rows(admin_client):
    run = preview(council_csv(ROW_LINKED.replace("4011001098993", "1123456789012")))
    page = admin_client.get(reverse("backoffice:import_preview", args=[run.pk])).content.decode()
    assert "チェックデジット" in page and reverse("backoffice:import_commit", args=[run.pk]) not in page
    r = admin_client.post(reverse("backoffice:import_commit", args=[run.pk]))
    assert not CouncilRecord.objects.exists()
    assert r.status_code == 302


def test_reviewers_may_not_import(reviewer_client):
    assert reviewer_client.get(reverse("backoffice:import_upload")).status_code == 403


def test_finance_may_import_bank_statements_and_association_lists_but_not_council_records(finance_client):
    page = finance_client.get(reverse("backoffice:import_upload")).content.decode()
    assert (
        'value="BANK_STATEMENT"' in page and 'value="ASSOCIATION"' in page and 'value="COUNCIL"' not in page
    )


def test_template_download_has_the_expected_header(admin_client):
    r = admin_client.get(reverse("backoffice:import_template", args=["COUNCIL"]))
    assert r.content.decode("utf-8-sig").strip().split(",")[:3] == ["協議会会員番号", "法人名", "事業所名"]


def test_relink_command_links_records_whose_company_registered_later():
    from django.core.management import call_command

    services.commit_import(preview(council_csv(ROW_UNKNOWN)), by=None)
    org = OrganisationFactory(corporate_number="7123456789012")
    est = EstablishmentFactory(organisation=org, name="大阪工場")
    out = io.StringIO()
    call_command("relink_council_records", stdout=out)
    assert "linked 1" in out.getvalue()
    assert CouncilRecord.objects.get().establishment == est


def test_an_unimported_preview_expires_and_its_file_is_deleted(company):
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from jaim.errors import DomainError

    run = preview(council_csv(ROW_LINKED))
    stored = run.stored_file
    assert default_storage.exists(stored)
    assert services.purge_import_files(now=timezone.now() + dt.timedelta(days=8)) == 1
    run.refresh_from_db()
    assert (
        run.status == ImportRun.Status.DISCARDED
        and run.stored_file == ""
        and not default_storage.exists(stored)
    )
    assert run.report  # the report stays
    with pytest.raises(DomainError):
        services.commit_import(run, by=None)
