"""Each application rule by its behaviour (domain.md R1, R4–R6, §3 add-ons, §4 documents, F3, F4)."""

import datetime as dt

import pytest
import time_machine

from applications import selectors, services
from applications.models import (
    AddonAssociation,
    Application,
    DocumentType,
    PledgeAcceptance,
    PledgeText,
    Requirement,
)
from jaim.errors import DomainError
from members import services as member_services
from members.models import Membership
from tests.applications.factories import (
    add_doc,
    applicant,
    complete,
    draft,
    member_establishment,
    reviewer,
)
from tests.factories import AssociationFactory, EstablishmentFactory, membership_for, withdraw

pytestmark = pytest.mark.django_db


def unmet(app):
    return {n.key: n for n in selectors.missing(Application.objects.get(pk=app.pk))}


# --- R1, R12: one establishment, one open NEW application / membership ------------------------------------


def test_second_open_new_application_for_the_same_establishment_is_refused():
    user, est = applicant()
    draft(est, user)
    with pytest.raises(DomainError) as exc:
        services.create_application(est, kind="NEW", by=user)
    assert exc.value.code == "open_application_exists"
    assert Application.objects.filter(establishment=est).count() == 1


def test_new_application_for_an_establishment_that_is_already_a_member_is_refused():
    user, est, _m = member_establishment()
    with pytest.raises(DomainError, match="既に会員"):
        services.create_application(est, kind="NEW", by=user)


def test_two_establishments_of_one_company_each_apply_on_their_own():
    """R1: two sites = two applications."""
    user, est = applicant()
    other = EstablishmentFactory(organisation=est.organisation)
    draft(est, user)
    draft(other, user)
    assert Application.objects.filter(establishment__organisation=est.organisation).count() == 2


def test_rejoining_after_withdrawal_is_a_new_application():
    """R12."""
    user, est, m = member_establishment()
    m = member_services.activate_membership(m, on=dt.date.today())  # the first fee paid (R9)
    withdraw(m, on=dt.date.today())
    assert services.create_application(est, kind="NEW", by=user).status == Application.Status.DRAFT


def test_a_cancelled_application_does_not_block_a_new_one():
    user, est = applicant()
    services.cancel_application(draft(est, user), by=user)
    assert services.create_application(est, kind="NEW", by=user)


@pytest.mark.parametrize("kind", ["ADD_CLASSIFICATION", "NAME_CHANGE", "RELOCATION"])
def test_changes_need_an_existing_membership(kind):
    user, est = applicant()
    with pytest.raises(DomainError, match="有効な会員資格がありません"):
        services.create_application(est, kind=kind, by=user)


def test_submitting_new_is_refused_if_the_site_became_a_member_meanwhile():
    user, est = applicant()
    app = complete(draft(est, user), user)
    membership_for(est)
    with pytest.raises(DomainError, match="既に会員"):
        services.submit_application(app, by=user)


# --- JSIC codes -------------------------------------------------------------------------------------------


def test_only_eligible_detail_codes_can_be_requested_and_the_reason_is_given():
    user, est = applicant()
    app = draft(est, user, codes=())
    with pytest.raises(DomainError, match="対象外"):
        services.add_requested_code(app, "2591", by=user)  # explicitly excluded (消火器具)
    with pytest.raises(DomainError, match="対象となる産業分類ではありません"):
        services.add_requested_code(app, "0111", by=user)  # agriculture
    with pytest.raises(DomainError, match="細分類"):
        services.add_requested_code(app, "259", by=user)
    with pytest.raises(DomainError, match="存在しません"):
        services.add_requested_code(app, "X123", by=user)
    services.add_requested_code(app, "2592", by=user)
    assert [c.code for c in selectors.requested_codes(app)] == ["2592"]


def test_add_classification_refuses_a_code_the_member_already_has():
    """R4."""
    user, est, _m = member_establishment(codes=("2592",))
    app = draft(est, user, kind="ADD_CLASSIFICATION", codes=())
    with pytest.raises(DomainError, match="既に会員として登録"):
        services.add_requested_code(app, "2592", by=user)


def test_no_code_blocks_submit():
    user, est = applicant()
    app = complete(draft(est, user, codes=()), user)
    with pytest.raises(DomainError, match="産業分類を1つ以上"):
        services.submit_application(app, by=user)


