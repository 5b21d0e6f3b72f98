"""Demo topics of secure messages (with the team that answers) and text blocks, per office."""

from __future__ import annotations

from oegd.core.models import Department, Office
from oegd.messaging.models import TextBlock, Topic

YOUTH_COUNSELLING = {
    "de": "Beratung für junge Menschen",
    "en": "Counselling for young people",
    "tr": "Gençler için danışmanlık",
    "ar": "استشارة للشباب",
    "uk": "Консультація для молоді",
    "ru": "Консультация для молодёжи",
    "pl": "Poradnictwo dla młodzieży",
    "nb": "Rådgivning for unge",
    "da": "Rådgivning for unge",
}
SCHOOL_HEALTH = {
    "de": "Schulgesundheit",
    "en": "School health",
    "tr": "Okul sağlığı",
    "ar": "الصحة المدرسية",
    "uk": "Шкільне здоров'я",
    "ru": "Школьное здоровье",
    "pl": "Zdrowie w szkole",
    "nb": "Skolehelse",
    "da": "Skolesundhed",
}
VACCINATIONS = {
    "de": "Impfungen",
    "en": "Vaccinations",
    "tr": "Aşılar",
    "ar": "التطعيمات",
    "uk": "Щеплення",
    "ru": "Прививки",
    "pl": "Szczepienia",
    "nb": "Vaksiner",
    "da": "Vaccinationer",
}
HYGIENE = {
    "de": "Hygiene und Umwelt",
    "en": "Hygiene and environment",
    "tr": "Hijyen ve çevre",
    "ar": "النظافة والبيئة",
    "uk": "Гігієна та довкілля",
    "ru": "Гигиена и окружающая среда",
    "pl": "Higiena i środowisko",
    "nb": "Hygiene og miljø",
    "da": "Hygiejne og miljø",
}

# office slug -> (topic slug, names, team name, open to anonymous young people)
TOPICS = {
    "musterstadt": [
        ("jugendberatung", YOUTH_COUNSELLING, "Kinder- und Jugendgesundheit", True),
        ("schulgesundheit", SCHOOL_HEALTH, "Kinder- und Jugendgesundheit", True),
        ("impfungen", VACCINATIONS, "Infektionsschutz", False),
        ("hygiene", HYGIENE, "Hygiene", False),
    ],
    "beispielkreis": [
        ("jugendberatung", YOUTH_COUNSELLING, "Sozialpsychiatrischer Dienst", True),
        ("impfungen", VACCINATIONS, "Infektionsschutz", False),
    ],
}

TEXT_BLOCKS = [
    (
        "Eingangsbestätigung",
        "Vielen Dank für Ihre Nachricht. Wir melden uns innerhalb von drei Arbeitstagen bei Ihnen.",
    ),
    (
        "Termin vereinbaren",
        "Bitte vereinbaren Sie einen Termin online unter „Termine“ oder rufen Sie uns an.",
    ),
    (
        "Für junge Menschen",
        "Danke, dass du uns geschrieben hast. Alles, was du uns schreibst, bleibt bei uns. "
        "Wir antworten dir so bald wie möglich. Schau in ein paar Tagen mit deinem Code wieder vorbei.",
    ),
]


def load_messaging(offices: dict[str, Office]) -> None:
    """Topics and text blocks of the demo offices; an existing one is left as an admin changed it."""
    for slug, topics in TOPICS.items():
        office = offices[slug]
        for position, (topic_slug, names, team_name, anonymous) in enumerate(topics):
            Topic.objects.get_or_create(
                office=office,
                slug=topic_slug,
                defaults={
                    "team": Department.objects.filter(office=office, name=team_name).first(),
                    "texts": {language: {"name": name} for language, name in names.items()},
                    "open_to_anonymous": anonymous,
                    "position": position,
                },
            )
        for title, body in TEXT_BLOCKS:
            TextBlock.objects.get_or_create(office=office, title=title, defaults={"body": body})
