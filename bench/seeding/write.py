"""Rows of every table from a plan (bench.seeding.plan), written with COPY (bench.bulk).

Each generator yields tuples in the order of the field list beside it. History rows (django-simple-history) are
the same values at each moment something changed, as the services' saves would have written them."""

import datetime as dt
import time
import uuid
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType

from applications.models import Application, PledgeAcceptance, ReviewMessage
from bench import bulk
from bench.bulk import Table
from bench.seeding.plan import Planner
from bench.seeding.records import at
from fees.models import (
    BillingContact,
    DebitItem,
    DebitMandate,
    DebitRun,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
)
from fees.services import customer_number
from jaim.models import AuditEvent
from jaim.validators import PREFECTURE_NAMES
from members.models import (
    Access,
    AssociationMembership,
    Establishment,
    IdentityChange,
    Membership,
    MembershipTerm,
    Organisation,
    SupportGrant,
    User,
)

UNUSABLE_PASSWORD = "!bench-seeded-user-without-password"  # noqa: S105 - Django: '!' = no usable password
HISTORY_FIELDS = ["history_date", "history_type", "history_change_reason", "history_user_id"]


class History:
    """Historical rows of `model` built from rows of its own Table's fields."""

    def __init__(self, model, fields: list[str]):
        hist = bulk.history_model(model)
        names = {f.attname for f in hist._meta.concrete_fields}
        self.keep = [i for i, a in enumerate(fields) if a in names]
        self.table = Table(hist, [fields[i] for i in self.keep] + HISTORY_FIELDS)

    def row(self, base: tuple, moment: dt.datetime, kind: str = "+", user_id=None) -> tuple:
        return tuple(base[i] for i in self.keep) + (moment, kind, None, user_id)


def address(a, line: str) -> str:
    return f"{PREFECTURE_NAMES[a.prefecture]}{a.city}{line}"


# The kind of company its name says (the representative's title must be one of that kind's, R8).
NAME_FORMS = [("株式会社", "kabushiki"), ("有限会社", "yugen"), ("合同会社", "godo"), ("合資会社", "goshi"),
              ("一般社団法人", "ippan_shadan"), ("協同組合", "kumiai")]  # fmt: skip


def representative_ids():
    """(legal_form_id, representative_title_id) of a planned company, from the seeded titles (members data)."""
    from members.models import RepresentativeTitle

    ids = {
        (t.legal_form.code, t.title): (t.legal_form_id, t.pk)
        for t in RepresentativeTitle.objects.select_related("legal_form")
    }

    def of(o):
        # The title decides when one kind holds it; else the kind the (first) name says, among those holding it.
        holders = [c for c, t in ids if t == o.title]
        if o.kind == "SOLE_PROPRIETOR":
            code = "sole"
        elif len(holders) == 1:
            code = holders[0]
        else:
            named = [c for word, c in NAME_FORMS if word in o.name]
            code = next((c for c in named if c in holders), holders[0])
        return ids[(code, o.title)]

    return of


