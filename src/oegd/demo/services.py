"""The state-wide catalogue of demo online services (Onlinedienste) of Musterland.

One dict per service, with the fields of ``oegd.forms.models.Service``; ``form`` names the
questionnaire file in ``demo/questionnaires/`` (without ``.json``). The catalogue page is public,
so every service carries its title and summary in all nine portal languages, institution
services included.

LeiKa service keys and KLE subject numbers are illustrative: plausible in form, not looked up in
the official catalogues.
"""

from __future__ import annotations

LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru", "pl", "nb", "da")

SERVICES: list[dict] = [
    {
        "slug": "ifsg34-notification",
        "kind": "notification",
        "form": "ifsg34-notification",
        "case_type": "ifsg34-notification",
        "leika_code": "99107025005000",  # illustrative
        "kle_code": "29.08.00",  # illustrative
        "allow_anonymous": False,
        "allow_citizens": False,
        "institution_kinds": ["school", "daycare"],
        "routing": "institution",
        "postal_code_link_id": "",
        "place_link_id": "",
        "texts": {
            "de": {
                "title": "Benachrichtigung nach § 34 IfSG (Schule, Kita)",
                "summary": "Für Leitungen von Schulen und Kindertageseinrichtungen: Melden Sie ansteckende "
                "Krankheiten, einen Verdacht darauf oder Kopflausbefall in Ihrer Einrichtung an das Gesundheitsamt.",
            },
            "en": {
                "title": "Notification under section 34 IfSG (schools, day care)",
                "summary": "For heads of schools and day-care centres: report infectious diseases, suspected cases "
                "or head lice in your institution to the health office.",
            },
            "tr": {
                "title": "Enfeksiyondan Korunma Yasası 34. madde uyarınca bildirim (okul, kreş)",
                "summary": "Okul ve kreş yöneticileri için: Kurumunuzdaki bulaşıcı hastalıkları, şüpheli vakaları "
                "veya bit vakalarını sağlık dairesine bildirin.",
            },
            "ar": {
                "title": "الإبلاغ وفق المادة 34 من قانون الحماية من العدوى (المدارس ودور الحضانة)",
                "summary": "لمديري المدارس ودور الحضانة: أبلغوا دائرة الصحة عن الأمراض المعدية أو الحالات المشتبه "
                "بها أو القمل في مؤسستكم.",
            },
            "uk": {
                "title": "Повідомлення згідно з § 34 Закону про захист від інфекцій (школа, дитсадок)",
                "summary": "Для керівників шкіл і дитячих садків: повідомте відділ охорони здоров’я про "
                "інфекційні хвороби, підозри на них або воші у вашому закладі.",
            },
            "ru": {
                "title": "Уведомление по § 34 Закона о защите от инфекций (школа, детский сад)",
                "summary": "Для руководителей школ и детских садов: сообщите в отдел здравоохранения об "
                "инфекционных заболеваниях, подозрениях на них или вшах в вашем учреждении.",
            },
            "pl": {
                "title": "Zgłoszenie zgodnie z § 34 ustawy o ochronie przed zakażeniami (szkoła, przedszkole)",
                "summary": "Dla dyrekcji szkół i przedszkoli: zgłoś do urzędu zdrowia choroby zakaźne, podejrzenia "
                "zachorowań lub wszawicę w Twojej placówce.",
            },
            "nb": {
                "title": "Varsel etter § 34 i den tyske smittevernloven (skole, barnehage)",
                "summary": "For ledere av skoler og barnehager: meld smittsomme sykdommer, mistanke om smitte eller "
                "hodelus i virksomheten din til helsekontoret.",
            },
            "da": {
                "title": "Anmeldelse efter § 34 i den tyske smitteværnslov (skole, daginstitution)",
                "summary": "For ledere af skoler og daginstitutioner: anmeld smitsomme sygdomme, mistanke om smitte "
                "eller hovedlus i din institution til sundhedskontoret.",
            },
        },
    },
    {
        "slug": "ifsg43-instruction",
        "kind": "application",
        "form": "ifsg43-instruction",
        "case_type": "ifsg43-instruction",
        "leika_code": "99107004017000",  # illustrative
        "kle_code": "29.09.00",  # illustrative
        "allow_anonymous": False,
        "allow_citizens": True,
        "institution_kinds": [],
        "routing": "postal_code",
        "postal_code_link_id": "applicant.postal_code",
        "place_link_id": "applicant.place",
        "texts": {
            "de": {
                "title": "Belehrung nach § 43 IfSG für die Arbeit mit Lebensmitteln",
                "summary": "Sie möchten in einer Küche, Bäckerei, Metzgerei oder im Catering arbeiten? Beantragen "
                "Sie hier die Belehrung und die Bescheinigung des Gesundheitsamtes.",
            },
            "en": {
                "title": "Instruction under section 43 IfSG for working with food",
                "summary": "Going to work in a kitchen, bakery, butcher's shop or catering? Apply here for the "
                "instruction and the health office certificate.",
            },
            "tr": {
                "title": "Gıda ile çalışma için Enfeksiyondan Korunma Yasası 43. madde uyarınca bilgilendirme",
                "summary": "Mutfakta, fırında, kasapta veya catering'de mi çalışacaksınız? Bilgilendirme ve sağlık "
                "dairesi belgesi için buradan başvurun.",
            },
            "ar": {
                "title": "التوجيه وفق المادة 43 من قانون الحماية من العدوى للعمل مع الأغذية",
                "summary": "هل ستعمل في مطبخ أو مخبز أو ملحمة أو في خدمات الطعام؟ قدّم هنا طلب التوجيه وشهادة "
                "دائرة الصحة.",
            },
            "uk": {
                "title": "Інструктаж згідно з § 43 Закону про захист від інфекцій для роботи з харчовими продуктами",
                "summary": "Збираєтеся працювати на кухні, в пекарні, м’ясній лавці чи кейтерингу? Подайте тут "
                "заявку на інструктаж і довідку відділу охорони здоров’я.",
            },
            "ru": {
                "title": "Инструктаж по § 43 Закона о защите от инфекций для работы с продуктами питания",
                "summary": "Собираетесь работать на кухне, в пекарне, мясной лавке или в кейтеринге? Подайте здесь "
                "заявку на инструктаж и справку отдела здравоохранения.",
            },
            "pl": {
                "title": "Pouczenie zgodnie z § 43 ustawy o ochronie przed zakażeniami do pracy z żywnością",
                "summary": "Zaczynasz pracę w kuchni, piekarni, sklepie mięsnym lub cateringu? Złóż tutaj wniosek o "
                "pouczenie i zaświadczenie z urzędu zdrowia.",
            },
            "nb": {
                "title": "Opplæring etter § 43 i den tyske smittevernloven for arbeid med mat",
                "summary": "Skal du jobbe på et kjøkken, i et bakeri, hos en slakter eller i catering? Søk her om "
                "opplæringen og attesten fra helsekontoret.",
            },
            "da": {
                "title": "Instruktion efter § 43 i den tyske smitteværnslov til arbejde med fødevarer",
                "summary": "Skal du arbejde i et køkken, et bageri, hos en slagter eller i catering? Ansøg her om "
                "instruktionen og attesten fra sundhedskontoret.",
            },
        },
    },
    {
        "slug": "counselling-request",
        "kind": "counselling",
        "form": "counselling-request",
        "case_type": "counselling-request",
        "leika_code": "99107047012000",  # illustrative
        "kle_code": "29.09.04",  # illustrative
        "allow_anonymous": True,
        "allow_citizens": True,
        "institution_kinds": [],
        "routing": "postal_code",
        "postal_code_link_id": "contact.postal_code",
        "place_link_id": "contact.place",
        "texts": {
            "de": {
                "title": "Beratungsanfrage – auch anonym",
                "summary": "Fragen zu sexueller Gesundheit, Schwangerschaft, seelischen Krisen, Infektionsschutz "
                "oder Hygiene? Schreiben Sie uns – auf Wunsch ohne Namen.",
            },
            "en": {
                "title": "Ask for counselling – anonymously if you wish",
                "summary": "Questions about sexual health, pregnancy, mental health crises, protection against "
                "infections or hygiene? Write to us – without your name if you prefer.",
            },
            "tr": {
                "title": "Danışmanlık talebi – isterseniz isimsiz",
                "summary": "Cinsel sağlık, hamilelik, ruhsal krizler, enfeksiyondan korunma veya hijyen hakkında "
                "sorularınız mı var? Bize yazın – isterseniz adınızı vermeden.",
            },
            "ar": {
                "title": "طلب استشارة – دون ذكر الاسم إن أردت",
                "summary": "هل لديك أسئلة عن الصحة الجنسية أو الحمل أو الأزمات النفسية أو الوقاية من العدوى أو "
                "النظافة الصحية؟ اكتب لنا، ودون ذكر اسمك إن شئت.",
            },
            "uk": {
                "title": "Запит на консультацію – за бажанням анонімно",
                "summary": "Маєте запитання про сексуальне здоров’я, вагітність, психологічні кризи, захист від "
                "інфекцій чи гігієну? Напишіть нам – за бажанням без імені.",
            },
            "ru": {
                "title": "Запрос на консультацию – по желанию анонимно",
                "summary": "Есть вопросы о сексуальном здоровье, беременности, психологических кризисах, защите от "
                "инфекций или гигиене? Напишите нам – по желанию без имени.",
            },
            "pl": {
                "title": "Prośba o poradę – także anonimowo",
                "summary": "Masz pytania o zdrowie seksualne, ciążę, kryzysy psychiczne, ochronę przed zakażeniami "
                "lub higienę? Napisz do nas – jeśli chcesz, bez podawania nazwiska.",
            },
            "nb": {
                "title": "Be om rådgivning – anonymt hvis du vil",
                "summary": "Spørsmål om seksuell helse, graviditet, psykiske kriser, smittevern eller hygiene? Skriv "
                "til oss – uten navn hvis du vil.",
            },
            "da": {
                "title": "Anmod om rådgivning – anonymt, hvis du vil",
                "summary": "Spørgsmål om seksuel sundhed, graviditet, psykiske kriser, beskyttelse mod smitte eller "
                "hygiejne? Skriv til os – uden navn, hvis du vil.",
            },
        },
    },
    {
        "slug": "certificate-request",
        "kind": "certificate",
        "form": "certificate-request",
        "case_type": "certificate-request",
        "leika_code": "99107010062000",  # illustrative
        "kle_code": "29.00.00",  # illustrative
        "allow_anonymous": False,
        "allow_citizens": True,
        "institution_kinds": [],
        "routing": "postal_code",
        "postal_code_link_id": "applicant.postal_code",
        "place_link_id": "applicant.place",
        "texts": {
            "de": {
                "title": "Amtsärztliche Bescheinigung beantragen",
                "summary": "Gutachten für die Verbeamtung, Reisefähigkeit, Befreiung vom Schulsport oder von einer "
                "Prüfung, Bestätigung des Masernschutzes: Beantragen Sie Ihre Bescheinigung online.",
            },
            "en": {
                "title": "Apply for a certificate from the health office",
                "summary": "Medical report for the civil service, fitness to travel, exemption from school sports "
                "or an exam, confirmation of measles protection: apply for your certificate online.",
            },
            "tr": {
                "title": "Sağlık dairesinden belge başvurusu",
                "summary": "Memuriyet için rapor, seyahate elverişlilik, okul sporundan veya sınavdan muafiyet, "
                "kızamık korumasının onayı: Belgeniz için çevrimiçi başvurun.",
            },
            "ar": {
                "title": "طلب شهادة من دائرة الصحة",
                "summary": "تقرير طبي للتعيين في الوظيفة العامة، شهادة القدرة على السفر، إعفاء من الرياضة المدرسية "
                "أو من امتحان، تأكيد الحماية من الحصبة: قدّم طلبك عبر الإنترنت.",
            },
            "uk": {
                "title": "Заява на довідку від відділу охорони здоров’я",
                "summary": "Висновок для державної служби, здатність до подорожі, звільнення від фізкультури чи "
                "іспиту, підтвердження захисту від кору: подайте заяву онлайн.",
            },
            "ru": {
                "title": "Заявление на справку в отдел здравоохранения",
                "summary": "Заключение для госслужбы, способность к поездке, освобождение от физкультуры или "
                "экзамена, подтверждение защиты от кори: подайте заявление онлайн.",
            },
            "pl": {
                "title": "Wniosek o zaświadczenie z urzędu zdrowia",
                "summary": "Opinia do mianowania na urzędnika, zdolność do podróży, zwolnienie z WF lub egzaminu, "
                "potwierdzenie ochrony przed odrą: złóż wniosek online.",
            },
            "nb": {
                "title": "Søk om attest fra helsekontoret",
                "summary": "Legeerklæring for tjenestemannsstilling, reisedyktighet, fritak fra kroppsøving eller "
                "eksamen, bekreftelse på beskyttelse mot meslinger: søk om attesten på nett.",
            },
            "da": {
                "title": "Ansøg om attest fra sundhedskontoret",
                "summary": "Erklæring til ansættelse som tjenestemand, rejsedygtighed, fritagelse fra idræt eller "
                "eksamen, bekræftelse af beskyttelse mod mæslinger: ansøg om din attest online.",
            },
        },
    },
    {
        "slug": "pool-water-report",
        "kind": "notification",
        "form": "pool-water-report",
        "case_type": "pool-water-report",
        "leika_code": "99107035074000",  # illustrative
        "kle_code": "09.19.01",  # illustrative
        "allow_anonymous": False,
        "allow_citizens": False,
        "institution_kinds": ["pool"],
        "routing": "institution",
        "postal_code_link_id": "",
        "place_link_id": "",
        "texts": {
            "de": {
                "title": "Monatlicher Bericht zur Badewasserqualität",
                "summary": "Für Betreiber öffentlicher Schwimm- und Badebecken: Übermitteln Sie die Ergebnisse der "
                "monatlichen Beckenwasseruntersuchung nach DIN 19643 mit dem Laborbericht.",
            },
            "en": {
                "title": "Monthly pool water quality report",
                "summary": "For operators of public swimming pools: send the results of the monthly pool water test "
                "under DIN 19643 together with the lab report.",
            },
            "tr": {
                "title": "Aylık havuz suyu kalitesi raporu",
                "summary": "Halka açık yüzme havuzlarının işletmecileri için: DIN 19643'e göre aylık havuz suyu "
                "analizinin sonuçlarını laboratuvar raporuyla birlikte gönderin.",
            },
            "ar": {
                "title": "التقرير الشهري عن جودة مياه المسبح",
                "summary": "لمشغلي المسابح العامة: أرسلوا نتائج الفحص الشهري لمياه المسبح وفق المعيار DIN 19643 "
                "مع تقرير المختبر.",
            },
            "uk": {
                "title": "Щомісячний звіт про якість води в басейні",
                "summary": "Для операторів громадських басейнів: надішліть результати щомісячного аналізу води в "
                "басейні за DIN 19643 разом із лабораторним звітом.",
            },
            "ru": {
                "title": "Ежемесячный отчёт о качестве воды в бассейне",
                "summary": "Для операторов общественных бассейнов: отправьте результаты ежемесячного анализа воды "
                "в бассейне по DIN 19643 вместе с лабораторным отчётом.",
            },
            "pl": {
                "title": "Miesięczny raport o jakości wody basenowej",
                "summary": "Dla operatorów basenów publicznych: prześlij wyniki comiesięcznego badania wody "
                "basenowej według DIN 19643 wraz z raportem z laboratorium.",
            },
            "nb": {
                "title": "Månedlig rapport om vannkvalitet i svømmebasseng",
                "summary": "For driftere av offentlige svømmebasseng: send resultatene av den månedlige vannprøven "
                "etter DIN 19643 sammen med laboratorierapporten.",
            },
            "da": {
                "title": "Månedlig rapport om vandkvalitet i svømmebassin",
                "summary": "For driftsansvarlige for offentlige svømmebassiner: send resultaterne af den månedlige "
                "vandprøve efter DIN 19643 sammen med laboratorierapporten.",
            },
        },
    },
    {
        "slug": "school-entry-anamnesis",
        "kind": "application",  # parents hand in the anamnesis for the school entry examination
        "form": "school-entry-anamnesis",
        "case_type": "school-entry-anamnesis",
        "leika_code": "99107038041000",  # illustrative
        "kle_code": "29.12.04",  # illustrative
        "allow_anonymous": False,
        "allow_citizens": True,
        "institution_kinds": [],
        "routing": "postal_code",
        "postal_code_link_id": "child.postal_code",
        "place_link_id": "child.place",
        "texts": {
            "de": {
                "title": "Schuleingangsuntersuchung: Fragebogen für Eltern",
                "summary": "Vor der Untersuchung Ihres Kindes zum Schulanfang: Füllen Sie den Fragebogen zur "
                "Entwicklung und Gesundheit Ihres Kindes online aus.",
            },
            "en": {
                "title": "School entry examination: questionnaire for parents",
                "summary": "Before your child's examination for starting school: fill in the questionnaire about "
                "your child's development and health online.",
            },
            "tr": {
                "title": "Okula başlama muayenesi: ebeveyn anketi",
                "summary": "Çocuğunuzun okula başlama muayenesinden önce: Çocuğunuzun gelişimi ve sağlığı "
                "hakkındaki anketi çevrimiçi doldurun.",
            },
            "ar": {
                "title": "فحص الالتحاق بالمدرسة: استبيان للوالدين",
                "summary": "قبل فحص طفلك للالتحاق بالمدرسة: املأ عبر الإنترنت الاستبيان الخاص بنمو طفلك وصحته.",
            },
            "uk": {
                "title": "Обстеження перед вступом до школи: анкета для батьків",
                "summary": "Перед обстеженням вашої дитини перед школою: заповніть онлайн анкету про розвиток і "
                "здоров’я дитини.",
            },
            "ru": {
                "title": "Обследование перед поступлением в школу: анкета для родителей",
                "summary": "Перед обследованием вашего ребёнка перед школой: заполните онлайн анкету о развитии и "
                "здоровье ребёнка.",
            },
            "pl": {
                "title": "Badanie przed rozpoczęciem nauki w szkole: ankieta dla rodziców",
                "summary": "Przed badaniem dziecka przed pójściem do szkoły: wypełnij online ankietę o rozwoju i "
                "zdrowiu dziecka.",
            },
            "nb": {
                "title": "Skolestartundersøkelse: spørreskjema for foreldre",
                "summary": "Før barnet ditt undersøkes ved skolestart: fyll ut spørreskjemaet om barnets utvikling "
                "og helse på nett.",
            },
            "da": {
                "title": "Skolestartsundersøgelse: spørgeskema til forældre",
                "summary": "Før dit barn bliver undersøgt ved skolestart: udfyld spørgeskemaet om dit barns "
                "udvikling og sundhed online.",
            },
        },
    },
]