def test_requested_add_ons_are_recorded_for_the_queue_filter():
    user, est = applicant()
    app = draft(est, user, codes=("1511", "2592"))
    assert Application.objects.get(pk=app.pk).addon_summary == "printing"


# --- §3 textile ---------------------------------------------------------------------------------------------


def test_textile_needs_all_four_add_on_requirements():
    user, est = applicant()
    app = complete(draft(est, user, codes=("1121",)), user)
    labels = [n.label for n in unmet(app).values()]
    assert sum(label.startswith("繊維工業 (") for label in labels) == 4
    with pytest.raises(DomainError, match="繊維工業 \\(a\\)"):
        services.submit_application(app, by=user)


def _textile_ready(app, user, certificate_until):
    add_doc(app, user, "textile_hr_certificate", valid_until=certificate_until, issuer="OEKO-TEX")
    for code in ("textile_attendance", "textile_partnership", "textile_monthly_pay"):
        add_doc(app, user, code)


def test_textile_certificate_must_be_valid_three_months_after_the_application_date():
    user, est = applicant()
    with time_machine.travel(dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)):
        app = complete(draft(est, user, codes=("1121",)), user)
        _textile_ready(app, user, dt.date(2026, 8, 31))
        problems = unmet(app)
        req_key = next(k for k, n in problems.items() if n.label.startswith("繊維工業 (a)"))
        assert "3か月以上有効" in problems[req_key].problem
        add_doc(app, user, "textile_hr_certificate", valid_until=dt.date(2026, 9, 1))
        assert req_key not in unmet(app)


def test_textile_certificate_needs_its_expiry_date():
    user, est = applicant()
    app = draft(est, user, codes=("1121",))
    with pytest.raises(DomainError, match="有効期限"):
        add_doc(app, user, "textile_hr_certificate")


def test_textile_substitute_documents_satisfy_a_and_switch_the_evidence_template():
    """FAQ 2-3-6: 11-substitute while certification is in progress."""
    user, est = applicant()
    app = draft(est, user, codes=("1121",))
    assert selectors.evidence_templates(app) == ["11"]
    add_doc(app, user, "textile_hr_substitute")
    assert selectors.evidence_templates(app) == ["11-substitute"]
    assert not any(n.label.startswith("繊維工業 (a)") for n in unmet(app).values())


def test_evidence_templates_follow_the_requested_codes():
    user, est = applicant()
    app = draft(est, user, codes=("2592", "1821", "2462"))
    assert sorted(selectors.evidence_templates(app)) == ["18", "2462-2464-2469", "other"]
    keys = unmet(app)
    assert {"shipment-18", "shipment-2462-2464-2469", "shipment-other"} <= set(keys)


# --- §3 printing / packing -----------------------------------------------------------------------------------


def test_printing_needs_the_membership_card_of_a_listed_association_and_the_cooperative_certificate():
    """FAQ 2-3-3 … 2-3-5, 2-1-4."""
    user, est = applicant()
    app = complete(draft(est, user, codes=("1511",)), user)
    unlisted = AssociationFactory(name="どこかの印刷団体")
    add_doc(app, user, "association_member_card", association=unlisted)
    problems = unmet(app)
    card = next(n for n in problems.values() if "会員証" in n.label)
    assert "対象団体が発行したもの" in card.problem
    listed = AddonAssociation.objects.get(
        addon="printing", association__name="全日本製本工業組合連合会"
    ).association
    add_doc(app, user, "association_member_card", association=listed)  # one of them is enough (FAQ 2-3-5)
    problems = unmet(app)
    assert not any("会員証" in n.label for n in problems.values())
    assert any("組合加盟証明書" in n.label for n in problems.values())
    add_doc(app, user, "cooperative_certificate")
    assert unmet(app) == {}


def test_member_card_must_name_its_association():
    user, est = applicant()
    app = draft(est, user, codes=("1511",))
    with pytest.raises(DomainError, match="団体を選んで"):
        add_doc(app, user, "association_member_card")


def test_packing_without_a_designated_association_tells_the_applicant_to_ask():
    user, est = applicant()
    app = complete(draft(est, user, codes=("4841",)), user)
    assert "事務局にお問い合わせ" in unmet(app)["addon-assoc-packing"].problem


