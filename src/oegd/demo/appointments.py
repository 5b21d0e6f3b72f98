"""Demo appointments: a location per office, staff and rooms with working plans, five types."""

from __future__ import annotations

from datetime import time

from oegd.appointments.models import AppointmentType, Location, Resource, WorkingPlan
from oegd.core.models import Office, User

TYPES = [
    {
        "slug": "impfberatung",
        "duration_minutes": 20,
        "buffer_after_minutes": 10,
        "slot_step_minutes": 30,
        "required_qualification": "physician",
        "needs_room": True,
        "reminder_offsets": [24 * 60, 120],
        "texts": {
            "de": (
                "Impfberatung",
                "Beratung zu Impfungen für Kinder, Erwachsene und Reisen; bitte Impfpass mitbringen.",
            ),
            "en": (
                "Vaccination advice",
                "Advice on vaccinations for children, adults and travel; please bring your vaccination record.",
            ),
            "tr": (
                "Aşı danışmanlığı",
                "Çocuklar, yetişkinler ve seyahat için aşı danışmanlığı; lütfen aşı kartınızı getirin.",
            ),
            "ar": ("استشارة التطعيم", "استشارة حول التطعيمات للأطفال والبالغين والسفر؛ يرجى إحضار بطاقة التطعيم."),
            "uk": (
                "Консультація щодо щеплень",
                "Консультація щодо щеплень для дітей, дорослих і подорожей; візьміть, будь ласка, картку щеплень.",
            ),
            "ru": (
                "Консультация по прививкам",
                "Консультация по прививкам для детей, взрослых и путешествий; возьмите прививочный паспорт.",
            ),
            "pl": (
                "Porada w sprawie szczepień",
                "Porada w sprawie szczepień dla dzieci, dorosłych i przed podróżą; prosimy o książeczkę szczepień.",
            ),
            "nb": (
                "Vaksinasjonsrådgivning",
                "Rådgivning om vaksiner for barn, voksne og reiser; ta med vaksinasjonskortet.",
            ),
            "da": (
                "Vaccinationsrådgivning",
                "Rådgivning om vacciner til børn, voksne og rejser; medbring dit vaccinationskort.",
            ),
        },
    },
    {
        "slug": "belehrung-43",
        "duration_minutes": 60,
        "slot_step_minutes": 60,
        "capacity": 20,
        "max_active_per_person": 1,
        "required_qualification": "ifsg43",
        "reminder_offsets": [24 * 60],
        "texts": {
            "de": (
                "Belehrung nach § 43 IfSG",
                "Gruppentermin für die Bescheinigung, die Sie für die Arbeit mit Lebensmitteln brauchen.",
            ),
            "en": ("Instruction under § 43 IfSG", "Group session for the certificate you need to work with food."),
            "tr": ("§ 43 IfSG bilgilendirmesi", "Gıda ile çalışmak için gereken belge için grup oturumu."),
            "ar": (
                "التوعية وفق المادة 43 من قانون الحماية من العدوى",
                "جلسة جماعية للحصول على الشهادة اللازمة للعمل في مجال الأغذية.",
            ),
            "uk": (
                "Інструктаж за § 43 IfSG",
                "Груповий захід для отримання довідки, потрібної для роботи з харчовими продуктами.",
            ),
            "ru": (
                "Инструктаж по § 43 IfSG",
                "Групповое занятие для получения справки, необходимой для работы с продуктами питания.",
            ),
            "pl": (
                "Pouczenie zgodnie z § 43 IfSG",
                "Spotkanie grupowe w sprawie zaświadczenia potrzebnego do pracy z żywnością.",
            ),
            "nb": ("Opplæring etter § 43 IfSG", "Gruppemøte for attesten du trenger for å arbeide med mat."),
            "da": (
                "Instruktion efter § 43 IfSG",
                "Gruppemøde om den attest, du skal bruge for at arbejde med fødevarer.",
            ),
        },
    },
    {
        "slug": "schuleingangsuntersuchung",
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "slot_step_minutes": 60,
        "audience": AppointmentType.Audience.INVITED,
        "required_qualification": "physician",
        "needs_room": True,
        "horizon_days": 120,
        "reminder_offsets": [3 * 24 * 60, 24 * 60],
        "texts": {
            "de": ("Schuleingangsuntersuchung", "Untersuchung Ihres Kindes vor der Einschulung; nur mit Einladung."),
            "en": ("School-entry examination", "Examination of your child before starting school; by invitation only."),
            "tr": ("Okula başlama muayenesi", "Çocuğunuzun okula başlamadan önceki muayenesi; yalnızca davetle."),
            "ar": ("فحص الالتحاق بالمدرسة", "فحص طفلك قبل دخول المدرسة؛ بدعوة فقط."),
            "uk": ("Обстеження перед школою", "Обстеження вашої дитини перед початком навчання; лише за запрошенням."),
            "ru": (
                "Обследование перед школой",
                "Обследование вашего ребёнка перед поступлением в школу; только по приглашению.",
            ),
            "pl": (
                "Badanie przed pójściem do szkoły",
                "Badanie dziecka przed rozpoczęciem nauki; tylko z zaproszeniem.",
            ),
            "nb": ("Skolestartundersøkelse", "Undersøkelse av barnet ditt før skolestart; kun med invitasjon."),
            "da": ("Skolestartsundersøgelse", "Undersøgelse af dit barn før skolestart; kun med invitation."),
        },
    },
    {
        "slug": "sti-beratung",
        "duration_minutes": 30,
        "slot_step_minutes": 30,
        "required_qualification": "sti",
        "mode": AppointmentType.Mode.IN_PERSON,
        "reminder_offsets": [24 * 60],
        "texts": {
            "de": (
                "Beratung und Test zu sexueller Gesundheit",
                "Vertraulich und kostenlos: HIV- und STI-Tests mit Beratung.",
            ),
            "en": ("Sexual health advice and testing", "Confidential and free: HIV and STI tests with advice."),
            "tr": (
                "Cinsel sağlık danışmanlığı ve testi",
                "Gizli ve ücretsiz: danışmanlıkla birlikte HIV ve CYBE testleri.",
            ),
            "ar": (
                "استشارة وفحص الصحة الجنسية",
                "بسرية ومجاناً: فحوص فيروس نقص المناعة والأمراض المنقولة جنسياً مع استشارة.",
            ),
            "uk": (
                "Консультація та тест щодо сексуального здоров'я",
                "Конфіденційно й безкоштовно: тести на ВІЛ та ІПСШ з консультацією.",
            ),
            "ru": (
                "Консультация и тест по сексуальному здоровью",
                "Конфиденциально и бесплатно: тесты на ВИЧ и ИППП с консультацией.",
            ),
            "pl": (
                "Porada i test w sprawie zdrowia seksualnego",
                "Poufnie i bezpłatnie: testy na HIV i choroby przenoszone drogą płciową z poradą.",
            ),
            "nb": (
                "Rådgivning og testing om seksuell helse",
                "Fortrolig og gratis: test for hiv og kjønnssykdommer med rådgivning.",
            ),
            "da": (
                "Rådgivning og test om seksuel sundhed",
                "Fortroligt og gratis: test for hiv og kønssygdomme med rådgivning.",
            ),
        },
    },
    {
        "slug": "video-sprechstunde",
        "duration_minutes": 20,
        "slot_step_minutes": 30,
        "mode": AppointmentType.Mode.VIDEO,
        "min_notice_minutes": 60,
        "reminder_offsets": [60],
        "texts": {
            "de": ("Video-Sprechstunde", "Fragen an den Kinder- und Jugendgesundheitsdienst per Video."),
            "en": ("Video consultation", "Questions to the child and youth health service by video."),
            "tr": ("Görüntülü görüşme", "Çocuk ve genç sağlığı servisine görüntülü sorular."),
            "ar": ("استشارة عبر الفيديو", "أسئلة إلى خدمة صحة الأطفال والشباب عبر الفيديو."),
            "uk": ("Відеоконсультація", "Питання до служби здоров'я дітей і молоді через відеозв'язок."),
            "ru": ("Видеоконсультация", "Вопросы в службу здоровья детей и молодёжи по видеосвязи."),
            "pl": ("Konsultacja wideo", "Pytania do służby zdrowia dzieci i młodzieży przez wideo."),
            "nb": ("Videokonsultasjon", "Spørsmål til barne- og ungdomshelsetjenesten på video."),
            "da": ("Videokonsultation", "Spørgsmål til børne- og ungdomssundhedstjenesten via video."),
        },
    },
]

