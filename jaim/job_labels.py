"""The scheduled jobs and what their runs count, in the secretariat's words: the job runs' list (JobRun) and the
audit notes of imports show these, never the codes. A leaf module (no models); a key missing here is shown as
「その他」 with its count, and tests/jaim/test_job_labels.py runs every job to keep the lists complete."""

from django.utils.translation import gettext_lazy as _

JOB_LABELS = {
    "lifecycle.withdrawals": _("退会の確定"),
    "lifecycle.lapse": _("会費未納による失効"),
    "lifecycle.renewal": _("年度更新（継続の請求書と案内）"),
    "lifecycle.wage_reports": _("賃上げ報告の未提出の確認"),
    "lifecycle.reminders": _("督促・お知らせメール"),
    "roster.build_exports": _("会員名簿のファイル作成"),
    "backoffice.purge_exports": _("保存期間を過ぎた出力ファイルの削除"),
    "applications.cancel_overdue_returned": _("修正期限を過ぎた差戻し申請の取消し"),
    "lifecycle.renewal.bench": _("年度更新（性能測定）"),
}

COUNT_LABELS = {
    # renewal
    "seasons": _("更新年度"),
    "due": _("対象の会員資格"),
    "invoices_issued": _("発行した請求書"),
    "renewed": _("継続"),
    "mails": _("メール"),
    "statements": _("請求明細書"),
    # withdrawals, lapses, wage reports, returned applications
    "withdrawn": _("退会"),
    "awaiting_confirmation_overdue": _("確認待ちのまま退会日を過ぎた申出"),
    "lapsed": _("失効"),
    "flagged_missing": _("未提出として記録"),
    "cancelled": _("取消し"),
    # reminders (one count per kind of reminder)
    "renewal_answer": _("更新確認への回答"),
    "renewal_unpaid": _("更新会費の未納"),
    "returned_application": _("差戻し申請の再提出"),
    "identity_follow_up": _("名称変更・移転後の追加書類"),
    "document_expiry": _("証明書類の有効期限"),
    "wage_report_opening": _("賃上げ報告の受付開始"),
    "wage_report_due": _("賃上げ報告の提出"),
    "wage_additional_due": _("賃上げの追加報告"),
    "identity_follow_up_overdue": _("期限を過ぎた追加書類"),
    # roster files, exports
    "csv": _("CSV（行）"),
    "xlsx": _("Excel（行）"),
    "pdf": _("PDF（行）"),
    "exports": _("出力ファイル"),
    "imports": _("取込ファイル"),
    # bank statements and direct-debit results
    "rows": _("行"),
    "new": _("新規"),
    "duplicates": _("重複"),
    "incoming": _("入金"),
    "matched": _("自動照合"),
    "unmatched": _("要確認"),
    "collected": _("振替済み"),
    "failed": _("振替不能"),
    "no_result": _("結果なし"),
}


# Values that are not counts: a sentence of their own.
VALUE_SENTENCES = {
    "season_missing": _("%(n)s年度の更新日程が未登録"),
}


def job_label(job: str) -> str:
    return str(JOB_LABELS.get(job, job))


def counts_text(counts: dict | None) -> str:
    """「発行した請求書 3件、継続 3件」: every count by its label, in the order of COUNT_LABELS (PostgreSQL's jsonb
    keeps no order of its own)."""
    if not counts:
        return "—"
    order = {key: i for i, key in enumerate([*VALUE_SENTENCES, *COUNT_LABELS])}
    parts = []
    for key, value in sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))):
        if key in VALUE_SENTENCES:
            parts.append(str(VALUE_SENTENCES[key] % {"n": value}))
            continue
        label = COUNT_LABELS.get(key)
        parts.append(
            str(
                _("%(label)s %(n)s件")
                % {"label": label, "n": f"{value:,}" if isinstance(value, int) else value}
            )
            if label is not None
            else str(_("その他 %(n)s件") % {"n": value})
        )
    return "、".join(parts)
