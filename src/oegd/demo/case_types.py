"""The demo case types (Vorgangsarten) of Musterland and what their processes need.

One case type per demo service that runs through a process: the BPMN file in ``processes/``, the
milestones citizens see (labels in all nine portal languages, plain language), the checklist,
the filing plan code and the retention period. ``TASK_FORMS`` are the questionnaires the user
tasks render (``questionnaires/task-*.json``), ``LETTERS`` the letter templates the processes'
``generate_letter`` steps fill (``letters/*.html``).

Filing plan codes are illustrative, like the KLE codes of the services.
"""

from __future__ import annotations

LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru", "pl", "nb", "da")

RECEIVED_APPLICATION = {
    "de": "Antrag eingegangen",
    "en": "Application received",
    "tr": "Başvuru alındı",
    "ar": "تم استلام الطلب",
    "uk": "Заяву отримано",
    "ru": "Заявление получено",
    "pl": "Wniosek wpłynął",
    "nb": "Søknaden er mottatt",
    "da": "Ansøgningen er modtaget",
}
COMPLETED = {
    "de": "Abgeschlossen",
    "en": "Completed",
    "tr": "Tamamlandı",
    "ar": "اكتملت المعاملة",
    "uk": "Завершено",
    "ru": "Завершено",
    "pl": "Zakończono",
    "nb": "Avsluttet",
    "da": "Afsluttet",
}

CASE_TYPES: list[dict] = [
    {
        "slug": "ifsg43-instruction",
        "name": "Belehrung nach § 43 IfSG",
        "process_key": "ifsg43-instruction",
        "filing_code": "53.10.43",  # illustrative
        "retention_days": 3653,  # ten years, then delete
        "retention_action": "delete",
        "checklist": [
            "Identität der antragstellenden Person geprüft",
            "Angaben zur Tätigkeit mit Lebensmitteln geprüft",
            "Gebühr erhoben",
            "Erklärung nach § 43 Abs. 1 IfSG unterschrieben",
            "Bescheinigung ausgehändigt oder versandt",
        ],
        "milestones": [
            {"code": "received", "labels": RECEIVED_APPLICATION},
            {
                "code": "information_requested",
                "labels": {
                    "de": "Wir brauchen noch Unterlagen von Ihnen",
                    "en": "We need more documents from you",
                    "tr": "Sizden ek belge gerekiyor",
                    "ar": "نحتاج منك مستندات إضافية",
                    "uk": "Нам потрібні від вас додаткові документи",
                    "ru": "Нам нужны от вас дополнительные документы",
                    "pl": "Potrzebujemy od Ciebie dodatkowych dokumentów",
                    "nb": "Vi trenger flere dokumenter fra deg",
                    "da": "Vi har brug for flere dokumenter fra dig",
                },
            },
            {
                "code": "appointment_offered",
                "labels": {
                    "de": "Termin für die Belehrung angeboten",
                    "en": "Appointment for the instruction offered",
                    "tr": "Bilgilendirme için randevu önerildi",
                    "ar": "تم عرض موعد لجلسة التوجيه",
                    "uk": "Запропоновано час інструктажу",
                    "ru": "Предложено время инструктажа",
                    "pl": "Zaproponowano termin pouczenia",
                    "nb": "Time til opplæringen er tilbudt",
                    "da": "Tid til instruktionen er tilbudt",
                },
            },
            {
                "code": "decision_made",
                "labels": {
                    "de": "Bescheinigung ausgestellt",
                    "en": "Certificate issued",
                    "tr": "Belge düzenlendi",
                    "ar": "تم إصدار الشهادة",
                    "uk": "Довідку видано",
                    "ru": "Справка выдана",
                    "pl": "Zaświadczenie zostało wydane",
                    "nb": "Attesten er utstedt",
                    "da": "Attesten er udstedt",
                },
            },
            {"code": "closed", "labels": COMPLETED},
        ],
    },
    {
        "slug": "counselling-request",
        "name": "Beratungsanfrage",
        "process_key": "counselling-request",
        "filing_code": "53.20.10",  # illustrative
        "retention_days": 1096,  # three years, then anonymise (the statistics stay)
        "retention_action": "anonymise",
        "checklist": [
            "Anliegen erfasst",
            "Rückmeldung innerhalb von drei Werktagen",
            "Weitervermittlung dokumentiert (falls nötig)",
        ],
        "milestones": [
            {
                "code": "received",
                "labels": {
                    "de": "Anfrage eingegangen",
                    "en": "Request received",
                    "tr": "Talebiniz alındı",
                    "ar": "تم استلام طلبك",
                    "uk": "Запит отримано",
                    "ru": "Запрос получен",
                    "pl": "Zapytanie wpłynęło",
                    "nb": "Henvendelsen er mottatt",
                    "da": "Henvendelsen er modtaget",
                },
            },
            {
                "code": "appointment_offered",
                "labels": {
                    "de": "Beratungstermin angeboten",
                    "en": "Counselling appointment offered",
                    "tr": "Danışmanlık randevusu önerildi",
                    "ar": "تم عرض موعد للاستشارة",
                    "uk": "Запропоновано час консультації",
                    "ru": "Предложено время консультации",
                    "pl": "Zaproponowano termin porady",
                    "nb": "Time til rådgivning er tilbudt",
                    "da": "Tid til rådgivning er tilbudt",
                },
            },
            {
                "code": "decision_made",
                "labels": {
                    "de": "Antwort liegt vor",
                    "en": "Your answer is ready",
                    "tr": "Yanıtınız hazır",
                    "ar": "الرد جاهز",
                    "uk": "Відповідь готова",
                    "ru": "Ответ готов",
                    "pl": "Odpowiedź jest gotowa",
                    "nb": "Svaret er klart",
                    "da": "Svaret er klar",
                },
            },
            {"code": "closed", "labels": COMPLETED},
        ],
    },
    {
        "slug": "ifsg34-notification",
        "name": "Benachrichtigung nach § 34 IfSG",
        "process_key": "ifsg34-notification",
        "filing_code": "53.10.34",  # illustrative
        "retention_days": 1826,  # five years, then delete
        "retention_action": "delete",
        "checklist": [
            "Einrichtung telefonisch erreicht",
            "Erkrankung oder Erreger bestätigt",
            "Abgleich mit Meldungen nach §§ 6, 7 IfSG",
            "Schreiben an die Einrichtung versandt",
            "Nachkontrolle erledigt",
        ],
        "milestones": [
            {
                "code": "received",
                "labels": {
                    "de": "Benachrichtigung eingegangen",
                    "en": "Notification received",
                    "tr": "Bildirim alındı",
                    "ar": "تم استلام الإبلاغ",
                    "uk": "Повідомлення отримано",
                    "ru": "Уведомление получено",
                    "pl": "Zgłoszenie wpłynęło",
                    "nb": "Varselet er mottatt",
                    "da": "Anmeldelsen er modtaget",
                },
            },
            {
                "code": "decision_made",
                "labels": {
                    "de": "Maßnahmen festgelegt",
                    "en": "Measures decided",
                    "tr": "Önlemler belirlendi",
                    "ar": "تم تحديد الإجراءات",
                    "uk": "Заходи визначено",
                    "ru": "Меры определены",
                    "pl": "Ustalono działania",
                    "nb": "Tiltak er bestemt",
                    "da": "Tiltag er fastlagt",
                },
            },
            {"code": "closed", "labels": COMPLETED},
        ],
    },
]