def test_packing_association_added_by_staff_is_accepted():
    user, est = applicant()
    assoc = AssociationFactory(name="指定こん包団体")
    AddonAssociation.objects.create(addon="packing", association=assoc)
    app = complete(draft(est, user, codes=("4841",)), user)
    add_doc(app, user, "association_member_card", association=assoc)
    add_doc(app, user, "cooperative_certificate")
    assert unmet(app) == {}


def test_requirement_rules_are_data_a_new_row_is_needed_at_once():
    user, est = applicant()
    app = complete(draft(est, user, codes=("2592",)), user)
    assert unmet(app) == {}
    t = DocumentType.objects.create(code="extra", name="追加の書類", step="addon")
    from members.models import JsicCode

    req = Requirement.objects.create(label="25中分類の追加書類", jsic=JsicCode.objects.get(code="25"))
    req.document_types.set([t])
    assert "25中分類の追加書類" in unmet(app)[f"req-{req.pk}"].problem
    req.is_active = False
    req.save()
    assert unmet(app) == {}


# --- R5 shipments ---------------------------------------------------------------------------------------------


def test_a_site_without_shipments_in_the_last_12_months_cannot_submit():
    """R5, FAQ 3-2-4."""
    user, est = applicant()
    app = complete(draft(est, user), user)
    services.save_answers(app, step="shipment", data={"had_shipments": False}, by=user)
    with pytest.raises(DomainError, match="稼働前の事業所は申請できません"):
        services.submit_application(app, by=user)


def test_amounts_that_cannot_be_shown_need_the_written_reason():
    """FAQ 2-3-7."""
    user, est = applicant()
    app = complete(draft(est, user), user)
    services.save_answers(
        app,
        step="shipment",
        data={"had_shipments": True, "ships_within_company": True, "amounts_unavailable": True},
        by=user,
    )
    with pytest.raises(DomainError, match="金額を示せない理由"):
        services.submit_application(app, by=user)
    services.save_answers(
        app, step="shipment", data={"amounts_unavailable_reason": "100％本社向けの部品製造のため"}, by=user
    )
    assert services.submit_application(app, by=user).status == Application.Status.SUBMITTED


# --- FAQ 2-7-2 images --------------------------------------------------------------------------------------


def test_images_can_be_replaced_by_a_reason_and_an_explanation_with_an_optional_contract():
    user, est = applicant()
    app = draft(est, user)
    services.save_answers(app, step="shipment", data={"had_shipments": True}, by=user)
    add_doc(app, user, "shipment_evidence", evidence_template="other")
    services.accept_pledges(app, pledge_ids=[p.pk for p in selectors.current_pledges("NEW")], by=user)
    assert {"images-product_image", "images-factory_image"} <= set(unmet(app))
    services.save_answers(app, step="images", data={"images_restricted": True}, by=user)
    assert {"images_reason", "use_explanation"} <= set(unmet(app))
    services.save_answers(
        app,
        step="images",
        data={
            "images_restriction_reason": "顧客との契約で持出し不可",
            "product_use_explanation": "車のブレーキ部品",
        },
        by=user,
    )
    assert unmet(app) == {}  # the contract is optional
    assert services.submit_application(app, by=user).status == Application.Status.SUBMITTED


# --- F3 SME, F4 association -----------------------------------------------------------------------------------


def test_sme_claim_needs_the_proof_type_and_its_document():
    user, est = applicant()
    app = complete(draft(est, user), user)
    services.save_answers(
        app,
        step="sme",
        data={"sme_claimed": True, "capital_yen": 10_000_000, "regular_employees": 20},
        by=user,
    )
    assert {"sme_proof_type", "sme-proof"} <= set(unmet(app))
    services.save_answers(app, step="sme", data={"sme_proof_type": "WITHHOLDING_TAX"}, by=user)
    add_doc(app, user, "sme_proof")
    assert unmet(app) == {}


def test_a_company_above_both_thresholds_cannot_claim_the_sme_discount():
    user, est = applicant()
    app = complete(draft(est, user), user)
    services.save_answers(
        app,
        step="sme",
        data={
            "sme_claimed": True,
            "capital_yen": 500_000_000,
            "regular_employees": 1000,
            "sme_proof_type": "FINANCIAL_STATEMENTS",
        },
        by=user,
    )
    add_doc(app, user, "sme_proof")
    assert "基準" in unmet(app)["sme"].problem


