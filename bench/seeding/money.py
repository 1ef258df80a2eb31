"""Money in the stories: memberships and their moves, first-year invoices and payments (R9), renewals by direct
debit each February (F7, F8) collected or failed, mandates, lapse and reinstatement."""

import datetime as dt
import functools
from dataclasses import dataclass

from bench.seeding.records import App, Inv, Mandate, Mem, Site, at, days, pref_name
from jaim.dates import fiscal_year_of


class Money:
    """Planner methods about memberships and fees (mixed into bench.seeding.plan.Planner)."""

    def membership(self, site: Site, app: App, decided: dt.date) -> Mem:
        reviewer = app.fields.get("decided_by_id")
        mem = Mem(
            id=self.next("membership"),
            site=site,
            status="AWAITING_PAYMENT",
            codes=list(app.codes),
            decided=decided,
        )
        mem.moves.append((app.moves[-1][0], "", "AWAITING_PAYMENT", "", reviewer))
        app.mem = mem
        site.memberships.append(mem)
        org = site.org
        if org.sme_verified_on is None and app.fields.get("sme_claimed") and self.rng.random() < 0.85:
            org.sme_verified_on = decided
        self.invoice(mem, fy=fiscal_year_of(decided), first_year=True, issue=decided, by=reviewer,
                     application_date=app.submitted.date() if app.submitted else decided)  # fmt: skip
        return mem

    def move(self, mem: Mem, moment: dt.datetime, to: str, *, note: str = "", actor=None) -> None:
        mem.moves.append((moment, mem.status, to, note, actor))
        mem.status = to

    def activate(self, mem: Mem) -> None:
        rng = self.rng
        paid = min(mem.decided + days(rng.randint(5, 40)), self.today - days(1))
        paid = max(paid, mem.decided)
        inv = mem.invoices[-1]
        org = mem.site.org
        self.pay(
            inv, paid, method="TRANSFER", payer_name=self.names.payer_kana(org.kana), by=self.ctx.finance_id
        )
        mem.activated = paid
        self.move(mem, inv.events[-1][0], "ACTIVE", actor=self.ctx.finance_id)

    def pay(self, inv: Inv, on: dt.date, *, method: str, payer_name: str, by, reference: str = "") -> None:
        moment = self.moment(on)
        if inv.events and moment <= inv.events[-1][0]:
            moment = inv.events[-1][0] + dt.timedelta(minutes=5)
        inv.payment = (method, on, payer_name, reference, by)
        method_label = "銀行振込" if method == "TRANSFER" else "口座振替"
        inv.events.append((moment, "payment", "", "", f"{inv.total} ({method_label} {on})", by))
        inv.events.append((moment, "status:PAID", inv.status, "PAID", "", by))
        inv.status, inv.paid_on = "PAID", on

    def renewals(self, mem: Mem, *, failing: bool) -> None:
        """Each February since joining: next year's invoice by direct debit (F7), collected (or not)."""
        site, rng = mem.site, self.rng
        for fy in self.renewal_years:
            run_day = dt.date(fy, 2, 2)
            if mem.activated is None or fiscal_year_of(mem.decided) >= fy:
                continue
            catch_up = mem.activated >= run_day
            issue = mem.activated + days(1) if catch_up else run_day
            if issue > self.today:
                continue
            if mem.status != "ACTIVE" or (mem.withdrawn and mem.withdrawn <= issue):
                continue
            mem.terms.append((fy - 1, "CONTINUE", self.moment(run_day + days(rng.randint(1, 20)))))
            if site.mandate is None:
                self.mandate(site, mem, before=issue)
            inv = self.invoice(mem, fy=fy, first_year=False, issue=issue, by=None)
            collection = self.ctx.debit_dates[fy]
            if catch_up:  # the next monthly collection at least 20 days after the late invoice
                c = issue + days(20)
                collection = dt.date(c.year, c.month, 27) if c.day <= 27 else (
                    dt.date(c.year + (c.month == 12), c.month % 12 + 1, 27))  # fmt: skip
            if mem.withdrawn and collection >= mem.withdrawn:
                continue
            if collection > self.today:
                continue
            if failing and fy == self.renewal_years[0]:
                inv.debit = (collection, "1")
                inv.events.append((self.moment(collection + days(3)), "status:DEBIT_FAILED", "ISSUED",
                                   "DEBIT_FAILED", "資金不足", self.ctx.finance_id))  # fmt: skip
                inv.status = "DEBIT_FAILED"
                continue
            inv.debit = (collection, "0")
            self.pay(inv, collection, method="DEBIT", payer_name=site.mandate.holder,
                     reference=f"口座振替 {collection}", by=self.ctx.finance_id)  # fmt: skip
            site.mandate.first_done = True

    def mandate(self, site: Site, mem: Mem, *, before: dt.date) -> None:
        bank, bank_kana, branch, branch_kana = self.rng.choice(self.ctx.banks)
        payer = site.org.payer_id if site.org.payer_id and self.rng.random() < 0.5 else None
        holder = _holder(("カ)" if site.org.kind == "CORPORATION" else "") + site.org.kana)
        created = self.moment(
            max((mem.activated or mem.decided) + days(3), before - days(self.rng.randint(5, 40)))
        )
        site.mandate = Mandate(
            id=self.next("mandate"), site=site, bank=bank, bank_kana=bank_kana, branch=branch,
            branch_kana=branch_kana, account=f"{self.rng.randint(0, 9_999_999):07d}", holder=holder,
            payer_id=payer, created=min(created, at(before, 8 * 60)),
        )  # fmt: skip

    def lapse(self, mem: Mem) -> None:
        failed = next(i for i in mem.invoices if i.status == "DEBIT_FAILED")
        lapsed = min(failed.due + days(self.rng.randint(60, 100)), self.today - days(1))
        mem.lapsed = lapsed
        self.move(mem, at(lapsed, 6 * 60), "LAPSED", note="会費未納", actor=None)

    def reinstate(self, mem: Mem) -> None:
        failed = next(i for i in mem.invoices if i.status == "DEBIT_FAILED")
        day = min(mem.lapsed + days(self.rng.randint(5, 60)), self.today)
        self.pay(failed, day, method="TRANSFER", payer_name=self.names.payer_kana(mem.site.org.kana),
                 by=self.ctx.finance_id)  # fmt: skip
        mem.lapsed = None
        self.move(mem, failed.events[-1][0] + dt.timedelta(minutes=1), "ACTIVE", note="入金確認による復活",
                  actor=self.ctx.finance_id)  # fmt: skip

    def invoice(
        self, mem: Mem, *, fy: int, first_year: bool, issue: dt.date, by, application_date=None
    ) -> Inv:
        from fees.services import group_discount_applies, meets_sme_thresholds, transfer_due_date

        site, org = mem.site, mem.site.org
        sme = (
            org.sme_verified_on is not None
            and org.sme_verified_on <= issue
            and meets_sme_thresholds(org.capital, org.employees)
        )
        regular = self.regular_associations
        group = bool(org.associations) and group_discount_applies(
            [
                _AssocRow(complete, regular.get(assoc_id, False))
                for assoc_id, _applied, complete in org.associations
            ],
            fiscal_year=fy,
            application_date=application_date if first_year else None,
        )
        payer_id = org.payer_id if first_year else (site.mandate.payer_id if site.mandate else None)
        payer = next((s for s in self.support_orgs if s.id == payer_id), None) if payer_id else None
        contact = site.contact or org.contact
        if contact:
            buyer = (contact["addressee"], contact["department"], contact["person_name"], contact["postal_code"],
                     f"{pref_name(contact['prefecture'])}{contact['city']}{contact['address_line']}")  # fmt: skip
        else:
            who = payer or org
            buyer = (who.name, "", "", who.address.postal_code,
                     f"{pref_name(who.address.prefecture)}{who.address.city}{who.line}")  # fmt: skip
        inv = Inv(
            id=self.next("invoice"),
            mem=mem,
            fy=fy,
            kind="FIRST_YEAR" if first_year else "ANNUAL",
            method="TRANSFER" if first_year else "DEBIT",
            issue=issue,
            due=transfer_due_date(issue) if first_year else self.ctx.debit_dates[fy],
            notice=issue if first_year else None,
            sme=sme,
            group=group,
            quote=self.ctx.quote(fy, sme, group, issue if first_year else None),
            buyer=buyer,
            est_name=f"{org.name} {site.name}",
            payer_id=payer_id,
            issued_by=by,
        )
        inv.total = inv.quote.total_yen
        inv.events.append((self.moment(issue), "issued", "", "ISSUED", str(inv.total), by))
        mem.invoices.append(inv)
        return inv


@dataclass(slots=True)
class _AssocRow:
    """What fees.services.group_discount_applies reads of an association membership."""

    complete_on: dt.date | None
    regular: bool
    ended_on: dt.date | None = None

    @property
    def association(self):
        return self

    @property
    def is_regular_member(self) -> bool:
        return self.regular


@functools.cache
def _holder(kana: str) -> str:
    """The account holder's name as the banks spell it (half-width kana, 30 characters at most)."""
    from fees.kana import to_zengin_kana

    return to_zengin_kana(kana)[:30]
