"""The story of every seeded establishment, planned in memory before anything is written.

Each establishment lives through what the services would have done to it since applications opened
(2025-07-01, domain.md §9) until today: an application (draft → submitted → in review → returned / approved /
rejected / cancelled); on approval a membership awaiting payment and the first-year invoice by bank transfer
(fee-notice date = decision day, F6); the payment that activates it (R9); the renewal invoice by direct debit
each February (F7, F8) collected or failed; lapse and reinstatement; withdrawal (at the end of a year after the
renewal answer, or during the year through a withdrawal application) and re-joining (R12); renames and
relocations (R13, R14) accepted and later effective. Every status move is kept with its time, so history rows,
audit rows and the roster's listing periods all agree.

Numbers (member numbers, invoice numbers per fiscal year, application receipt numbers per fiscal year) are
given afterwards in date order from the jaim.Sequence counters, so they are gapless and chronological."""

import datetime as dt
import random

from bench.names import PREFECTURE_WEIGHTS, Address, NameMaker, corporate_number
from bench.seeding.money import Money
from bench.seeding.records import (
    OPENED,
    App,
    Change,
    Context,
    Mem,
    Org,
    Site,
    at,
    days,
    pref_name,
)
from jaim.dates import fiscal_year_of

# Story weights per establishment (the rest of the fields vary inside each story).
STORIES = [
    ("active", 74.5),
    ("awaiting_payment", 3.0),
    ("withdrawal_requested", 2.0),
    ("withdrawn", 4.5),
    ("rejoined", 0.5),
    ("lapsed", 3.5),
    ("reinstated", 1.0),
    ("applicant", 6.0),
    ("renamed", 1.5),
    ("relocated", 1.5),
    ("change_pending", 2.0),
]
APPLICANT_STATES = [
    ("DRAFT", 20),
    ("SUBMITTED", 30),
    ("IN_REVIEW", 20),
    ("RETURNED", 15),
    ("REJECTED", 8),
    ("CANCELLED", 7),
]
SUPPORT_PLACES = [
    ("日本", "ニホン"),
    ("東海", "トウカイ"),
    ("関西", "カンサイ"),
    ("中部", "チュウブ"),
    ("九州", "キュウシュウ"),
]
SUPPORT_WORDS = [("人材サポート", "ジンザイサポート"), ("国際人材センター", "コクサイジンザイセンター"),
                 ("外国人支援協会", "ガイコクジンシエンキョウカイ"), ("グローバル人材", "グローバルジンザイ")]  # fmt: skip
PREFECTURE_ORDER = sorted(PREFECTURE_WEIGHTS)
_APPLICANT_NAMES = [s for s, _w in APPLICANT_STATES]
_APPLICANT_WEIGHTS = [w for _s, w in APPLICANT_STATES]
COMPANY_SIZES = [(1, 72), (2, 14), (3, 6), (4, 3), (5, 2), (7, 1.2), (10, 0.8), (16, 0.6), (25, 0.4)]
_SIZE_VALUES = [s for s, _w in COMPANY_SIZES]
_SIZE_WEIGHTS = [w for _s, w in COMPANY_SIZES]
RETURN_MESSAGES = [
    "出荷実績の書類に金額が確認できるものを追加してください。",
    "製品画像が不鮮明です。製品全体が分かる画像を再提出してください。",
    "中小企業の証明書類の社名が申請者と一致しません。ご確認ください。",
    "申請する産業分類と出荷実績の品目が一致しません。分類をご確認ください。",
]
REJECTION_REASONS = [
    "直近12か月に製造品の出荷実績が確認できないため（FAQ 3-2-4）。",
    "申請の事業所で製造を行っていることが確認できないため。",
]
WITHDRAWAL_REASONS = [
    "特定技能外国人の雇用を終了したため。",
    "事業所を閉鎖するため。",
    "事業の再編により他の事業所に集約するため。",
]