def write_all(plan: Planner, *, log) -> dict:
    counts: dict[str, int] = {}

    def put(label, table, rows):
        t = time.perf_counter()
        written = bulk.write(table, rows)
        counts[label] = counts.get(label, 0) + written
        seconds[table.model._meta.db_table] = round(time.perf_counter() - t, 2)

    seconds: dict[str, float] = {}

    orgs = plan.orgs
    sites = [s for o in orgs for s in o.sites]
    mems = [m for s in sites for m in s.memberships]
    apps = [a for s in sites for a in s.apps]
    invoices = [i for m in mems for i in m.invoices]

    # --- people and companies -----------------------------------------------------------------------------
    user_fields = ["id", "email", "password", "full_name", "is_active", "is_staff", "is_superuser",
                   "email_verified_at", "date_joined"]  # fmt: skip
    users, user_hist = Table(User, user_fields), History(User, user_fields)

    def user_rows():
        for o in orgs:
            yield (o.user_id, o.email, UNUSABLE_PASSWORD, o.user_name, True, False, False,
                   o.created - dt.timedelta(minutes=10), o.created - dt.timedelta(minutes=15))  # fmt: skip

    rows = list(user_rows())
    put("users", users, rows)
    put("history", user_hist.table, (user_hist.row(r, r[-1]) for r in rows))

    org_fields = ["id", "kind", "corporate_number", "name", "name_kana", "legal_form_id", "representative_title_id",
                  "representative_name", "capital_yen", "regular_employees", "sme_verified_on",
                  "is_support_organisation", "support_registration_number", "postal_code", "prefecture", "city",
                  "address_line", "phone", "created_at", "updated_at"]  # fmt: skip
    org_table, org_hist = Table(Organisation, org_fields), History(Organisation, org_fields)

    representative = representative_ids()

    def org_row(o, name, kana, updated):
        a = o.address
        form_id, title_id = representative(o)
        return (o.id, o.kind, o.corporate_number, name, kana, form_id, title_id, o.representative, o.capital,
                o.employees,
                o.sme_verified_on, o.is_support, o.support_reg, a.postal_code, a.prefecture, a.city, o.line, o.phone,
                o.created, updated)  # fmt: skip

    put("organisations", org_table,
        (org_row(o, o.name, o.kana, o.renamed[2] if o.renamed else o.created) for o in orgs))  # fmt: skip

    def org_history():
        for o in orgs:
            if o.renamed:
                old, old_kana, moment = o.renamed
                yield org_hist.row(org_row(o, old, old_kana, o.created), o.created, "+", o.user_id)
                yield org_hist.row(org_row(o, o.name, o.kana, moment), moment, "~")
            else:
                yield org_hist.row(org_row(o, o.name, o.kana, o.created), o.created, "+", o.user_id)

    put("history", org_hist.table, org_history())

    access_fields = ["id", "user_id", "organisation_id", "establishment_id", "can_manage", "granted_by_id",
                     "created_at"]  # fmt: skip
    access_table, access_hist = Table(Access, access_fields), History(Access, access_fields)
    rows = [(o.access_id, o.user_id, o.id, None, True, None, o.created) for o in orgs]
    put("accesses", access_table, rows)
    put("history", access_hist.table, (access_hist.row(r, r[-1], "+", r[1]) for r in rows))

    put(
        "association_memberships",
        Table(AssociationMembership, ["organisation_id", "association_id", "applied_on", "complete_on"]),
        ((o.id, aid, applied, complete) for o in orgs for aid, applied, complete in o.associations),
    )

    # --- establishments -------------------------------------------------------------------------------------
    est_fields = ["id", "organisation_id", "name", "name_kana", "employment_insurance_number", "operating_since",
                  "public_id", "postal_code", "prefecture", "city", "address_line", "phone", "created_at",
                  "updated_at"]  # fmt: skip
    est_table, est_hist = Table(Establishment, est_fields), History(Establishment, est_fields)
    public_ids = {s.id: uuid.UUID(int=plan.rng.getrandbits(128), version=4) for s in sites}

    def est_row(s, name, kana, a, line, updated):
        return (s.id, s.org.id, name, kana, s.eins, s.operating_since, public_ids[s.id], a.postal_code, a.prefecture,
                a.city, line, s.phone, s.created, updated)  # fmt: skip

    put("establishments", est_table,
        (est_row(s, s.name, s.kana, s.address, s.line, s.old[4] if s.old else s.created) for s in sites))  # fmt: skip

    def est_history():
        for s in sites:
            if s.old:
                name, kana, a, line, moment = s.old
                yield est_hist.row(est_row(s, name, kana, a, line, s.created), s.created, "+", s.org.user_id)
                later = moment + dt.timedelta(seconds=1)  # saved just after the change's own row
                yield est_hist.row(est_row(s, s.name, s.kana, s.address, s.line, later), later, "~")
            else:
                yield est_hist.row(est_row(s, s.name, s.kana, s.address, s.line, s.created), s.created, "+",
                                   s.org.user_id)  # fmt: skip

    put("history", est_hist.table, est_history())

    grant_fields = ["establishment_id", "support_organisation_id", "granted_by_id", "granted_at"]
    grants = [(s.id, s.grant[0], s.org.user_id, s.grant[1]) for s in sites if s.grant]
    grant_hist = History(SupportGrant, ["id", *grant_fields])
    first_grant = bulk.next_id(SupportGrant)
    grant_rows = [(first_grant + i, *g) for i, g in enumerate(grants)]
    put("support_grants", Table(SupportGrant, ["id", *grant_fields]), grant_rows)
    put("history", grant_hist.table, (grant_hist.row(r, r[-1], "+", r[3]) for r in grant_rows))

    contact_fields = ["organisation_id", "establishment_id", "addressee", "department", "person_name", "email",
                      "postal_code", "prefecture", "city", "address_line", "phone"]  # fmt: skip

    def contact_rows():
        keys = contact_fields[2:]
        for o in orgs:
            if o.contact:
                yield (o.id, None, *(o.contact[k] for k in keys))
            for s in o.sites:
                if s.contact:
                    yield (None, s.id, *(s.contact[k] for k in keys))

    put("billing_contacts", Table(BillingContact, contact_fields), contact_rows())

    # --- memberships ----------------------------------------------------------------------------------------
    mem_fields = ["id", "establishment_id", "member_number", "status", "fee_notice_date", "activated_on",
                  "withdrawal_requested_at", "withdrawal_effective_on", "withdrawal_reason", "withdrawn_on",
                  "lapsed_on", "created_at"]  # fmt: skip
    mem_table, mem_hist = Table(Membership, mem_fields), History(Membership, mem_fields)

    def mem_states(m):
        """(moment, actor, row) after each move, oldest first."""
        state = dict(status="", activated=None, req=None, eff=None, reason="", withdrawn=None, lapsed=None)
        created = m.moves[0][0]
        for moment, _frm, to, _note, actor in m.moves:
            state["status"] = to
            if to == "ACTIVE":
                state["activated"] = m.activated
                state["lapsed"] = None
            elif to == "WITHDRAWAL_REQUESTED":
                state.update(req=m.requested_at, eff=m.effective_on, reason=m.reason)
            elif to == "WITHDRAWN":
                state.update(withdrawn=m.withdrawn, reason=m.reason)
            elif to == "LAPSED":
                state["lapsed"] = moment.astimezone(plan_tz).date()
            yield moment, actor, (m.id, m.site.id, m.number, state["status"], m.decided, state["activated"],
                                  state["req"], state["eff"], state["reason"], state["withdrawn"], state["lapsed"],
                                  created)  # fmt: skip

    from bench.seeding.records import TOKYO as plan_tz

    def mem_rows():
        for m in mems:
            *_, last = mem_states(m)
            yield last[2]

    put("memberships", mem_table, mem_rows())

    def mem_history():
        for m in mems:
            for i, (moment, actor, row) in enumerate(mem_states(m)):
                yield mem_hist.row(row, moment, "+" if i == 0 else "~", actor)

    put("history", mem_hist.table, mem_history())
    through = Membership.jsic_codes.through
    put("membership_jsic", Table(through, ["membership_id", "jsiccode_id"]),
        ((m.id, code) for m in mems for code in m.codes))  # fmt: skip
    put("membership_terms",
        Table(MembershipTerm, ["membership_id", "fiscal_year", "renewal_answer", "answered_at", "answered_by_id",
                               "created_at"]),
        ((m.id, fy, answer, moment, m.site.org.user_id, moment) for m in mems for fy, answer, moment in m.terms))  # fmt: skip

    # --- identity changes (R13, R14) ------------------------------------------------------------------------
    change_fields = ["id", "establishment_id", "kind", "old_organisation_name", "old_establishment_name",
                     "old_address", "new_organisation_name", "new_establishment_name", "new_postal_code",
                     "new_prefecture", "new_city", "new_address_line", "accepted_on", "effective_on",
                     "follow_up_due_on", "follow_up_done_on", "created_at"]  # fmt: skip
    change_table, change_hist = Table(IdentityChange, change_fields), History(IdentityChange, change_fields)
    changes = [s.change for s in sites if s.change]

    def change_row(c, effective, done):
        a = c.new_address
        return (c.id, c.site.id, c.kind, c.old_org, c.old_est, c.old_address, c.new_org, c.new_est,
                a.postal_code if a else "", a.prefecture if a else "", a.city if a else "", c.new_line, c.accepted,
                effective, c.due, done, at(c.accepted))  # fmt: skip

    put("identity_changes", change_table, (change_row(c, c.effective, c.done) for c in changes))

    def change_history():
        for c in changes:
            yield change_hist.row(change_row(c, None, None), at(c.accepted), "+")
            if c.effective:
                yield change_hist.row(change_row(c, c.effective, None), at(c.effective, 7 * 60), "~")
            if c.done:
                yield change_hist.row(change_row(c, c.effective, c.done), at(c.done), "~")

    put("history", change_hist.table, change_history())

    # --- money ----------------------------------------------------------------------------------------------
    mandates = [s.mandate for s in sites if s.mandate]
    put("debit_mandates",
        Table(DebitMandate, ["id", "establishment_id", "bank_code", "bank_name_kana", "branch_code",
                             "branch_name_kana", "account_type", "account_number", "holder_kana", "payer_id", "status",
                             "first_debit_done", "registered_by_id", "created_at"]),
        ((md.id, md.site.id, md.bank, md.bank_kana, md.branch, md.branch_kana, "1", md.account, md.holder,
          md.payer_id, "ACTIVE", md.first_done, md.site.org.user_id, md.created) for md in mandates))  # fmt: skip

    inv_fields = ["id", "number", "membership_id", "fiscal_year", "kind", "method", "status", "issue_date",
                  "due_date", "notice_date", "total_yen", "buyer_name", "buyer_department", "buyer_person",
                  "buyer_postal_code", "buyer_address", "member_number", "establishment_name", "payer_id",
                  "is_sample", "paid_on", "issued_by_id", "created_at"]  # fmt: skip
    put("invoices", Table(Invoice, inv_fields),
        ((i.id, i.number, i.mem.id, i.fy, i.kind, i.method, i.status, i.issue, i.due, i.notice, i.total, *i.buyer,
          i.mem.number, i.est_name, i.payer_id, i.quote.is_sample, i.paid_on, i.issued_by, i.events[0][0])
         for i in invoices))  # fmt: skip
    put("invoice_lines",
        Table(InvoiceLine, ["invoice_id", "position", "kind", "description", "amount_yen"]),
        ((i.id, n, line.kind, line.description, line.amount_yen)
         for i in invoices for n, line in enumerate(i.quote.lines, start=1)))  # fmt: skip

    paid = [i for i in invoices if i.payment]
    first_payment = bulk.next_id(Payment)
    payment_ids = {i.id: first_payment + n for n, i in enumerate(paid)}
    put("payments",
        Table(Payment, ["id", "method", "received_on", "amount_yen", "payer_name", "reference", "recorded_by_id",
                        "created_at"]),
        ((payment_ids[i.id], i.payment[0], i.payment[1], i.total, i.payment[2], i.payment[3], i.payment[4],
          at(i.payment[1], 15 * 60)) for i in paid))  # fmt: skip
    put("allocations", Table(PaymentAllocation, ["payment_id", "invoice_id", "amount_yen"]),
        ((payment_ids[i.id], i.id, i.total) for i in paid))  # fmt: skip

    by_date = defaultdict(list)
    for i in invoices:
        if i.debit:
            by_date[i.debit[0]].append(i)
    items = []
    for day in sorted(by_date):
        batch = by_date[day]
        run = DebitRun.objects.create(
            collection_date=day,
            status=DebitRun.Status.RESULT_IMPORTED,
            total_count=len(batch),
            total_yen=sum(i.total for i in batch),
            created_by_id=plan.ctx.finance_id,
            result_imported_at=at(day + dt.timedelta(days=3)),
        )
        for i in batch:
            md = i.mem.site.mandate
            new_code = "1" if i is next(x for x in i.mem.invoices if x.debit) else "0"
            items.append((run.id, i.id, md.id, customer_number(i.mem.number), i.total, new_code, i.debit[1]))
    put("debit_items", Table(DebitItem, ["run_id", "invoice_id", "mandate_id", "customer_number", "amount_yen",
                                         "new_code", "result_code"]), items)  # fmt: skip

    # --- applications ---------------------------------------------------------------------------------------
    optional = sorted({k for a in apps for k in a.fields})
    blanks = [_blank(k) for k in optional]
    app_fields = ["id", "kind", "status", "establishment_id", "receipt_number", "created_by_id", "created_at",
                  "updated_at", "submitted_at", *optional]  # fmt: skip
    put("applications", Table(Application, app_fields),
        ((a.id, a.kind, a.status, a.site.id, a.receipt or None, a.site.org.user_id, a.created,
          a.moves[-1][0] if a.moves else a.created, a.submitted,
          *(a.fields.get(k, blank) for k, blank in zip(optional, blanks, strict=True)))
         for a in apps))  # fmt: skip
    put("application_codes", Table(Application.requested_codes.through, ["application_id", "jsiccode_id"]),
        ((a.id, code) for a in apps for code in a.codes))  # fmt: skip

    def messages():
        for a in apps:
            for kind, message, deadline, moment, author in a.messages:
                yield (a.id, kind, message, deadline, author, moment)
            if a.status == "APPROVED":
                yield (a.id, "APPROVE", approval_note(a), None, a.moves[-1][4], a.moves[-1][0])

    put("review_messages",
        Table(ReviewMessage, ["application_id", "kind", "message", "deadline", "author_id", "created_at"]),
        messages())  # fmt: skip
    pledges = plan.ctx.pledges
    put("pledge_acceptances",
        Table(PledgeAcceptance, ["application_id", "pledge_id", "accepted_by_id", "accepted_at"]),
        ((a.id, p, a.site.org.user_id, a.submitted) for a in apps if a.pledged for p in pledges.get(a.kind, [])))  # fmt: skip

    # --- audit rows -----------------------------------------------------------------------------------------
    ct = {
        m: ContentType.objects.get_for_model(m).id for m in (Membership, Invoice, Application, IdentityChange)
    }

    def audits():
        for m in mems:
            for moment, frm, to, note, actor in m.moves:
                yield (ct[Membership], str(m.id), f"status:{to}", frm, to, actor, note, moment)
        for i in invoices:
            for moment, action, frm, to, note, actor in i.events:
                yield (ct[Invoice], str(i.id), action, frm, to, actor, note, moment)
        for a in apps:
            for k, (moment, frm, to, note, actor) in enumerate(a.moves):
                if to == "APPROVED" and k == len(a.moves) - 1:
                    note = approval_note(a)
                yield (ct[Application], str(a.id), f"status:{to}", frm, to, actor, note, moment)
        for c in changes:
            yield (ct[IdentityChange], str(c.id), "accepted", "", "", None, "", at(c.accepted))
            if c.effective:
                yield (ct[IdentityChange], str(c.id), "effective", "", "", None, str(c.effective),
                       at(c.effective, 7 * 60))  # fmt: skip
            if c.done:
                yield (ct[IdentityChange], str(c.id), "follow_up_done", "", "", None, "", at(c.done))

    put("audit_events",
        Table(AuditEvent, ["content_type_id", "object_id", "action", "from_status", "to_status", "actor_id", "note",
                           "created_at"]),
        audits())  # fmt: skip
    slowest = sorted(seconds.items(), key=lambda kv: -kv[1])[:8]
    log("slowest tables: " + ", ".join(f"{name} {s} s" for name, s in slowest))
    return counts


def approval_note(a) -> str:
    """The note approve_application writes: the member number, or the follow-up due date of a change."""
    if a.kind in ("NAME_CHANGE", "RELOCATION"):
        return str(a.site.change.due) if a.site.change else ""
    return a.mem.number if a.mem else ""


def _blank(attname: str):
    field = Application._meta.get_field(attname.removesuffix("_id") if attname.endswith("_id") else attname)
    if field.null:
        return None
    return False if field.get_internal_type() == "BooleanField" else ""
