"""Seed the requirement rules of domain.md §3–§4 (FAQ 2-1-4, 2-3-1 … 2-3-6, 2-4-2, 2-4-6, 2-7-2, 3-2-2, 3-2-3).
Everything here is data staff edit in the admin; a later edit is never overwritten (get_or_create by code)."""

from django.db import migrations

DOCUMENT_TYPES = [
    # code, name, step, options, help
    ("shipment_evidence", "製造品出荷額等の証明書類（産業分類別テンプレート）", "shipment", {"order": 10},
     "届け出る産業分類の書き方見本（FAQ 2-3-6）に沿って作成し、直近1年以内の納品書・出荷指示書・請求書等の証跡画像を含めてください。"),
    ("product_image", "完成品（最終製品）の画像", "images", {"order": 20}, ""),
    ("factory_image", "製造設備・工場内部の画像", "images", {"order": 21}, ""),
    ("image_restriction_contract", "権利等の内容を記載した契約書（ある場合）", "images", {"order": 22},
     "画像を提出できない理由となる契約書があれば添付してください（FAQ 2-7-2）。"),
    ("textile_hr_certificate", "国際的な人権認証・監査の証明書", "addon",
     {"order": 30, "requires_valid_until": True, "min_months_valid": 3},
     "GOTS、OEKO-TEX STeP、bluesign、GRS、縫製業ガイドライン、経済産業省のJASTI監査など。申請日から3か月以上有効なもの。"),
    ("textile_hr_substitute", "人権認証の取得手続中であることを示す代替書類", "addon",
     {"order": 31, "evidence_template_override": "11-substitute"},
     "認証の取得手続中の場合。出荷実績は「繊維工業_人権基準認証手続中の代替書類」の様式で作成します。"),
    ("textile_attendance", "電子的な勤怠管理システムの利用を示す書類", "addon", {"order": 32},
     "経済産業省の「勤怠管理の電子化要件を満たすシステム」のリストに掲載されたシステム（FAQ 2-3-2）。"),
    ("textile_partnership", "パートナーシップ構築宣言の公表を示す書類", "addon", {"order": 33}, ""),
    ("textile_monthly_pay", "特定技能外国人への報酬を月給で支払うことを示す書類", "addon", {"order": 34},
     "雇用契約書・雇用条件書の写しなど。"),
    ("association_member_card", "業界団体が発行した正式な会員証", "addon", {"order": 40, "requires_association": True},
     "事業所自身が会員であること（親会社の所属は不可、FAQ 2-3-3）。在籍証明書は認められません（FAQ 2-3-4）。"),
    ("cooperative_certificate", "組合加盟証明書", "addon", {"order": 41},
     "協議会から引き継いだ入会要件として引き続き必要です（FAQ 2-1-4）。"),
    ("sme_proof", "中小企業であることを示す書類", "sme", {"order": 50},
     "選んだ種類の書類（労働保険の申告書、所得税徴収高計算書、決算書のいずれか）。自社のものだけで結構です。"),
    ("association_proof", "所属団体の会員であることを示す書類", "association", {"order": 60}, ""),
    ("merger_evidence", "合併・会社分割を示す証憑", "change", {"order": 70},
     "合併契約書、会社分割計画書など、新会社として独立（合併）することが分かる書類（FAQ 3-2-2）。"),
    ("relocation_address_evidence", "移転先の住所を確認できる書類", "change", {"order": 71},
     "登記簿謄本の写し、新工場の賃貸借契約書の写しなど（FAQ 3-2-3）。"),
]

