"""The names of the kinds of mail (jaim.mail's outbox rows, jaim.models.MailTemplate): no import of the rest of
jaim, so that a model can name its kind without importing the mail machinery."""

from django.utils.translation import gettext_lazy as _

# What each kind of mail is, in the secretariat's words (the outbox in the admin shows these, never the codes).
# A kind is usually its template's name (templates/mail/<kind>.txt); a kind missing here reads 「その他のメール」.
KIND_LABELS = {
    "application_approved": _("申請の承認"),
    "application_cancelled": _("申請の取消し"),
    "application_received": _("申請の受付"),
    "application_rejected": _("申請の却下"),
    "application_returned": _("申請の差戻し"),
    "announcement": _("お知らせの配信"),
    "backoffice_announcement": _("お知らせの配信"),
    "subscribe_confirm": _("情報配信の登録確認"),
    "backoffice_subscribe_confirm": _("情報配信の登録確認"),
    "fees_credit_note_issued": _("請求の取消し・減額（クレジットノート）"),
    "fees_debit_failed": _("口座振替の不能"),
    "fees_invoice_issued": _("請求書の発行"),
    "fees_payment_received": _("入金の確認"),
    "fees_statement_issued": _("請求明細書の発行"),
    "identity_change_effective": _("名称変更・移転の確認"),
    "lifecycle_lapsed": _("会員資格の失効"),
    "lifecycle_reinstated": _("会員資格の復活"),
    "lifecycle_reminder_document_expiry": _("書類の有効期限のお知らせ"),
    "lifecycle_reminder_identity_follow_up": _("追加書類の督促（合併・移転）"),
    "lifecycle_reminder_renewal_answer": _("継続確認の回答期限のお知らせ"),
    "lifecycle_reminder_renewal_unpaid": _("年会費の未納のお知らせ"),
    "lifecycle_reminder_returned_application": _("差戻し申請の修正期限のお知らせ"),
    "lifecycle_reminder_wage_additional": _("賃上げの追加報告の期限のお知らせ"),
    "lifecycle_reminder_wage_report": _("賃上げ報告の期限のお知らせ"),
    "lifecycle_renewal_continued": _("会員継続の回答の受付"),
    "lifecycle_renewal_notice": _("会員継続の確認"),
    "lifecycle_wage_below_target": _("賃上げ目標の未達（追加報告のお願い）"),
    "lifecycle_wage_missing": _("賃上げ報告の未提出"),
    "lifecycle_wage_opening": _("賃上げ報告の受付開始"),
    "lifecycle_withdrawal_cancelled": _("退会の申出の取消し"),
    "lifecycle_withdrawal_confirmed": _("退会の確認"),
    "lifecycle_withdrawal_requested": _("退会の申出の受付"),
    "mail_template_test": _("メール文面のテスト送信"),
    "password_reset": _("パスワードの再設定"),
    "signup_existing": _("登録済みアドレスへの案内"),
    "verify_email": _("メールアドレスの確認"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, _("その他のメール")))
