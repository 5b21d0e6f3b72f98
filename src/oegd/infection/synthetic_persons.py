"""A seeded synthetic person set with known duplicates, for training and measuring person matching.

Names of German, Turkish, Polish, Ukrainian and Arabic origin, drawn with a skewed (Zipf-like)
frequency so that common names collide as they do in a real office. A share of the persons appear
again as duplicates, each with one to three of the errors seen in notifications: typos
(substitution, insertion, deletion, transposition), umlaut spellings (Müller/Mueller/Muller),
transliteration variants (Oleksandr/Aleksandr, Yılmaz/Yilmaz, Mohammed/Muhammad), swapped given and
family name, a dropped second given name, a birth date with day and month swapped or one digit
wrong, a moved address, a missing sex. Ground truth: records of one `entity` are the same person.

No real person's data: every name is a common name, combined at random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import combinations

# (given names female, given names male, family names) per origin, most common first.
_ORIGINS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "de": (
        [
            "Anna",
            "Maria",
            "Ursula",
            "Monika",
            "Petra",
            "Sabine",
            "Julia",
            "Katharina",
            "Laura",
            "Sophie",
            "Emma",
            "Hannah",
            "Lena",
            "Claudia",
            "Renate",
            "Jutta",
            "Sandra",
            "Stefanie",
            "Andrea",
            "Birgit",
            "Gisela",
            "Helga",
            "Ingrid",
            "Karin",
            "Lea",
            "Mia",
            "Nicole",
            "Susanne",
            "Tanja",
            "Jana",
            "Charlotte",
            "Johanna",
            "Marie",
            "Frieda",
            "Gertrud",
            "Käthe",
            "Annelie",
        ],
        [
            "Hans",
            "Peter",
            "Michael",
            "Thomas",
            "Andreas",
            "Stefan",
            "Wolfgang",
            "Klaus",
            "Jürgen",
            "Frank",
            "Christian",
            "Markus",
            "Lukas",
            "Jonas",
            "Felix",
            "Maximilian",
            "Paul",
            "Leon",
            "Ben",
            "Tim",
            "Uwe",
            "Dieter",
            "Günter",
            "Horst",
            "Manfred",
            "Matthias",
            "Sebastian",
            "Tobias",
            "Florian",
            "Jörg",
            "Björn",
            "Ralf",
            "Bernd",
            "Heinz",
            "Karl",
            "Friedrich",
        ],
        [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Bauer",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Braun",
            "Krüger",
            "Hofmann",
            "Hartmann",
            "Lange",
            "Schmitt",
            "Werner",
            "Schmitz",
            "Krause",
            "Meier",
            "Lehmann",
            "Schmid",
            "Schulze",
            "Maier",
            "Köhler",
            "Herrmann",
            "König",
            "Walter",
            "Mayer",
            "Huber",
            "Kaiser",
            "Fuchs",
            "Peters",
            "Lang",
            "Scholz",
            "Möller",
            "Weiß",
            "Jung",
            "Hahn",
            "Schubert",
            "Vogel",
            "Friedrich",
            "Keller",
            "Günther",
            "Frank",
            "Berger",
            "Winkler",
            "Roth",
            "Beck",
            "Lorenz",
            "Baumann",
            "Franke",
            "Albrecht",
            "Schuster",
            "Simon",
            "Ludwig",
            "Böhm",
            "Winter",
            "Kraus",
            "Martin",
            "Schumacher",
            "Krämer",
            "Vogt",
            "Stein",
            "Jäger",
            "Otto",
            "Sommer",
            "Groß",
            "Seidel",
            "Heinrich",
            "Brandt",
            "Haas",
            "Schreiber",
            "Graf",
            "Schulte",
            "Dietrich",
            "Ziegler",
            "Kuhn",
            "Kühn",
            "Pohl",
            "Engel",
            "Horn",
            "Busch",
            "Bergmann",
            "Thomas",
            "Voigt",
            "Sauer",
            "Arnold",
            "Wolff",
            "Pfeiffer",
            "Müller-Lüdenscheidt",
            "Oßwald",
            "Großmann",
            "Häußler",
            "Straßburger",
            "Nüßlein",
            "Blümel",
        ],
    ),
    "tr": (
        [
            "Ayşe",
            "Fatma",
            "Emine",
            "Hatice",
            "Zeynep",
            "Elif",
            "Meryem",
            "Şerife",
            "Zehra",
            "Sultan",
            "Hülya",
            "Özlem",
            "Derya",
            "Gül",
            "Esra",
            "Büşra",
        ],
        [
            "Mehmet",
            "Mustafa",
            "Ahmet",
            "Ali",
            "Hüseyin",
            "Hasan",
            "İbrahim",
            "İsmail",
            "Osman",
            "Yusuf",
            "Murat",
            "Ömer",
            "Ramazan",
            "Halil",
            "Süleyman",
            "Emre",
            "Burak",
            "Serkan",
        ],
        [
            "Yılmaz",
            "Kaya",
            "Demir",
            "Şahin",
            "Çelik",
            "Yıldız",
            "Yıldırım",
            "Öztürk",
            "Aydın",
            "Özdemir",
            "Arslan",
            "Doğan",
            "Kılıç",
            "Aslan",
            "Çetin",
            "Kara",
            "Koç",
            "Kurt",
            "Özkan",
            "Şimşek",
            "Polat",
            "Korkmaz",
            "Güneş",
            "Erdoğan",
            "Aktaş",
            "Bulut",
            "Keskin",
            "Çakır",
            "Ünal",
            "Güler",
        ],
    ),
    "pl": (
        [
            "Anna",
            "Maria",
            "Katarzyna",
            "Małgorzata",
            "Agnieszka",
            "Barbara",
            "Ewa",
            "Krystyna",
            "Magdalena",
            "Joanna",
            "Aleksandra",
            "Zofia",
            "Elżbieta",
            "Dorota",
        ],
        [
            "Piotr",
            "Krzysztof",
            "Andrzej",
            "Tomasz",
            "Paweł",
            "Jan",
            "Michał",
            "Marcin",
            "Jakub",
            "Adam",
            "Łukasz",
            "Grzegorz",
            "Mateusz",
            "Wojciech",
            "Stanisław",
        ],
        [
            "Nowak",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kowalczyk",
            "Kamiński",
            "Lewandowski",
            "Zieliński",
            "Szymański",
            "Woźniak",
            "Dąbrowski",
            "Kozłowski",
            "Jankowski",
            "Mazur",
            "Kwiatkowski",
            "Krawczyk",
            "Kaczmarek",
            "Piotrowski",
            "Grabowski",
            "Zając",
            "Pawłowski",
            "Michalski",
            "Król",
            "Wieczorek",
        ],
    ),
    "ua": (
        [
            "Олена",
            "Оксана",
            "Наталія",
            "Тетяна",
            "Ірина",
            "Юлія",
            "Анастасія",
            "Марія",
            "Світлана",
            "Катерина",
            "Olena",
            "Oksana",
            "Nataliia",
            "Iryna",
            "Yuliia",
            "Anastasiia",
        ],
        [
            "Олександр",
            "Андрій",
            "Сергій",
            "Володимир",
            "Дмитро",
            "Микола",
            "Іван",
            "Юрій",
            "Максим",
            "Богдан",
            "Oleksandr",
            "Andrii",
            "Serhii",
            "Volodymyr",
            "Dmytro",
            "Mykola",
            "Yurii",
            "Maksym",
        ],
        [
            "Шевченко",
            "Коваленко",
            "Бондаренко",
            "Ткаченко",
            "Кравченко",
            "Олійник",
            "Мельник",
            "Коваль",
            "Shevchenko",
            "Kovalenko",
            "Bondarenko",
            "Tkachenko",
            "Kravchenko",
            "Oliinyk",
            "Melnyk",
            "Koval",
            "Boiko",
            "Kovalchuk",
            "Lysenko",
            "Marchenko",
            "Rudenko",
            "Savchenko",
            "Petrenko",
            "Moroz",
        ],
    ),
    "ar": (
        ["Fatima", "Aisha", "Maryam", "Zainab", "Nour", "Layla", "Amina", "Hana", "Rania", "Yasmin", "Salma"],
        [
            "Mohammed",
            "Ahmad",
            "Ali",
            "Omar",
            "Khaled",
            "Hassan",
            "Hussein",
            "Youssef",
            "Ibrahim",
            "Mahmoud",
            "Abdullah",
            "Karim",
            "Tarek",
            "Bilal",
        ],
        [
            "Al-Ahmad",
            "Hassan",
            "Hussein",
            "Ibrahim",
            "Khalil",
            "Mahmoud",
            "Mustafa",
            "Saleh",
            "Haddad",
            "Nasser",
            "Abdallah",
            "Al-Hassan",
            "Darwish",
            "Khoury",
            "Mansour",
            "Othman",
            "Said",
            "Jaber",
        ],
    ),
}
_ORIGIN_SHARE = {"de": 0.72, "tr": 0.10, "pl": 0.07, "ua": 0.06, "ar": 0.05}

# Transliteration and spelling variants the same person's name shows in different sources.
_VARIANTS: dict[str, list[str]] = {
    "Олександр": ["Oleksandr", "Alexander", "Aleksandr", "Olexandr"],
    "Oleksandr": ["Olexandr", "Aleksandr", "Alexander"],
    "Андрій": ["Andrii", "Andrij", "Andriy"], "Andrii": ["Andrij", "Andriy", "Andrej"],
    "Сергій": ["Serhii", "Serhij", "Sergej"], "Serhii": ["Serhij", "Sergii", "Sergej"],
    "Володимир": ["Volodymyr", "Wolodymyr", "Vladimir"], "Volodymyr": ["Wolodymyr", "Wladimir"],
    "Дмитро": ["Dmytro", "Dmitro"], "Dmytro": ["Dmitro", "Dmitri"],
    "Микола": ["Mykola", "Nikolai"], "Mykola": ["Mikola", "Nikolaj"],
    "Юрій": ["Yurii", "Jurij", "Yuriy"], "Yurii": ["Jurij", "Yuriy"],
    "Олена": ["Olena", "Elena", "Jelena"], "Olena": ["Elena", "Jelena"],
    "Наталія": ["Nataliia", "Natalija", "Natalia"], "Nataliia": ["Natalija", "Natalia", "Natalya"],
    "Юлія": ["Yuliia", "Julija", "Julia"], "Yuliia": ["Julija", "Yulia", "Julia"],
    "Анастасія": ["Anastasiia", "Anastasija", "Anastasia"], "Anastasiia": ["Anastasija", "Anastasia"],
    "Ірина": ["Iryna", "Irina"], "Iryna": ["Irina"],
    "Оксана": ["Oksana"], "Тетяна": ["Tetiana", "Tetjana", "Tatjana"],
    "Шевченко": ["Shevchenko", "Schewtschenko", "Sevcenko"], "Shevchenko": ["Schewtschenko", "Ševčenko"],
    "Коваленко": ["Kovalenko", "Kowalenko"], "Kovalenko": ["Kowalenko"],
    "Бондаренко": ["Bondarenko"], "Ткаченко": ["Tkachenko", "Tkatschenko"], "Tkachenko": ["Tkatschenko"],
    "Кравченко": ["Kravchenko", "Krawtschenko"], "Kravchenko": ["Krawtschenko"],
    "Олійник": ["Oliinyk", "Olijnyk", "Oleinik"], "Oliinyk": ["Olijnyk", "Oleinik"],
    "Мельник": ["Melnyk", "Melnik"], "Melnyk": ["Melnik"], "Коваль": ["Koval", "Kowal"], "Koval": ["Kowal"],
    "Boiko": ["Boyko", "Bojko"], "Kovalchuk": ["Kowaltschuk", "Kovalczuk"],
    "Yılmaz": ["Yilmaz", "Yilmas"], "Yıldız": ["Yildiz"], "Yıldırım": ["Yildirim"], "Öztürk": ["Oeztuerk", "Ozturk"],
    "Özdemir": ["Oezdemir", "Ozdemir"], "Şahin": ["Sahin", "Schahin"], "Çelik": ["Celik", "Tschelik"],
    "Doğan": ["Dogan"], "Kılıç": ["Kilic", "Kilinc"], "Çetin": ["Cetin"], "Şimşek": ["Simsek"],
    "Güneş": ["Guenes", "Gunes"], "Erdoğan": ["Erdogan"], "Aktaş": ["Aktas"], "Çakır": ["Cakir"],
    "Ünal": ["Uenal", "Unal"], "Güler": ["Gueler", "Guler"], "Koç": ["Koc"], "Özkan": ["Oezkan", "Ozkan"],
    "Ayşe": ["Ayse", "Aysche"], "Şerife": ["Serife"], "Hülya": ["Huelya", "Hulya"], "Özlem": ["Oezlem", "Ozlem"],
    "Büşra": ["Busra", "Buesra"], "Hüseyin": ["Hueseyin", "Huseyin", "Hüseyn"], "İbrahim": ["Ibrahim"],
    "İsmail": ["Ismail"], "Ömer": ["Oemer", "Omer"], "Süleyman": ["Sueleyman", "Suleyman"],
    "Mohammed": ["Muhammad", "Mohamed", "Mohammad", "Muhammed"], "Ahmad": ["Ahmed", "Achmed"],
    "Youssef": ["Yusuf", "Yousef", "Jussuf"], "Hussein": ["Husein", "Hussain"], "Hassan": ["Hasan"],
    "Khaled": ["Khalid", "Chaled"], "Mahmoud": ["Mahmud", "Mahmood"], "Omar": ["Umar"],
    "Aisha": ["Aischa", "Ayesha"], "Maryam": ["Mariam", "Meryem"], "Zainab": ["Zeinab", "Zaynab"],
    "Nour": ["Nur", "Noor"], "Layla": ["Leila", "Laila"], "Al-Ahmad": ["Alahmad", "Al Ahmad", "Ahmad"],
    "Al-Hassan": ["Alhassan", "Al Hassan"], "Abdallah": ["Abdullah"], "Khoury": ["Khouri", "Churi"],
    "Meier": ["Meyer", "Mayer", "Maier"], "Meyer": ["Meier", "Mayer"], "Mayer": ["Meyer", "Maier"],
    "Maier": ["Meier", "Mayer"], "Schmidt": ["Schmitt", "Schmid"], "Schmitt": ["Schmidt"],
    "Schmid": ["Schmidt"], "Hoffmann": ["Hofmann"], "Hofmann": ["Hoffmann"], "Wolf": ["Wolff"],
    "Wolff": ["Wolf"], "Kraus": ["Krause"], "Kowalski": ["Kowalsky"], "Wiśniewski": ["Wisniewski", "Wischnewski"],
    "Wójcik": ["Wojcik"], "Kamiński": ["Kaminski"], "Lewandowski": ["Lewandowsky"], "Zieliński": ["Zielinski"],
    "Szymański": ["Szymanski", "Schimanski"], "Woźniak": ["Wozniak"], "Dąbrowski": ["Dabrowski"],
    "Kozłowski": ["Kozlowski"], "Zając": ["Zajac"], "Pawłowski": ["Pawlowski"], "Król": ["Krol"],
    "Małgorzata": ["Malgorzata"], "Elżbieta": ["Elzbieta"], "Paweł": ["Pawel"], "Łukasz": ["Lukasz"],
    "Michał": ["Michal"], "Stanisław": ["Stanislaw"], "Katarzyna": ["Katharina"],
    "Jürgen": ["Juergen", "Jurgen"], "Günter": ["Guenter", "Günther"], "Jörg": ["Joerg", "Jorg"],
    "Björn": ["Bjoern", "Bjorn"], "Käthe": ["Kaethe"], "Friedrich": ["Fritz"], "Sophie": ["Sofie"],
    "Stefan": ["Stephan"], "Matthias": ["Mathias"], "Frieda": ["Frida"], "Gertrud": ["Gertraud"],
}  # fmt: skip
_UMLAUT_STYLES = (
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"},
    {"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "Ä": "A", "Ö": "O", "Ü": "U"},
    {"ß": "ss"},
)
_STREETS = [
    "Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Dorfstraße", "Bergstraße", "Kirchstraße",
    "Lindenstraße", "Waldstraße", "Ringstraße", "Am Markt", "Goethestraße", "Schillerstraße", "Mühlenweg",
    "Birkenweg", "Rosenweg", "Friedhofstraße", "Mozartstraße", "Poststraße", "Industriestraße", "Am Bach",
    "Parkstraße", "Feldstraße", "Wiesenweg", "Lessingstraße", "Kantstraße", "Rathausplatz", "Talstraße",
]  # fmt: skip
_PLACES = [("12345", "Musterstadt"), ("12347", "Musterstadt"), ("12349", "Musterstadt"), ("12351", "Nordheim"),
           ("12353", "Südhausen"), ("12355", "Osterfeld"), ("12357", "Westdorf"), ("12359", "Bachingen"),
           ("12361", "Lindental"), ("12363", "Hohenberg")]  # fmt: skip
_KEYBOARD_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo", "j": "hk",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad", "t": "rz", "u": "zi",
    "v": "cb", "w": "qe", "z": "tu", "y": "x", "x": "yc", "q": "wa",
}  # fmt: skip
_ERRORS = (
    ("typo_family", 0.22),
    ("typo_given", 0.18),
    ("umlaut", 0.10),
    ("transliteration", 0.12),
    ("swap_names", 0.05),
    ("drop_second_given", 0.04),
    ("date_day_month_swap", 0.05),
    ("date_one_digit", 0.08),
    ("moved", 0.14),
    ("missing_sex", 0.04),
    ("missing_street", 0.04),
)


@dataclass(frozen=True)
class SyntheticPerson:
    """One record of the synthetic set; records with the same `entity` are the same person."""

    entity: int
    given_name: str
    family_name: str
    birth_date: date | None
    sex: str
    street: str
    postal_code: str
    place: str
    errors: tuple[str, ...] = ()

    def as_person(self, office):  # type: ignore[no-untyped-def]
        """An unsaved `cases.Person` of the office, match keys set (ready for bulk_create)."""
        from oegd.cases.models import Person

        person = Person(
            office=office,
            given_name=self.given_name,
            family_name=self.family_name,
            birth_date=self.birth_date,
            sex=self.sex,
            street=self.street,
            postal_code=self.postal_code,
            place=self.place,
        )
        person.set_match_keys()
        return person

    def as_incoming(self):  # type: ignore[no-untyped-def]
        from oegd.infection.matching import IncomingPerson

        return IncomingPerson(
            given_name=self.given_name,
            family_name=self.family_name,
            birth_date=self.birth_date,
            sex=self.sex,
            street=self.street,
            postal_code=self.postal_code,
            place=self.place,
        )


@dataclass
class SyntheticPersonSet:
    records: list[SyntheticPerson]
    entities: dict[int, list[int]] = field(default_factory=dict)  # entity → record indexes

    def true_pairs(self) -> set[tuple[int, int]]:
        """Index pairs (i < j) of records that are the same person."""
        pairs: set[tuple[int, int]] = set()
        for indexes in self.entities.values():
            pairs.update(combinations(sorted(indexes), 2))
        return pairs


# Rarer family names, composed from common parts, for the long tail real offices see (Germany alone has
# several hundred thousand family names; the top one, Müller, is under 1 % of the population).
_TAIL_PARTS: dict[str, tuple[list[str], list[str]]] = {
    "de": (
        ["Acker", "Bach", "Berg", "Brand", "Busch", "Eck", "Feld", "Fried", "Gold", "Grün", "Hage", "Hart",
         "Heide", "Hof", "Holz", "Horn", "Kirch", "Lind", "Mühl", "Neu", "Ober", "Reich", "Rosen", "Schön",
         "Stein", "Sonnen", "Wald", "Wester", "Kessel", "Kron", "Dorn", "Eichen", "Falken", "Hassel", "Linden",
         "Mohr", "Rot", "Sieg", "Thal", "Wies", "Ahl", "Bor", "Det", "Ebel", "Gies", "Hel", "Lütt", "Nagel"],
        ["mann", "er", "berger", "bauer", "huber", "meier", "ner", "hofer", "maier", "feld", "hausen", "ing",
         "inger", "rich", "ke", "städter", "länder", "müller", "brink", "kamp", "horst", "beck", "wald", "ert"],
    ),
    "tr": (
        ["Ak", "Kara", "Öz", "Yıl", "Demir", "Gül", "Er", "Kaya", "Tan", "Ay", "Bal", "Can", "Gök", "Tun", "Uz"],
        ["oğlu", "can", "türk", "soy", "han", "dağ", "taş", "er", "göz", "kan", "baş"],
    ),
    "pl": (
        ["Nowa", "Kowal", "Wiśniew", "Kamie", "Lewan", "Zieli", "Szyma", "Dąbrow", "Kozło", "Jankow", "Mazur",
         "Kwiat", "Krawc", "Grab", "Pawło", "Michal", "Wiecz", "Jabło", "Ostrow", "Tomasz"],
        ["ski", "czyk", "ak", "ek", "owicz", "ewski", "iński"],
    ),
    "ua": (
        ["Shev", "Koval", "Bondar", "Tkach", "Krav", "Oli", "Meln", "Boi", "Lys", "March", "Rud", "Sav",
         "Petr", "Moroz", "Hryts", "Pavl", "Ivan", "Sydor", "Yarem", "Klym"],
        ["enko", "chuk", "yshyn", "iuk", "ovych", "ko", "ak"],
    ),
    "ar": (
        ["Al-", "El-", "Abu ", "Bin ", "Ben "],
        ["Amin", "Bakr", "Farouk", "Ghanem", "Habib", "Issa", "Jamal", "Kassem", "Latif", "Nabil", "Qasim",
         "Rashid", "Sabri", "Taha", "Wahid", "Yassin", "Zaki", "Hamdan", "Sharif", "Masri", "Halabi"],
    ),
}  # fmt: skip
_TAIL_SHARE = 0.6  # share of persons with a name from the long tail


def _family_name(rng: random.Random, origin: str, common: list[str]) -> str:
    if rng.random() >= _TAIL_SHARE:
        return _zipf_choice(rng, common, exponent=0.7)
    first, second = _TAIL_PARTS[origin]
    return rng.choice(first) + rng.choice(second)


def _zipf_choice(rng: random.Random, items: list[str], exponent: float = 0.9) -> str:
    weights = [1 / (rank + 1) ** exponent for rank in range(len(items))]
    return rng.choices(items, weights=weights, k=1)[0]


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 3:
        return name + rng.choice("aeinrst")
    position = rng.randrange(1, len(name) - 1)  # first letters are rarely mistyped
    kind = rng.choice(("substitute", "insert", "delete", "transpose"))
    char = name[position].lower()
    if kind == "substitute":
        replacement = rng.choice(_KEYBOARD_NEIGHBOURS.get(char, "aeiou"))
        return name[:position] + replacement + name[position + 1 :]
    if kind == "insert":
        return name[:position] + name[position] + name[position:]  # doubled letter
    if kind == "delete":
        return name[:position] + name[position + 1 :]
    return name[:position] + name[position + 1] + name[position] + name[position + 2 :]


def _umlaut_variant(rng: random.Random, name: str) -> str:
    style = rng.choice(_UMLAUT_STYLES)
    return "".join(style.get(char, char) for char in name)


def _one_digit(rng: random.Random, day: date) -> date:
    for _ in range(20):
        text = day.strftime("%Y%m%d")
        position = rng.choice([2, 3, 6, 7, 4, 5])  # a digit of the year (decade/year), month or day
        digit = rng.choice([d for d in "0123456789" if d != text[position]])
        changed = text[:position] + digit + text[position + 1 :]
        try:
            candidate = date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))
        except ValueError:
            continue
        if candidate <= date(2025, 12, 31):
            return candidate
    return day + timedelta(days=1)


def _address(rng: random.Random) -> tuple[str, str, str]:
    postal_code, place = rng.choice(_PLACES)
    return f"{rng.choice(_STREETS)} {rng.randint(1, 120)}", postal_code, place


def _corrupt(rng: random.Random, original: SyntheticPerson) -> SyntheticPerson:
    names, weights = zip(*_ERRORS, strict=True)
    chosen = set(rng.choices(names, weights=weights, k=rng.choice((1, 1, 2, 2, 3))))
    record = original
    for error in sorted(chosen):
        if error == "typo_family":
            record = replace(record, family_name=_typo(rng, record.family_name))
        elif error == "typo_given":
            record = replace(record, given_name=_typo(rng, record.given_name))
        elif error == "umlaut":
            record = replace(
                record,
                family_name=_umlaut_variant(rng, record.family_name),
                given_name=_umlaut_variant(rng, record.given_name),
            )
        elif error == "transliteration":
            family = rng.choice(_VARIANTS.get(record.family_name, [record.family_name]))
            given = rng.choice(_VARIANTS.get(record.given_name, [record.given_name]))
            record = replace(record, family_name=family, given_name=given)
        elif error == "swap_names":
            record = replace(record, family_name=record.given_name, given_name=record.family_name)
        elif error == "drop_second_given" and " " in record.given_name:
            record = replace(record, given_name=record.given_name.split()[0])
        elif error == "date_day_month_swap" and record.birth_date and record.birth_date.day <= 12:
            day = record.birth_date
            record = replace(record, birth_date=day.replace(month=day.day, day=day.month))
        elif error == "date_one_digit" and record.birth_date:
            record = replace(record, birth_date=_one_digit(rng, record.birth_date))
        elif error == "moved":
            street, postal_code, place = _address(rng)
            record = replace(record, street=street, postal_code=postal_code, place=place)
        elif error == "missing_sex":
            record = replace(record, sex="")
        elif error == "missing_street":
            record = replace(record, street="")
    return replace(record, errors=tuple(sorted(chosen)))


def synthetic_persons(count: int = 20_000, *, duplicate_share: float = 0.25, seed: int = 7) -> SyntheticPersonSet:
    """`count` records, of which about `duplicate_share` are duplicates of another record, shuffled."""
    rng = random.Random(seed)  # noqa: S311 (test data, not security)
    originals = round(count * (1 - duplicate_share))
    records: list[SyntheticPerson] = []
    origins, origin_weights = zip(*_ORIGIN_SHARE.items(), strict=True)
    for entity in range(originals):
        origin = rng.choices(origins, weights=origin_weights, k=1)[0]
        female, male, families = _ORIGINS[origin]
        sex = rng.choice(("female", "male"))
        given = _zipf_choice(rng, female if sex == "female" else male, exponent=0.5)
        if origin == "de" and rng.random() < 0.12:
            second = _zipf_choice(rng, female if sex == "female" else male, exponent=0.5)
            if second != given:
                given = f"{given} {second}"
        family = _family_name(rng, origin, families)
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 95 * 365))
        street, postal_code, place = _address(rng)
        records.append(
            SyntheticPerson(entity, given, family, born, sex if rng.random() > 0.01 else "", street, postal_code, place)
        )
    while len(records) < count:
        original = records[rng.randrange(originals)]
        records.append(_corrupt(rng, original))
    rng.shuffle(records)
    entities: dict[int, list[int]] = {}
    for index, record in enumerate(records):
        entities.setdefault(record.entity, []).append(index)
    return SyntheticPersonSet(records=records, entities=entities)