ACCESSIBILITY = {
    "de": "Stufenloser Eingang, Aufzug, barrierefreies WC.",
    "en": "Step-free entrance, lift, accessible toilet.",
    "tr": "Basamaksız giriş, asansör, engelli tuvaleti.",
    "ar": "مدخل بدون درج، مصعد، دورة مياه مهيأة لذوي الإعاقة.",
    "uk": "Вхід без сходинок, ліфт, туалет для людей з інвалідністю.",
    "ru": "Вход без ступенек, лифт, туалет для людей с инвалидностью.",
    "pl": "Wejście bez stopni, winda, toaleta dostosowana do potrzeb osób z niepełnosprawnościami.",
    "nb": "Trinnfri inngang, heis, tilgjengelig toalett.",
    "da": "Niveaufri indgang, elevator, handicaptoilet.",
}

# Staff who see people: demo e-mail -> (office, qualifications).
STAFF = {
    "aerztin@musterstadt.example": ("musterstadt", ["physician", "sti", "ifsg43"]),
    "fachkraft@musterstadt.example": ("musterstadt", ["ifsg43", "sti"]),
    "admin@beispielkreis.example": ("beispielkreis", ["physician", "ifsg43", "sti"]),
}


def load_appointments(offices: dict[str, Office]) -> None:
    """Idempotent: locations, resources and types are found by name or slug."""
    for slug, office in offices.items():
        place, _ = Location.objects.update_or_create(
            office=office,
            name="Dienstgebäude",
            defaults={
                "street": office.street,
                "postal_code": office.postal_code,
                "place": office.place,
                "accessibility": ACCESSIBILITY,
            },
        )
        room, _ = Resource.objects.get_or_create(
            office=office, location=place, kind=Resource.Kind.ROOM, name="Untersuchungsraum 1"
        )
        people = [
            (User.objects.get(email=email), qualifications)
            for email, (office_slug, qualifications) in STAFF.items()
            if office_slug == slug
        ]
        for user, qualifications in people:
            resource, _ = Resource.objects.get_or_create(
                office=office,
                location=place,
                kind=Resource.Kind.STAFF,
                user=user,
                defaults={"name": user.full_name, "qualifications": qualifications},
            )
            _weekly_plan(resource)
        _weekly_plan(room)
        for spec in TYPES:
            texts = {language: {"name": name, "description": text} for language, (name, text) in spec["texts"].items()}
            fields = {key: value for key, value in spec.items() if key not in ("slug", "texts")}
            AppointmentType.objects.update_or_create(
                office=office, slug=spec["slug"], defaults={**fields, "texts": texts, "location": place}
            )


def _weekly_plan(resource: Resource) -> None:
    if resource.working_plans.exists():
        return
    for weekday in range(5):
        WorkingPlan.objects.create(resource=resource, weekday=weekday, start=time(8), end=time(12))
        if weekday != 4:  # Friday afternoon closed
            WorkingPlan.objects.create(resource=resource, weekday=weekday, start=time(13), end=time(16))