# process key -> (file in processes/, name in the process library)
PROCESSES = {
    "ifsg43-instruction": ("ifsg43-instruction.bpmn", "Belehrung nach § 43 IfSG"),
    "counselling-request": ("counselling-request.bpmn", "Beratungsanfrage"),
    "ifsg34-notification": ("ifsg34-notification.bpmn", "Benachrichtigung nach § 34 IfSG"),
}

TASK_FORMS = [
    "task-check-documents",
    "task-instruction-held",
    "task-approve",
    "task-triage",
    "task-reply",
    "task-assess",
    "task-measures",
]

# template key -> (file in letters/, name)
LETTERS = {
    "ifsg43-certificate": ("ifsg43-certificate.html", "Bescheinigung nach § 43 Abs. 1 IfSG"),
    "counselling-reply": ("counselling-reply.html", "Antwort auf eine Beratungsanfrage"),
    "ifsg34-measures": ("ifsg34-measures.html", "Maßnahmen nach § 34 IfSG (Schreiben an die Einrichtung)"),
}

# The teams the process lanes name, in every demo office, and who works in which.
DEPARTMENTS = ["Sachbearbeitung", "Ärztlicher Dienst", "Beratung"]
STAFF_DEPARTMENTS = {
    # (e-mail, office slug): department
    ("sachbearbeitung@musterstadt.example", "musterstadt"): "Sachbearbeitung",
    ("aerztin@musterstadt.example", "musterstadt"): "Ärztlicher Dienst",
    ("admin@musterstadt.example", "musterstadt"): "Ärztlicher Dienst",  # the head of office is the Amtsärztin
    ("fachkraft@musterstadt.example", "musterstadt"): "Beratung",
    ("admin@beispielkreis.example", "musterstadt"): "Infektionsschutz",
    ("admin@beispielkreis.example", "beispielkreis"): "Ärztlicher Dienst",
}