class Planner(Money):
    """Plans `count` establishments (grouped into companies) from one seeded random generator."""

    def __init__(self, rng: random.Random, names: NameMaker, ctx: Context):
        self.rng, self.names, self.ctx = rng, names, ctx
        self.today = ctx.today
        self.ids = dict(ctx.ids)
        self.serial = ctx.corporate_serial
        self.orgs: list[Org] = []
        self.support_orgs: list[Org] = []
        self._story_names = [s for s, _w in STORIES]
        self._story_weights = [w for _s, w in STORIES]
        self._applicants = (
            0  # the first applicants take each state in turn, so every state exists at any date
        )
        self.regular_associations = dict(ctx.associations)
        self.renewal_years = [
            fy for fy, debit in sorted(ctx.debit_dates.items()) if OPENED < dt.date(fy, 2, 1) <= self.today
        ]

    # --- helpers -----------------------------------------------------------------------------------------

    def next(self, label: str) -> int:
        value = self.ids[label]
        self.ids[label] = value + 1
        return value

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + days(self.rng.randint(0, (end - start).days))

    def moment(self, day: dt.date) -> dt.datetime:
        return at(day, self.rng.randint(9 * 60, 18 * 60))

    def reviewer(self) -> int:
        return self.rng.choice(self.ctx.reviewers)

    def pick_codes(self, middles: tuple, count: int) -> list[str]:
        pool = [c for m in middles for c in self.ctx.codes_by_middle.get(m, [])] or [
            c for codes in self.ctx.codes_by_middle.values() for c in codes
        ]
        return sorted(set(self.rng.sample(pool, min(count, len(pool)))))

    # --- companies ---------------------------------------------------------------------------------------

    def company(self, *, sole: bool | None = None, support: bool = False, stories=()) -> Org:
        """A company with one site per story ('' = a random story). Its registration moment is that of its
        earliest application (set by new_application)."""
        rng = self.rng
        sole = (rng.random() < 0.05) if sole is None else sole
        sole = sole and not support  # a support organisation is a corporation (its title is a corporation's)
        name, kana, title, middles = self.names.company(sole_proprietor=sole)
        if support:
            (place, place_kana), (head, head_kana) = rng.choice(SUPPORT_PLACES), rng.choice(SUPPORT_WORDS)
            form = rng.choice(["株式会社", "一般社団法人", "協同組合"])
            title = "代表取締役" if form == "株式会社" else "代表理事"
            name, kana = f"{form}{place}{head}", place_kana + head_kana
        # The first 47 companies of a run go round the prefectures, so every prefecture occurs in any data set.
        cycle = len(self.orgs) - len(self.support_orgs)
        anchored = not support and cycle < len(PREFECTURE_ORDER)
        address = self.names.address(PREFECTURE_ORDER[cycle] if anchored else None)
        rep, _rep_kana = self.names.person()
        employees = int(min(3000, max(3, rng.lognormvariate(3.4, 1.1))))
        capital = None if sole else int(rng.choice([3, 5, 10, 20, 30, 50, 100, 300, 1000, 5000]) * 1_000_000)
        org = Org(
            id=self.next("org"),
            kind="SOLE_PROPRIETOR" if sole else "CORPORATION",
            corporate_number=None if sole else corporate_number(self._serial()),
            name=name,
            kana=kana,
            title=title,
            representative=rep,
            address=address,
            line=address.line(rng),
            phone=self.names.phone(),
            capital=capital,
            employees=employees,
            created=self.moment(OPENED - days(10)) if support else at(self.today, 23 * 60),
            middles=middles,
            is_support=support,
            support_reg=f"{rng.randint(19, 25)}登-{rng.randint(1, 999999):06d}" if support else "",
        )
        org.anchored = anchored
        org.user_id = self.next("user")
        org.user_name = self.names.person()[0]
        org.email = f"org{org.id}@bench.example.jp"
        org.access_id = self.next("access")
        if not support and rng.random() < 0.15 and self.ctx.associations:
            assoc_id, _regular = rng.choice(self.ctx.associations)
            applied = self.day_between(dt.date(2018, 4, 1), self.today - days(10))
            roll = rng.random()
            complete = None if roll < 0.1 else applied + days(rng.randint(10, 60))
            if complete and complete > self.today:
                complete = None
            org.associations.append((assoc_id, applied, complete))
        if rng.random() < 0.10:
            org.contact = self.contact(org.name, address)
        if support:
            self.support_orgs.append(org)
        elif self.support_orgs and rng.random() < 0.03:
            org.payer_id = rng.choice(self.support_orgs).id
        self.orgs.append(org)
        for ordinal, story in enumerate(stories, start=1):
            self.site(org, ordinal, story=story or None)
        return org

    def _serial(self) -> int:
        self.serial += 1
        return self.serial

    def contact(self, addressee: str, address: Address) -> dict:
        person = self.names.person()[0]
        return {
            "addressee": addressee,
            "department": self.rng.choice(["経理部", "総務部", "管理部", "経理課"]),
            "person_name": person,
            "email": f"billing{self.ids['contact']}@bench.example.jp",
            "postal_code": address.postal_code,
            "prefecture": address.prefecture,
            "city": address.city,
            "address_line": address.line(self.rng),
            "phone": self.names.phone(),
            "_id": self.next("contact"),
        }

    def company_sizes(self, total: int) -> list[int]:
        sizes, left = [], total
        while left > 0:
            size = min(left, self.rng.choices(_SIZE_VALUES, _SIZE_WEIGHTS)[0])
            sizes.append(size)
            left -= size
        return sizes

    # --- establishments ----------------------------------------------------------------------------------

    def site(self, org: Org, ordinal: int, *, story: str | None = None) -> Site:
        rng = self.rng
        if ordinal == 1 and (org.anchored or rng.random() < 0.5):
            address, line = org.address, org.line
        else:
            pref = org.address.prefecture if rng.random() < 0.7 else None
            address = self.names.address(pref)
            line = address.line(rng)
        name, kana = self.names.site(address, ordinal)
        site = Site(
            id=self.next("site"),
            org=org,
            name=name,
            kana=kana,
            address=address,
            line=line,
            phone=self.names.phone(),
            created=at(self.today, 23 * 60 + 30),  # lowered to just before its first application
            eins=f"{rng.randint(1000, 9999)}{rng.randint(0, 999_999):06d}{rng.randint(0, 9)}"
            if rng.random() < 0.8
            else "",
            operating_since=dt.date(rng.randint(1965, 2023), rng.randint(1, 12), 1)
            if rng.random() < 0.7
            else None,
        )
        org.sites.append(site)
        if org.contact is None and rng.random() < 0.02:
            site.contact = self.contact(f"{org.name} {name}", address)
        story = story or rng.choices(self._story_names, self._story_weights)[0]
        single = len(org.sites) == 1 and org.kind == "CORPORATION"
        if story == "renamed" and not single:
            story = "relocated"  # a merger renames the company: only for one-site companies here
        self.tell(site, story)
        if self.support_orgs and rng.random() < 0.03:
            site.grant = (rng.choice(self.support_orgs).id, site.created + days(rng.randint(1, 30)))
        return site

    def tell(self, site: Site, story: str) -> None:
        """Build the establishment's history for one story."""
        today, rng = self.today, self.rng
        first_renewal = self.renewal_years[0] if self.renewal_years else None
        renewal_cut = dt.date(first_renewal, 1, 20) if first_renewal else None
        if story in ("lapsed", "reinstated") and renewal_cut is None:
            story = "active"
        if story == "applicant":
            if self._applicants < len(_APPLICANT_NAMES):
                state = _APPLICANT_NAMES[self._applicants]
            else:
                state = rng.choices(_APPLICANT_NAMES, _APPLICANT_WEIGHTS)[0]
            self._applicants += 1
            self.new_application(site, state, start=self.day_between(today - days(150), today - days(3)))
            return
        if story == "awaiting_payment":
            decided = today - days(rng.randint(2, 40))
        elif story == "rejoined":
            decided = self.day_between(dt.date(2025, 8, 20), dt.date(2025, 11, 30))
        elif story in ("lapsed", "reinstated", "withdrawn"):
            decided = self.day_between(dt.date(2025, 8, 20), renewal_cut or today - days(120))
        else:
            # Front-loaded: most sites joined before the council roster expired (2025-12-25).
            if rng.random() < 0.55:
                decided = self.day_between(dt.date(2025, 8, 20), dt.date(2025, 12, 24))
            else:
                decided = self.day_between(dt.date(2025, 12, 25), today - days(12))
        decided = min(decided, today - days(1))
        submitted = self.day_between(max(OPENED, decided - days(100)), decided - days(45))
        if submitted < OPENED:
            submitted = OPENED
        app = self.new_application(site, "APPROVED", start=submitted, decided=decided)
        mem = self.membership(site, app, decided)
        if story == "awaiting_payment":
            return
        self.activate(mem)
        if story in ("withdrawn", "rejoined"):
            self.withdraw(mem, rejoin=story == "rejoined")
            return
        self.renewals(mem, failing=story in ("lapsed", "reinstated"))
        if story == "lapsed":
            self.lapse(mem)
        elif story == "reinstated":
            self.lapse(mem)
            self.reinstate(mem)
        elif story == "withdrawal_requested":
            self.request_withdrawal(mem)
        elif story in ("renamed", "relocated", "change_pending"):
            kind = "NAME_CHANGE" if story == "renamed" else "RELOCATION"
            if story == "change_pending" and site.org.kind == "CORPORATION" and len(site.org.sites) == 1:
                kind = rng.choice(["NAME_CHANGE", "RELOCATION"])
            self.identity_change(site, mem, kind, complete=story != "change_pending")
        if story == "active":
            roll = rng.random()
            if roll < 0.02:
                self.change_application(site, mem, "ADD_CLASSIFICATION", approved=True)
            elif roll < 0.035:
                self.change_application(site, mem, "ADD_CLASSIFICATION", approved=False)
            elif (
                roll < 0.040
            ):  # a withdrawal asked on My Page, waiting for the secretariat (lifecycle's one path)
                self.request_withdrawal(mem)

    # --- applications -------------------------------------------------------------------------------------

    def new_application(
        self, site: Site, state: str, *, start: dt.date, decided: dt.date | None = None, kind: str = "NEW"
    ) -> App:
        from fees.services import meets_sme_thresholds

        rng, org = self.rng, site.org
        created = self.moment(max(start - days(rng.randint(0, 14)), OPENED - days(20)))
        if not site.apps:  # the site (and the company) were registered just before their first application
            site.created = min(site.created, created - dt.timedelta(minutes=20))
            org.created = min(org.created, site.created - dt.timedelta(minutes=20))
        app = App(id=self.next("app"), site=site, kind=kind, status="DRAFT", created=created)
        if kind in ("NEW", "ADD_CLASSIFICATION"):
            count = 1 if rng.random() < 0.8 else 2
            app.codes = self.pick_codes(org.middles, count)
            addons = sorted({self.ctx.code_addons.get(c, "") for c in app.codes} - {""})
            sme = meets_sme_thresholds(org.capital, org.employees)
            claimed = kind == "NEW" and sme and rng.random() < 0.75
            app.fields.update(
                addon_summary=",".join(addons),
                had_shipments=True,
                ships_within_company=rng.random() < 0.1,
                product_use_explanation="自動車部品メーカー向けの部品として使用され、強度を担う部分です。"
                if rng.random() < 0.3
                else "",
                sme_claimed=claimed,
                capital_yen=org.capital if claimed else None,
                regular_employees=org.employees if claimed else None,
                sme_proof_type=rng.choice(["LABOUR_INSURANCE", "WITHHOLDING_TAX", "FINANCIAL_STATEMENTS"])
                if claimed
                else "",
            )
            if kind == "NEW" and org.associations:
                assoc_id, applied, complete = org.associations[0]
                app.fields.update(
                    association_id=assoc_id, association_applied_on=applied, association_complete_on=complete
                )
            if kind == "NEW" and org.payer_id:
                app.fields["payer_id"] = org.payer_id
        site.apps.append(app)
        if state == "DRAFT":
            app.fields["furthest_step"] = rng.choice(["establishment", "codes", "addon", "shipment", "sme"])
            return app
        app.fields["furthest_step"] = "review"
        submitted_day = max(start, created.date())
        if decided is not None:
            submitted_day = min(submitted_day, decided - days(10))
            submitted_day = max(submitted_day, created.date())
        if state == "CANCELLED" and rng.random() < 0.5:  # cancelled while still a draft
            self.app_move(app, created + days(rng.randint(3, 30)), "CANCELLED", actor=org.user_id)
            app.fields["cancelled_at"] = app.moves[-1][0]
            return app
        app.submitted = self.moment(submitted_day)
        app.pledged = True
        self.app_move(app, app.submitted, "SUBMITTED", actor=org.user_id)
        app.fields.update(submitted_by_id=org.user_id)
        if state == "SUBMITTED":
            return app
        review_day = submitted_day + days(rng.randint(3, 25))
        if decided is not None:
            review_day = min(review_day, decided - days(2))
        review_day = min(max(review_day, submitted_day), self.today)
        reviewer = self.reviewer()
        started = self.moment(review_day)
        if started < app.submitted:
            started = app.submitted + dt.timedelta(hours=1)
        self.app_move(app, started, "IN_REVIEW", actor=reviewer)
        app.fields.update(reviewer_id=reviewer, review_started_at=started)
        if state == "IN_REVIEW":
            return app
        if state in ("RETURNED", "CANCELLED") or (decided and rng.random() < 0.25):
            returned = started + days(rng.randint(1, 10))
            returned = min(returned, at(self.today, 8 * 60))
            message = rng.choice(RETURN_MESSAGES)
            deadline = returned.date() + days(30)
            self.app_move(app, returned, "RETURNED", actor=reviewer)
            app.messages.append(("RETURN", message, deadline, returned, reviewer))
            app.fields.update(returned_at=returned, return_message=message, return_deadline=deadline)
            if state == "RETURNED":
                return app
            if state == "CANCELLED":
                cancelled = returned + days(rng.randint(1, 20))
                self.app_move(app, min(cancelled, at(self.today, 8 * 60)), "CANCELLED", actor=org.user_id)
                app.fields["cancelled_at"] = app.moves[-1][0]
                return app
            resubmitted = returned + days(rng.randint(1, 8))
            if decided is not None:
                resubmitted = min(resubmitted, at(decided - days(1), 9 * 60))
            self.app_move(app, resubmitted, "SUBMITTED", actor=org.user_id)
            app.fields["resubmitted_at"] = resubmitted
            again = resubmitted + dt.timedelta(hours=2)
            self.app_move(app, again, "IN_REVIEW", actor=reviewer)
        decided = decided or min(review_day + days(rng.randint(5, 40)), self.today)
        decided_at = at(decided, rng.randint(10 * 60, 17 * 60))
        if decided_at <= app.moves[-1][0]:
            decided_at = app.moves[-1][0] + dt.timedelta(hours=1)
        if state == "REJECTED":
            reason = rng.choice(REJECTION_REASONS)
            self.app_move(app, decided_at, "REJECTED", actor=reviewer)
            app.messages.append(("REJECT", reason, None, decided_at, reviewer))
            app.fields.update(rejection_reason=reason)
        else:
            self.app_move(app, decided_at, "APPROVED", actor=reviewer)
        app.fields.update(decided_at=decided_at, decided_by_id=reviewer, decided_on=decided_at.date())
        return app

    def app_move(self, app: App, moment: dt.datetime, to: str, *, actor: int, note: str = "") -> None:
        app.moves.append((moment, app.status, to, note, actor))
        app.status = to

    def change_application(self, site: Site, mem: Mem, kind: str, *, approved: bool) -> App | None:
        start = self.day_between((mem.activated or mem.decided) + days(20), self.today - days(15))
        if start >= self.today - days(14):
            return None
        if approved:
            decided = min(start + days(self.rng.randint(15, 50)), self.today - days(1))
            app = self.new_application(site, "APPROVED", start=start, decided=decided, kind=kind)
            if kind == "ADD_CLASSIFICATION":
                extra = [c for c in app.codes if c not in mem.codes]
                app.codes = extra or self.pick_codes(tuple({c[:2] for c in mem.codes}), 1)
                mem.codes = sorted(set(mem.codes) | set(app.codes))
            app.mem = mem
            return app
        state = self.rng.choice(["SUBMITTED", "IN_REVIEW", "SUBMITTED"])
        app = self.new_application(site, state, start=self.today - days(self.rng.randint(2, 40)), kind=kind)
        app.mem = mem
        if kind == "ADD_CLASSIFICATION":
            app.codes = [c for c in app.codes if c not in mem.codes] or app.codes
        if kind == "WITHDRAWAL":
            app.codes = []
            app.fields.update(
                withdrawal_on=self.today + days(self.rng.randint(20, 120)),
                withdrawal_reason=self.rng.choice(WITHDRAWAL_REASONS),
                addon_summary="",
                sme_claimed=False,
            )
        return app

    # --- membership ---------------------------------------------------------------------------------------

    def request_withdrawal(self, mem: Mem) -> None:
        requested = self.moment(self.day_between(max(mem.activated, self.today - days(60)), self.today))
        mem.requested_at = requested
        mem.effective_on = self.today + days(self.rng.randint(10, 120))
        mem.reason = self.rng.choice(WITHDRAWAL_REASONS)
        self.move(mem, requested, "WITHDRAWAL_REQUESTED", actor=mem.site.org.user_id)

    def withdraw(self, mem: Mem, *, rejoin: bool = False) -> None:
        """At the end of a fiscal year (answered 'withdraw' at renewal, F8: no next-year fee), or during the year
        through a withdrawal application (R11); `rejoin`: later a new application and membership (R12)."""
        rng, site = self.rng, mem.site
        years = [
            fy
            for fy in self.renewal_years
            if fiscal_year_of(mem.activated) < fy and dt.date(fy, 3, 31) <= self.today
        ]
        if years and (rejoin or rng.random() < 0.5):
            fy = years[0]
            mem.terms.append((fy - 1, "WITHDRAW", self.moment(dt.date(fy, 2, 2) + days(rng.randint(1, 20)))))
            mem.withdrawn = dt.date(fy, 3, 31)
            mem.reason = rng.choice(WITHDRAWAL_REASONS)
            self.move(mem, at(mem.withdrawn, 6 * 60), "WITHDRAWN", note=mem.reason, actor=None)
        else:
            start = self.day_between(mem.activated + days(30), self.today - days(20))
            start = min(start, self.today - days(20))
            wanted = min(start + days(rng.randint(20, 60)), self.today - days(1))
            if wanted.month in (2, 3):  # not between a renewal invoice and its collection
                wanted = (
                    dt.date(wanted.year, 4, 10)
                    if dt.date(wanted.year, 4, 10) < self.today
                    else dt.date(wanted.year, 1, 25)
                )
            wanted = max(wanted, mem.activated + days(1))
            start = min(start, wanted - days(12))
            mem.withdrawn = wanted  # renewals stop before it
            self.renewals(mem, failing=False)
            app = self.new_application(site, "APPROVED", start=start, decided=wanted, kind="WITHDRAWAL")
            reason = rng.choice(WITHDRAWAL_REASONS)
            app.codes, app.mem = [], mem
            app.fields.update(withdrawal_on=wanted, withdrawal_reason=reason, addon_summary="", sme_claimed=False,
                              capital_yen=None, regular_employees=None, sme_proof_type="")  # fmt: skip
            for key in ("association_id", "association_applied_on", "association_complete_on", "payer_id"):
                app.fields.pop(key, None)
            mem.reason = reason
            self.move(mem, app.moves[-1][0], "WITHDRAWN", note=reason, actor=app.moves[-1][4])
        if rejoin and mem.withdrawn + days(90) < self.today - days(20):
            start = self.day_between(mem.withdrawn + days(10), self.today - days(80))
            decided = min(start + days(rng.randint(45, 70)), self.today - days(2))
            app = self.new_application(site, "APPROVED", start=start, decided=decided)
            again = self.membership(site, app, decided)
            self.activate(again)

    def identity_change(self, site: Site, mem: Mem, kind: str, *, complete: bool) -> None:
        rng, org = self.rng, site.org
        start = self.day_between(mem.activated + days(20), self.today - days(70 if complete else 20))
        decided = min(start + days(rng.randint(20, 40)), self.today - days(1))
        app = self.new_application(site, "APPROVED", start=start, decided=decided, kind=kind)
        app.codes, app.mem = [], mem
        app.fields.update(addon_summary="", sme_claimed=False, capital_yen=None, regular_employees=None,
                          sme_proof_type="")  # fmt: skip
        for key in ("association_id", "association_applied_on", "association_complete_on", "payer_id"):
            app.fields.pop(key, None)
        old_address = f"{pref_name(site.address.prefecture)}{site.address.city}{site.line}"
        new_org_kana = org.kana
        if kind == "NAME_CHANGE":
            new_org, new_org_kana = self.names.company()[:2]
            new_est, new_kana, new_address, new_line = site.name, site.kana, None, ""
        else:
            new_org = org.name
            new_address = self.names.address(
                site.address.prefecture if org.anchored or rng.random() < 0.7 else None
            )
            new_line = new_address.line(rng)
            new_est, new_kana = self.names.site(new_address, 2)
        expected = decided + days(rng.randint(15, 60))
        effective = min(expected, self.today - days(1)) if complete else None
        app.fields.update(
            new_organisation_name=new_org if kind == "NAME_CHANGE" else "",
            new_establishment_name=new_est,
            new_postal_code=new_address.postal_code if new_address else "",
            new_prefecture=new_address.prefecture if new_address else "",
            new_city=new_address.city if new_address else "",
            new_address_line=new_line,
            change_expected_on=expected,
            change_description="合併に伴う社名変更" if kind == "NAME_CHANGE" else "工場の移転",
        )
        due = expected + days(30)
        site.change = Change(
            id=self.next("change"), site=site, kind=kind, old_org=org.name, old_est=site.name,
            old_address=old_address, new_org=new_org, new_est=new_est, new_address=new_address, new_line=new_line,
            accepted=decided, effective=effective, due=due,
            done=effective + days(rng.randint(3, 25)) if effective and rng.random() < 0.6 else None,
            new_kana=new_kana,
        )  # fmt: skip
        if site.change.done and site.change.done > self.today:
            site.change.done = None
        if effective:
            moment = at(effective, 7 * 60)
            if kind == "NAME_CHANGE":
                org.renamed = (org.name, org.kana, moment)
                org.name, org.kana = new_org, new_org_kana
            else:
                site.old = (site.name, site.kana, site.address, site.line, moment)
                site.name, site.kana, site.address, site.line = new_est, new_kana, new_address, new_line
            for inv in mem.invoices:  # invoices issued after the change carry the new names
                if inv.issue >= effective:
                    inv.est_name = f"{org.name} {site.name}"
                    if kind == "NAME_CHANGE" and inv.buyer[0] == site.change.old_org:
                        inv.buyer = (org.name, *inv.buyer[1:])

    # --- invoices -----------------------------------------------------------------------------------------
