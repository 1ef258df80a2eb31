"""The audit log in Japanese: its action codes (「document_uploaded」, 「status:PAID」) and state values as the
admin shows them. The rows keep their codes; only their display is translated."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

# What the audit log's action codes mean; a state move 「{field}:{to}」 is read from the model's choices.
AUDIT_ACTION_LABELS = {
    "2fa_device_replaced": _("2段階認証の端末を交換"),
    "2fa_disabled": _("2段階認証を解除"),
    "2fa_recovery_code_used": _("予備コードを使用"),
    "2fa_recovery_codes_regenerated": _("予備コードを再発行"),
    "accepted": _("受付"),
    "access_granted": _("操作権限を付与"),
    "access_revoked": _("操作権限を取消"),
    "additional_submitted": _("追加書類を提出"),
    "anonymised": _("匿名化"),
    "answers_saved": _("回答を保存"),
    "association_recorded": _("団体所属を記録"),
    "code_added": _("産業分類を追加"),
    "code_removed": _("産業分類を削除"),
    "confirmation_issued": _("確認書を発行"),
    "created": _("作成"),
    "credit_note": _("赤伝を発行"),
    "debit_failed_again": _("口座振替が再び不能"),
    "document_removed": _("書類を削除"),
    "document_uploaded": _("書類を提出"),
    "edited": _("編集"),
    "effective": _("変更が効力発生"),
    "effective_reported": _("効力発生を報告"),
    "email_verified": _("メールアドレスを確認"),
    "evidence_removed": _("証明書類を削除"),
    "export_requested": _("出力を依頼"),
    "exported": _("出力"),
    "follow_up_done": _("事後提出を完了"),
    "follow_up_overdue": _("事後提出の期限超過"),
    "follow_up_submitted": _("事後提出"),
    "groups_added": _("役割を追加"),
    "groups_removed": _("役割を削除"),
    "imported": _("取込"),
    "issued": _("発行"),
    "jsic_added": _("産業分類を追加"),
    "lapsed": _("失効"),
    "linked": _("紐付け"),
    "payment": _("入金"),
    "pdf_links_revoked": _("PDFのリンクを無効化"),
    "permissions_added": _("権限を追加"),
    "permissions_removed": _("権限を削除"),
    "pledges_accepted": _("誓約に同意"),
    "previewed": _("内容を確認"),
    "receipt": _("領収書を発行"),
    "registered": _("登録"),
    "reinstated": _("復活"),
    "renewal_answer": _("更新の回答"),
    "requested": _("依頼"),
    "saved": _("保存"),
    "send_requested": _("送信を依頼"),
    "sme_declared": _("中小企業であることを申告"),
    "struck": _("取消線"),
    "subscription_requested": _("登録を申込"),
    "submitted": _("提出"),
    "corrected": _("訂正"),
    "support_granted": _("登録支援機関に委任"),
    "support_revoked": _("登録支援機関への委任を取消"),
    "updated": _("更新"),
    "user_permissions_added": _("個別の権限を追加"),
    "user_permissions_removed": _("個別の権限を削除"),
    "withdrawalrequest": _("退会の申出"),
}


def _state_field(event):
    """The model field a state move 「{field}:{to}」 changed (status unless the action names another)."""
    model = event.content_type.model_class()
    name = event.action.partition(":")[0] if ":" in event.action else "status"
    try:
        return model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:  # an action of a model without that field
        return None


def state_label(event, value: str) -> str:
    field = _state_field(event)
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    return str(choices.get(value, value))


def audit_action_label(event) -> str:
    """The audit row's action in Japanese: 「状態を「入金待ち」に変更」 for a state move, the label otherwise."""
    if ":" in event.action:
        field = _state_field(event)
        to = event.action.partition(":")[2]
        name = field.verbose_name if field is not None else event.action.partition(":")[0]
        return str(_("%(field)sを「%(to)s」に変更") % {"field": name, "to": state_label(event, to)})
    return str(AUDIT_ACTION_LABELS.get(event.action, event.action))
