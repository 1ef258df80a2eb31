"""Demo mail wording: the renewal notice (会員継続の確認) edited by the demo administrator in two versions, so the
admin's 「メールの文面」 shows a history and a diff: version 1 is the built-in text as it stands, version 2 the
secretariat's change (when the debit is taken and whom to call). Safe to run twice: a kind that has versions
already is left alone."""

from jaim.mailtemplates import register_version, starter_text
from jaim.models import MailTemplate

KIND = "lifecycle_renewal_notice"
DEBIT_LINE = "口座振替日："
DEBIT_NOTE = "（振替日の前営業日までに御登録の口座に残高を御用意ください。振替日が金融機関の休業日の場合は翌営業日に振り替えます）"
CONTACT = "お問い合わせ：JAIM事務局 会員担当 03-0000-0000（平日9時〜17時）"
NOTES = ("組み込みの文面をそのまま登録", "口座振替の時期の注意と、問い合わせ先の電話番号を追記")


def edited_body(body: str) -> str:
    """The secretariat's version 2: a line on the debit's timing after the debit day, the phone number last."""
    lines = body.rstrip("\n").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(DEBIT_LINE))
    lines.insert(at + 1, DEBIT_NOTE)
    return "\n".join([*lines, CONTACT]) + "\n"


def seed(ctx):
    template = MailTemplate.objects.filter(kind=KIND).first()
    if template is not None and template.versions.exists():
        return {}
    admin = ctx.get("admin")
    subject, body = starter_text(KIND)
    register_version(KIND, subject=subject, body=body, note=NOTES[0], by=admin)
    register_version(KIND, subject=subject, body=edited_body(body), note=NOTES[1], by=admin)
    return {}