REQUIREMENTS = [
    # label, kinds, addon, document type codes, options
    ("繊維工業 (a) 国際的な人権認証（申請日から3か月以上有効）または手続中の代替書類", "NEW,ADD_CLASSIFICATION", "textile",
     ["textile_hr_certificate", "textile_hr_substitute"], {"order": 10}),
    ("繊維工業 (b) 電子的な勤怠管理システムの導入", "NEW,ADD_CLASSIFICATION", "textile", ["textile_attendance"], {"order": 11}),
    ("繊維工業 (c) パートナーシップ構築宣言の公表", "NEW,ADD_CLASSIFICATION", "textile", ["textile_partnership"], {"order": 12}),
    ("繊維工業 (d) 特定技能外国人の月給制", "NEW,ADD_CLASSIFICATION", "textile", ["textile_monthly_pay"], {"order": 13}),
    ("印刷・同関連業：対象団体（いずれか1つ）の正式な会員証", "NEW,ADD_CLASSIFICATION", "printing",
     ["association_member_card"], {"order": 20, "association_must_qualify": True}),
    ("印刷・同関連業：組合加盟証明書", "NEW,ADD_CLASSIFICATION", "printing", ["cooperative_certificate"], {"order": 21}),
    ("こん包業：対象団体の正式な会員証", "NEW,ADD_CLASSIFICATION", "packing",
     ["association_member_card"], {"order": 30, "association_must_qualify": True}),
    ("こん包業：組合加盟証明書", "NEW,ADD_CLASSIFICATION", "packing", ["cooperative_certificate"], {"order": 31}),
    ("合併・会社分割を示す証憑", "NAME_CHANGE", "", ["merger_evidence"], {"order": 40}),
    ("移転先の住所を確認できる書類", "RELOCATION", "", ["relocation_address_evidence"], {"order": 50}),
]

PRINTING_ASSOCIATIONS = [
    ("全日本印刷工業組合連合会", "JAIM FAQ 2-3-5"),
    ("全日本製本工業組合連合会", "JAIM FAQ 2-3-5"),
    ("全国グラビア協同組合連合会", "public source (domain.md §3)"),
]

PLEDGES = [
    ("code_of_conduct", "JAIM行動規範の遵守", 10,
     "当事業所は、一般社団法人工業製品製造技能人材機構（JAIM）が定める行動規範の内容を確認し、"
     "これを遵守することを誓約します（FAQ 2-1-2、2-1-3）。\n"
     "※この文面は初期値です。事務局が管理画面で正式な文面の新しい版を登録してください。"),
    ("truthfulness", "申請内容が事実であることの誓約", 20,
     "申請書および提出書類の内容は事実に相違ありません。虚偽の内容が判明した場合、入会の取消し等の措置を受けることに同意します。"),
    ("privacy", "情報の取扱いへの同意", 30,
     "申請した法人情報・個人情報は、JAIMの個人情報の取扱い方針に基づき管理されることに同意します"
     "（個社との個別の機密保持契約は締結されません。FAQ 2-7-1）。"),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("applications", "DocumentType")
    Requirement = apps.get_model("applications", "Requirement")
    AddonAssociation = apps.get_model("applications", "AddonAssociation")
    PledgeText = apps.get_model("applications", "PledgeText")
    Association = apps.get_model("members", "Association")

    types = {}
    for code, name, step, options, help_text in DOCUMENT_TYPES:
        types[code], _ = DocumentType.objects.get_or_create(
            code=code, defaults={"name": name, "step": step, "help_text": help_text, **options}
        )
    if not Requirement.objects.exists():
        for label, kinds, addon, codes, options in REQUIREMENTS:
            req = Requirement.objects.create(label=label, kinds=kinds, addon=addon, **options)
            req.document_types.set([types[c] for c in codes])
    for name, note in PRINTING_ASSOCIATIONS:
        assoc, _ = Association.objects.get_or_create(
            name=name, defaults={"is_regular_member": False, "proof_required": True}
        )
        AddonAssociation.objects.get_or_create(addon="printing", association=assoc, defaults={"note": note})
    # 484 packing: which association is designated is not public (domain.md §3) — staff add it in the admin.
    for code, title, order, body in PLEDGES:
        PledgeText.objects.get_or_create(
            code=code, version=1,
            defaults={"title": title, "body": body, "order": order, "kinds": "NEW,ADD_CLASSIFICATION"},
        )


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_initial"), ("members", "0002_load_jsic")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
