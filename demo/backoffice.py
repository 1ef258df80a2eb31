"""Demo staff operations: a published announcement (制度情報) with a confirmed subscriber, member resources (a page
and a PDF, FAQ 3-4-2), and council records imported through the real preview → import flow (R17): one linked to
the demo company's head-office factory, one information-migration-only record of a company not registered.
Safe to run twice."""

import hashlib

from backoffice import services
from backoffice.models import Announcement, ImportRun, InfoSubscriber, MemberResource
from members.models import Organisation

ANNOUNCEMENT_TITLE = "【サンプル】特定技能評価試験（工業製品製造業分野）の日程について"
ANNOUNCEMENT_BODY = """JAIM 会員・関係者の皆さま

これはデモ用のサンプルのお知らせです（実際の日程ではありません）。

特定技能1号評価試験および2号評価試験の次回日程は、決まり次第このページとメールでお知らせします。
試験対策資料は、会員の皆さまにマイページの「会員向け資料」で無料で提供しています（FAQ 3-4-2）。

JAIM を退会された事業所の方も、制度情報メール（無料）に登録すると最新情報を受け取れます（FAQ 3-4-5）。
https://www.jaim-skill.or.jp/
"""

PAGE_TITLE = "【サンプル】特定技能評価試験 対策講座のご案内"
PAGE_BODY = """会員の皆さまへ

特定技能評価試験対策講座・試験対策資料は、1号・2号いずれも会員には無料で提供します（FAQ 3-4-2）。
これはデモ用のサンプルページです。講座の日程と申込方法は、決まり次第ここに掲載します。
"""
FILE_TITLE = "【サンプル】試験対策資料（1号・学科）"

COUNCIL_CSV = """協議会会員番号,法人名,事業所名,法人番号,産業分類,郵便番号,都道府県,所在地,協議会加入日,協議会退会日,情報移行のみ
K-000123,株式会社サンプル精工,本社工場,4011001098993,2592,450-0002,愛知県,名古屋市中村区名駅1-1-1,2020-04-01,,いいえ
K-000456,株式会社サンプル金属,大阪工場,7123456789012,2441 2452,530-0001,大阪府,大阪市北区梅田1-1,2021/10/1,2025/12/25,はい
"""


def _pdf() -> bytes:
    from fees.pdf import render_pdf

    return render_pdf("backoffice/demo_resource_pdf.html", {"title": FILE_TITLE})


def seed(ctx):
    admin = ctx.get("admin")

    announcement = Announcement.objects.filter(title=ANNOUNCEMENT_TITLE).first()
    if announcement is None:
        announcement = Announcement.objects.create(
            title=ANNOUNCEMENT_TITLE, body=ANNOUNCEMENT_BODY, is_public=True, created_by=admin
        )
    if announcement.status == Announcement.Status.DRAFT:
        announcement = services.publish_announcement(announcement, by=admin)

    # A former member who signed up for the free information service and confirmed the address.
    sub = InfoSubscriber.objects.filter(email="former@demo.jaim.example").first()
    if sub is None:
        sub = services.request_subscription(
            email="former@demo.jaim.example", name="元会員 三郎", organisation_name="株式会社もと製作所"
        )
        services.confirm_subscription(services.subscription_token(sub))

    page = MemberResource.objects.filter(title=PAGE_TITLE).first()
    if page is None:
        page = services.save_resource(
            MemberResource(
                title=PAGE_TITLE,
                summary="1号・2号の対策講座（会員は無料）",
                kind="PAGE",
                body=PAGE_BODY,
                order=10,
            ),
            by=admin,
        )
    if page.status == MemberResource.Status.DRAFT:
        services.publish_resource(page, by=admin)
    pdf = MemberResource.objects.filter(title=FILE_TITLE).first()
    if pdf is None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        pdf = services.save_resource(
            MemberResource(
                title=FILE_TITLE, summary="学科試験の出題範囲と例題（サンプル）", kind="FILE", order=20
            ),
            upload=SimpleUploadedFile(
                "試験対策資料_1号学科_サンプル.pdf", _pdf(), content_type="application/pdf"
            ),
            by=admin,
        )
    if pdf.status == MemberResource.Status.DRAFT:
        services.publish_resource(pdf, by=admin)

    data = COUNCIL_CSV.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    council_run = ImportRun.objects.filter(sha256=digest, status=ImportRun.Status.IMPORTED).first()
    if council_run is None and Organisation.objects.filter(corporate_number="4011001098993").exists():
        run = services.preview_import(
            ImportRun.Kind.COUNCIL, data, file_name="協議会会員データ_サンプル.csv", by=admin
        )
        council_run = services.commit_import(run, by=admin) if run.can_import else run
    return {"announcement": announcement, "member_resource": page, "council_import": council_run}