def test_association_proof_is_needed_only_where_the_association_requires_it():
    """FAQ 2-4-6."""
    user, est = applicant()
    app = complete(draft(est, user), user)
    listed = AssociationFactory(proof_required=False)
    services.save_answers(app, step="association", data={"association": listed}, by=user)
    assert unmet(app) == {}
    needs_proof = AssociationFactory(proof_required=True)
    services.save_answers(app, step="association", data={"association": needs_proof}, by=user)
    assert "association-proof" in unmet(app)
    add_doc(app, user, "association_proof")
    assert unmet(app) == {}


def test_group_discount_association_must_be_a_regular_member_and_completion_not_in_the_future():
    user, est = applicant()
    app = draft(est, user)
    with pytest.raises(DomainError, match="正会員団体"):
        services.save_answers(
            app,
            step="association",
            data={"association": AssociationFactory(is_regular_member=False)},
            by=user,
        )
    with pytest.raises(DomainError, match="未来の日付"):
        services.save_answers(
            app,
            step="association",
            data={
                "association": AssociationFactory(),
                "association_complete_on": dt.date.today() + dt.timedelta(1),
            },
            by=user,
        )


def test_payer_must_be_a_support_organisation_the_site_granted():
    """F12."""
    from tests.factories import head_office

    user, est = applicant()
    _, stranger = head_office(is_support_organisation=True)
    app = draft(est, user)
    with pytest.raises(DomainError, match="委任している登録支援機関"):
        services.save_answers(app, step="establishment", data={"payer": stranger}, by=user)


# --- R6 pledges ------------------------------------------------------------------------------------------------


def test_pledge_acceptance_stores_version_user_and_time_and_a_new_version_needs_acceptance_again():
    user, est = applicant()
    app = complete(draft(est, user), user)
    acc = PledgeAcceptance.objects.get(application=app, pledge__code="code_of_conduct")
    assert (acc.pledge.version, acc.accepted_by, acc.accepted_at is not None) == (1, user, True)
    v2 = PledgeText.objects.create(
        code="code_of_conduct", version=2, title="JAIM行動規範の遵守", body="第2版の本文"
    )
    assert f"pledge-{v2.code}" in unmet(app)
    services.accept_pledges(app, pledge_ids=[p.pk for p in selectors.current_pledges("NEW")], by=user)
    assert PledgeAcceptance.objects.filter(application=app, pledge=v2).exists()
    assert PledgeAcceptance.objects.filter(
        application=app, pledge__version=1, pledge__code="code_of_conduct"
    ).exists()


def test_accepting_only_some_pledges_is_refused():
    user, est = applicant()
    app = draft(est, user)
    first = selectors.current_pledges("NEW")[0]
    with pytest.raises(DomainError, match="誓約に同意"):
        services.accept_pledges(app, pledge_ids=[first.pk], by=user)
    assert not PledgeAcceptance.objects.filter(application=app).exists()


# --- the draft ---------------------------------------------------------------------------------------------------


def test_a_submitted_application_cannot_be_edited():
    user, est = applicant()
    app = services.submit_application(complete(draft(est, user), user), by=user)
    for call in (
        lambda: services.save_answers(app, step="shipment", data={"had_shipments": True}, by=user),
        lambda: services.add_requested_code(app, "2651", by=user),
        lambda: add_doc(app, user, "product_image"),
    ):
        with pytest.raises(DomainError, match="変更できません"):
            call()


def test_a_step_saves_only_its_own_fields():
    user, est = applicant()
    app = draft(est, user)
    services.save_answers(
        app, step="shipment", data={"had_shipments": True, "withdrawal_reason": "x"}, by=user
    )
    app = Application.objects.get(pk=app.pk)
    assert app.had_shipments is True and app.withdrawal_reason == ""


def test_the_draft_resumes_after_the_furthest_step_saved():
    user, est = applicant()
    app = draft(est, user)
    services.save_answers(app, step="shipment", data={"had_shipments": True}, by=user)
    assert selectors.resume_step(Application.objects.get(pk=app.pk)) == "images"


def test_approval_of_new_gives_a_membership_awaiting_payment(billed):
    user, est = applicant()
    app = services.submit_application(complete(draft(est, user), user), by=user)
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(app, reviewer=staff)
    m = Membership.objects.get(establishment=est)
    assert m.status == Membership.Status.AWAITING_PAYMENT
    assert billed[0]["membership"] == m and billed[0]["notice_date"] == m.fee_notice_date
