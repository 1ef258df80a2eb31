"""Demo timeline: three staff notes on the demo company's head-office factory (本社工場) — a phone call, a visit
and a memo struck through with its reason — beside its application, invoices, payments and mails. Safe to run
twice."""

from backoffice import services
from backoffice.models import StaffNote

NOTES = [
    (
        StaffNote.Kind.PHONE,
        "reviewer",
        "総務部の佐藤様より電話。岐阜第二工場の入会申請を来月提出予定とのこと。必要書類（登記事項証明書・"
        "産業分類の確認資料）をご案内した。",
    ),
    (
        StaffNote.Kind.VISIT,
        "finance",
        "経理ご担当の来訪。口座振替依頼書（原本）を受領。次回の振替日から口座振替に切り替え。",
    ),
    (
        StaffNote.Kind.MEMO,
        "reviewer",
        "請求書の宛名を「本社 経理部」に変更したいとの要望あり（確認中）。",
    ),
]


def seed(ctx):
    org = ctx.get("organisation")
    if org is None:
        return {}
    est = org.establishments.filter(name="本社工場").first()
    if est is None or StaffNote.objects.filter(establishment=est).exists():
        return {}
    for kind, who, text in NOTES:
        services.add_note(est, kind=kind, text=text, by=ctx[who])
    memo = StaffNote.objects.get(establishment=est, kind=StaffNote.Kind.MEMO)
    services.strike_note(memo, reason="別の会社の要望と取り違えたため（先方に確認済み）", by=ctx["reviewer"])
    return {"timeline_establishment": est}
