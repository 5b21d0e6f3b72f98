"""Staff pages of online appointments: calendars, outcomes, booking by phone, planning, figures.

Viewing calendars needs ``cases.view``, recording outcomes and booking on someone's behalf
``cases.edit``, planning resources and statistics ``office.manage``. Everything is scoped to the
active office; other offices' rows answer 404.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from oegd.appointments import planning
from oegd.appointments.models import Appointment, AppointmentType, AvailabilityException, Location, Resource
from oegd.core.access import has_permission, staff_required
from oegd.core.services import DomainError

# --- forms ------------------------------------------------------------------------------------


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Resource.Kind.choices)
    location = forms.ModelChoiceField(label=gettext_lazy("Location"), queryset=Location.objects.none())
    user = forms.ModelChoiceField(
        label=gettext_lazy("Staff member"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("For a staff member; leave empty for a room."),
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Name of the room; for a staff member their name is used if empty."),
    )
    qualifications = forms.CharField(
        label=gettext_lazy("Qualifications"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. physician, vaccination"),
    )

    def __init__(self, *args: Any, office: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = planning.locations_of_office(office=office)
        self.fields["user"].queryset = planning.staff_members_of_office(office=office)


class ResourceEditForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    qualifications = forms.CharField(
        label=gettext_lazy("Qualifications"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. physician, vaccination"),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Bookable (active)"), required=False)


class WorkingPlanForm(forms.Form):
    weekday = forms.TypedChoiceField(label=gettext_lazy("Weekday"), coerce=int, choices=sorted(WEEKDAYS.items()))
    start = forms.TimeField(label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=gettext_lazy("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PeriodForm(forms.Form):
    """A blocked or extra period; the times are local wall-clock times of the location."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AvailabilityException.Kind.choices)
    start = forms.DateTimeField(
        label=gettext_lazy("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(label=gettext_lazy("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


class ClosureForm(PeriodForm):
    kind = None  # type: ignore[assignment]  # a location is only ever closed


class BookingForm(forms.Form):
    start = forms.CharField(label=gettext_lazy("Time"), error_messages={"required": gettext_lazy("Choose a time.")})
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    phone = forms.RegexField(
        label=gettext_lazy("Mobile phone (for SMS reminders)"),
        regex=r"^\+?[0-9 ()/-]{6,30}$",
        required=False,
        error_messages={"invalid": gettext_lazy("Enter a phone number of digits, spaces and + only.")},
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the confirmation"), choices=settings.LANGUAGES)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_start(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.cleaned_data["start"])
        except ValueError as exc:
            raise forms.ValidationError(_("Choose a time.")) from exc
        if value.tzinfo is None:
            raise forms.ValidationError(_("Choose a time."))
        return value


class AppointmentTypeForm(forms.Form):
    """An appointment type; names and descriptions come as ``name_<lang>``/``description_<lang>``."""

    slug = forms.SlugField(
        label=gettext_lazy("Short name"),
        max_length=50,
        help_text=gettext_lazy("Lower-case letters, digits and hyphens, e.g. impfberatung. Cannot be changed later."),
    )
    location = forms.ModelChoiceField(label=gettext_lazy("Location"), queryset=Location.objects.none())
    mode = forms.ChoiceField(label=gettext_lazy("How it takes place"), choices=AppointmentType.Mode.choices)
    audience = forms.ChoiceField(label=gettext_lazy("Who may book"), choices=AppointmentType.Audience.choices)
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"),
        min_value=planning.DURATION_MINUTES[0],
        max_value=planning.DURATION_MINUTES[1],
    )
    buffer_before_minutes = forms.IntegerField(label=gettext_lazy("Buffer before (minutes)"), min_value=0, initial=0)
    buffer_after_minutes = forms.IntegerField(label=gettext_lazy("Buffer after (minutes)"), min_value=0, initial=0)
    slot_step_minutes = forms.IntegerField(
        label=gettext_lazy("Slot grid (minutes)"),
        min_value=planning.SLOT_STEP_MINUTES[0],
        max_value=planning.SLOT_STEP_MINUTES[1],
        initial=15,
        help_text=gettext_lazy("Times start every so many minutes."),
    )
    min_notice_minutes = forms.IntegerField(label=gettext_lazy("Minimum notice (minutes)"), min_value=0, initial=120)
    horizon_days = forms.IntegerField(label=gettext_lazy("Booking horizon (days)"), min_value=1, initial=60)
    cancellation_cutoff_minutes = forms.IntegerField(
        label=gettext_lazy("Cancellation online until (minutes before)"), min_value=0, initial=1440
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Places per time"),
        min_value=1,
        initial=1,
        help_text=gettext_lazy("More than 1 makes a group appointment."),
    )
    required_qualification = forms.CharField(
        label=gettext_lazy("Required qualification"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("E.g. physician; only staff members with it are planned."),
    )
    needs_room = forms.BooleanField(label=gettext_lazy("Needs a room"), required=False)
    max_active_per_person = forms.IntegerField(label=gettext_lazy("Open bookings per person"), min_value=1, initial=2)
    reminder_offsets = forms.CharField(
        label=gettext_lazy("Reminders (minutes before)"),
        max_length=200,
        required=False,
        initial="1440, 120",
        help_text=gettext_lazy("Separated by commas, e.g. 1440, 120 (one day and two hours before)."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active (can be booked)"), required=False, initial=True)

    # Rendered apart from the other fields: the name and description of each language side by side.
    TEXT_FIELDS = ("name", "description")

    def __init__(self, *args: Any, office: Any, new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = planning.locations_of_office(office=office)
        if not new:
            del self.fields["slug"]
        for code, language in settings.LANGUAGES:
            bidi = {"dir": "rtl"} if code in settings.LANGUAGES_BIDI else {}
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name (%(language)s)") % {"language": language},
                max_length=200,
                required=code == settings.LANGUAGE_CODE,
                widget=forms.TextInput(attrs={"lang": code, **bidi}),
            )
            self.fields[f"description_{code}"] = forms.CharField(
                label=_("Description (%(language)s)") % {"language": language},
                max_length=2000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "lang": code, **bidi}),
            )

    @classmethod
    def initial_for(cls, appointment_type: AppointmentType) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(appointment_type, name)
            for name in (
                "mode",
                "audience",
                "duration_minutes",
                "buffer_before_minutes",
                "buffer_after_minutes",
                "slot_step_minutes",
                "min_notice_minutes",
                "horizon_days",
                "cancellation_cutoff_minutes",
                "capacity",
                "required_qualification",
                "needs_room",
                "max_active_per_person",
                "is_active",
            )
        }
        initial["location"] = appointment_type.location_id
        initial["reminder_offsets"] = ", ".join(str(offset) for offset in appointment_type.reminder_offsets or [])
        for code, texts in (appointment_type.texts or {}).items():
            for key in cls.TEXT_FIELDS:
                initial[f"{key}_{code}"] = texts.get(key, "")
        return initial

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(("name_", "description_"))]

    def text_rows(self) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
        return [
            (code, language, self[f"name_{code}"], self[f"description_{code}"]) for code, language in settings.LANGUAGES
        ]

    def texts(self) -> dict[str, dict[str, str]]:
        return {
            code: {key: self.cleaned_data.get(f"{key}_{code}", "") for key in self.TEXT_FIELDS}
            for code, _language in settings.LANGUAGES
        }


class InvitationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("E-mail"))


class PeriodFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"}))


# --- calendars --------------------------------------------------------------------------------


def _day_from(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _calendar(request: HttpRequest, *, week: bool) -> HttpResponse:
    office = request.office
    location = (
        planning.get_location_for_office(office=office, location_id=request.GET["location"])
        if request.GET.get("location")
        else None
    )
    resource = (
        planning.get_resource_for_office(office=office, resource_id=request.GET["resource"])
        if request.GET.get("resource")
        else None
    )
    include_cancelled = request.GET.get("cancelled") == "1"
    zone = planning.office_zone(office=office, location=location)
    today = timezone.now().astimezone(zone).date()
    day = _day_from(request.GET.get("date"), today)
    first_day = planning.week_start(day) if week else day
    step = timedelta(days=7 if week else 1)
    days = planning.calendar(
        user=request.user,
        office=office,
        first_day=first_day,
        days=7 if week else 1,
        resource=resource,
        location=location,
        include_cancelled=include_cancelled,
    )
    filters = {
        key: value
        for key, value in (
            ("location", location.pk if location else ""),
            ("resource", resource.pk if resource else ""),
            ("cancelled", "1" if include_cancelled else ""),
        )
        if value
    }
    return render(
        request,
        "appointments/staff/calendar.html",
        {
            "week": week,
            "days": days,
            "first_day": first_day,
            "last_day": first_day + timedelta(days=6 if week else 0),
            "previous": first_day - step,
            "next": first_day + step,
            "today": today,
            "zone": zone.key,
            "filter_query": ("&" + urlencode(filters)) if filters else "",
            "locations": planning.locations_of_office(office=office),
            "resources": planning.resources_of_office(office=office),
            "location": location,
            "resource": resource,
            "include_cancelled": include_cancelled,
        },
    )


@staff_required("cases.view")
def calendar_day(request: HttpRequest) -> HttpResponse:
    return _calendar(request, week=False)


@staff_required("cases.view")
def calendar_week(request: HttpRequest) -> HttpResponse:
    return _calendar(request, week=True)


# --- one appointment: outcome and cancellation ------------------------------------------------


def _detail(request: HttpRequest, appointment: Appointment, *, error: str = "", status: int = 200) -> HttpResponse:
    location = appointment.appointment_type.location
    zone = planning.zone_of(location)
    return render(
        request,
        "appointments/staff/detail.html",
        {
            "appointment": appointment,
            "local_start": appointment.start.astimezone(zone),
            "local_end": appointment.end.astimezone(zone),
            "zone": zone.key,
            "can_edit": has_permission(request.user, request.office, "cases.edit"),
            "can_record_outcome": appointment.start <= timezone.now()
            and appointment.status
            in (Appointment.Status.BOOKED, Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW),
            "outcomes": [
                (Appointment.Status.COMPLETED, Appointment.Status.COMPLETED.label),
                (Appointment.Status.NO_SHOW, Appointment.Status.NO_SHOW.label),
            ],
            "error": error,
        },
        status=status,
    )


@staff_required("cases.view")
def appointment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = planning.get_appointment_for_staff(user=request.user, office=request.office, public_id=public_id)
    return _detail(request, appointment)


@staff_required("cases.edit")
@require_POST
def appointment_outcome(request: HttpRequest, public_id: str) -> HttpResponse:
    from oegd.appointments import services

    appointment = planning.get_appointment_for_staff(user=request.user, office=request.office, public_id=public_id)
    try:
        services.record_outcome(actor=request.user, appointment=appointment, status=request.POST.get("status", ""))
    except DomainError as exc:
        return _detail(request, appointment, error=exc.message, status=400)
    messages.success(request, _("The outcome is recorded."))
    return redirect("appointments_staff:detail", public_id=appointment.public_id)


@staff_required("cases.edit")
@require_POST
def appointment_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    from oegd.appointments import services

    appointment = planning.get_appointment_for_staff(user=request.user, office=request.office, public_id=public_id)
    try:
        services.cancel_appointment(actor=request.user, appointment=appointment, by_office=True)
    except DomainError as exc:
        return _detail(request, appointment, error=exc.message, status=400)
    messages.success(request, _("The appointment is cancelled; the person is told by e-mail."))
    return redirect("appointments_staff:detail", public_id=appointment.public_id)


# --- booking on someone's behalf (phone call) -------------------------------------------------


@staff_required("cases.edit")
@require_http_methods(["GET", "POST"])
def book_on_behalf(request: HttpRequest) -> HttpResponse:
    from oegd.appointments import availability, services

    office = request.office
    data = request.POST if request.method == "POST" else request.GET
    appointment_type = (
        planning.get_appointment_type_for_office(office=office, type_id=data["type"]) if data.get("type") else None
    )
    form = BookingForm(request.POST or None, initial={"language": settings.LANGUAGE_CODE})
    error = ""
    if request.method == "POST" and appointment_type is not None and form.is_valid():
        try:
            appointment, _token = services.book_appointment(
                actor=request.user,
                appointment_type=appointment_type,
                start=form.cleaned_data["start"],
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
                phone=form.cleaned_data["phone"],
                note=form.cleaned_data["note"],
                booked_by=request.user,
                confirmed=True,
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("The appointment is booked; the confirmation goes out by e-mail."))
            return redirect("appointments_staff:detail", public_id=appointment.public_id)
    elif request.method == "POST" and appointment_type is None:
        error = _("Choose the kind of appointment.")

    slot_days: list[tuple[date, list[tuple[str, datetime, int]]]] = []
    zone = planning.zone_of(appointment_type.location if appointment_type else None)
    today = timezone.now().astimezone(zone).date()
    first_day = planning.week_start(_day_from(data.get("week"), today))
    if appointment_type is not None:
        start, _unused = planning.local_day_bounds(first_day, zone)
        _unused, end = planning.local_day_bounds(first_day + timedelta(days=6), zone)
        grouped: dict[date, list[tuple[str, datetime, int]]] = {}
        for slot in availability.find_free_slots(appointment_type=appointment_type, start=start, end=end):
            local = slot.start.astimezone(zone)
            grouped.setdefault(local.date(), []).append((slot.start.isoformat(), local, slot.places_left))
        slot_days = sorted(grouped.items())
    status = 400 if error or form.errors else 200
    return render(
        request,
        "appointments/staff/book.html",
        {
            "types": planning.appointment_types_of_office(office=office),
            "appointment_type": appointment_type,
            "form": form,
            "error": error,
            "slot_days": slot_days,
            "chosen_start": request.POST.get("start", ""),
            "first_day": first_day,
            "previous": first_day - timedelta(days=7),
            "next": first_day + timedelta(days=7),
            "zone": zone.key,
        },
        status=status,
    )


# --- planning (office admins) -----------------------------------------------------------------


def _planning_page(
    request: HttpRequest,
    *,
    resource_form: ResourceForm | None = None,
    closure_form: ClosureForm | None = None,
    closure_location: Location | None = None,
    status: int = 200,
) -> HttpResponse:
    office = request.office
    return render(
        request,
        "appointments/staff/planning.html",
        {
            "locations": planning.locations_of_office(office=office),
            "resources": planning.resources_of_office(office=office),
            "closures": planning.closures_of_office(office=office),
            "resource_form": resource_form or ResourceForm(office=office),
            "closure_form": closure_form or ClosureForm(),
            "closure_location": closure_location,
        },
        status=status,
    )


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def planning_index(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _planning_page(request)
    form = ResourceForm(request.POST, office=request.office)
    if form.is_valid():
        try:
            resource = planning.create_resource(
                actor=request.user,
                office=request.office,
                location=form.cleaned_data["location"],
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                user=form.cleaned_data["user"],
                qualifications=planning.parse_qualifications(form.cleaned_data["qualifications"]),
            )
        except planning.PlanningRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("The resource is created. Now add its working times."))
            return redirect("appointments_staff:resource", resource_id=resource.pk)
    return _planning_page(request, resource_form=form, status=400)


@staff_required("office.manage")
@require_POST
def closure_add(request: HttpRequest, location_id: int) -> HttpResponse:
    location = planning.get_location_for_office(office=request.office, location_id=location_id)
    form = ClosureForm(request.POST)
    if form.is_valid():
        zone = planning.zone_of(location)
        try:
            planning.add_exception(
                actor=request.user,
                office=request.office,
                location=location,
                start=_aware(form.cleaned_data["start"], zone),
                end=_aware(form.cleaned_data["end"], zone),
                reason=form.cleaned_data["reason"],
            )
        except planning.PlanningRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("The closure is saved."))
            return redirect("appointments_staff:planning")
    return _planning_page(request, closure_form=form, closure_location=location, status=400)


@staff_required("office.manage")
@require_POST
def closure_delete(request: HttpRequest, exception_id: int) -> HttpResponse:
    closure = planning.get_exception_for_office(office=request.office, exception_id=exception_id)
    planning.delete_exception(actor=request.user, office=request.office, exception=closure)
    messages.success(request, _("The entry is deleted."))
    return redirect("appointments_staff:planning")


def _aware(value: datetime, zone: Any) -> datetime:
    """A local wall-clock time of the location entered in a form, as an aware datetime."""
    return value.replace(tzinfo=zone) if timezone.is_naive(value) else value.astimezone(zone)


def _resource_page(
    request: HttpRequest,
    resource: Resource,
    *,
    edit_form: ResourceEditForm | None = None,
    plan_form: WorkingPlanForm | None = None,
    period_form: PeriodForm | None = None,
    status: int = 200,
) -> HttpResponse:
    zone = planning.zone_of(resource.location)
    return render(
        request,
        "appointments/staff/resource.html",
        {
            "resource": resource,
            "zone": zone.key,
            "plans": [(plan, WEEKDAYS[plan.weekday]) for plan in resource.working_plans.order_by("weekday", "start")],
            "exceptions": [
                (exception, exception.start.astimezone(zone), exception.end.astimezone(zone))
                for exception in planning.exceptions_of_resource(resource=resource)
            ],
            "edit_form": edit_form
            or ResourceEditForm(
                initial={
                    "name": resource.name,
                    "qualifications": ", ".join(resource.qualifications),
                    "is_active": resource.is_active,
                }
            ),
            "plan_form": plan_form or WorkingPlanForm(),
            "period_form": period_form or PeriodForm(),
        },
        status=status,
    )


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def resource_detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = planning.get_resource_for_office(office=request.office, resource_id=resource_id)
    if request.method == "GET":
        return _resource_page(request, resource)
    form = ResourceEditForm(request.POST)
    if form.is_valid():
        try:
            planning.update_resource(
                actor=request.user,
                resource=resource,
                name=form.cleaned_data["name"],
                qualifications=planning.parse_qualifications(form.cleaned_data["qualifications"]),
                is_active=form.cleaned_data["is_active"],
            )
        except planning.PlanningRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("The resource is saved."))
            return redirect("appointments_staff:resource", resource_id=resource.pk)
    return _resource_page(request, resource, edit_form=form, status=400)


@staff_required("office.manage")
@require_POST
def plan_add(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = planning.get_resource_for_office(office=request.office, resource_id=resource_id)
    form = WorkingPlanForm(request.POST)
    if form.is_valid():
        try:
            planning.add_working_plan(actor=request.user, resource=resource, **form.cleaned_data)
        except planning.PlanningRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("The working time is added."))
            return redirect("appointments_staff:resource", resource_id=resource.pk)
    return _resource_page(request, resource, plan_form=form, status=400)


@staff_required("office.manage")
@require_POST
def plan_delete(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = planning.get_working_plan_for_office(office=request.office, plan_id=plan_id)
    resource_id = plan.resource_id
    planning.delete_working_plan(actor=request.user, plan=plan)
    messages.success(request, _("The working time is deleted."))
    return redirect("appointments_staff:resource", resource_id=resource_id)


@staff_required("office.manage")
@require_POST
def exception_add(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = planning.get_resource_for_office(office=request.office, resource_id=resource_id)
    form = PeriodForm(request.POST)
    if form.is_valid():
        zone = planning.zone_of(resource.location)
        try:
            planning.add_exception(
                actor=request.user,
                office=request.office,
                resource=resource,
                kind=form.cleaned_data["kind"],
                start=_aware(form.cleaned_data["start"], zone),
                end=_aware(form.cleaned_data["end"], zone),
                reason=form.cleaned_data["reason"],
            )
        except planning.PlanningRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("The period is saved."))
            return redirect("appointments_staff:resource", resource_id=resource.pk)
    return _resource_page(request, resource, period_form=form, status=400)


@staff_required("office.manage")
@require_POST
def exception_delete(request: HttpRequest, exception_id: int) -> HttpResponse:
    exception = planning.get_exception_for_office(office=request.office, exception_id=exception_id)
    resource_id = exception.resource_id
    planning.delete_exception(actor=request.user, office=request.office, exception=exception)
    messages.success(request, _("The entry is deleted."))
    if resource_id is None:
        return redirect("appointments_staff:planning")
    return redirect("appointments_staff:resource", resource_id=resource_id)


# --- figures ----------------------------------------------------------------------------------


@staff_required("office.manage")
def statistics(request: HttpRequest) -> HttpResponse:
    zone = planning.office_zone(office=request.office)
    today = timezone.now().astimezone(zone).date()
    default = {"start": today.replace(day=1), "end": today}
    form = PeriodFilterForm(request.GET if request.GET else None, initial=default)
    period = form.cleaned_data if form.is_valid() else default
    status = 400 if form.errors else 200
    if period["end"] < period["start"]:
        form.add_error("end", _("The end must not be before the start."))
        period, status = default, 400
    counts = planning.appointment_counts(
        office=request.office,
        start=datetime.combine(period["start"], time.min, tzinfo=zone),
        end=datetime.combine(period["end"] + timedelta(days=1), time.min, tzinfo=zone),
    )
    return render(
        request,
        "appointments/staff/statistics.html",
        {
            "form": form,
            "rows": list(counts["types"].values()),
            "total": counts["total"],
            "period_start": period["start"],
            "period_end": period["end"],
        },
        status=status,
    )


# --- appointment types (office admins) --------------------------------------------------------


@staff_required("office.manage")
def type_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "appointments/staff/types.html",
        {"types": planning.appointment_types_for_editing(office=request.office)},
    )


def _type_page(
    request: HttpRequest,
    form: AppointmentTypeForm,
    *,
    appointment_type: AppointmentType | None = None,
    invitation_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "appointments/staff/type_edit.html",
        {
            "form": form,
            "appointment_type": appointment_type,
            "invitation_form": invitation_form or InvitationForm(),
        },
        status=status,
    )


def _save_type(
    request: HttpRequest, form: AppointmentTypeForm, appointment_type: AppointmentType | None
) -> AppointmentType | None:
    """Call the service with the form's values; its refusals go next to the fields."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        offsets = planning.parse_reminder_offsets(data["reminder_offsets"])
        return planning.save_appointment_type(
            actor=request.user,
            office=request.office,
            appointment_type=appointment_type,
            slug=data.get("slug", ""),
            location=data["location"],
            texts=form.texts(),
            mode=data["mode"],
            audience=data["audience"],
            duration_minutes=data["duration_minutes"],
            buffer_before_minutes=data["buffer_before_minutes"],
            buffer_after_minutes=data["buffer_after_minutes"],
            slot_step_minutes=data["slot_step_minutes"],
            min_notice_minutes=data["min_notice_minutes"],
            horizon_days=data["horizon_days"],
            cancellation_cutoff_minutes=data["cancellation_cutoff_minutes"],
            capacity=data["capacity"],
            required_qualification=data["required_qualification"],
            needs_room=data["needs_room"],
            max_active_per_person=data["max_active_per_person"],
            reminder_offsets=offsets,
            is_active=data["is_active"],
        )
    except planning.AppointmentTypeRefused as exc:
        for field_name, message in exc.errors.items():
            form.add_error(field_name if field_name in form.fields else None, message)
    return None


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def type_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _type_page(request, AppointmentTypeForm(office=request.office, new=True))
    form = AppointmentTypeForm(request.POST, office=request.office, new=True)
    appointment_type = _save_type(request, form, None)
    if appointment_type is None:
        return _type_page(request, form, status=400)
    messages.success(request, _("The appointment type is saved."))
    return redirect("appointments_staff:type_edit", type_id=appointment_type.pk)


@staff_required("office.manage")
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, type_id: int) -> HttpResponse:
    appointment_type = planning.get_appointment_type_for_editing(office=request.office, type_id=type_id)
    if request.method == "GET":
        initial = AppointmentTypeForm.initial_for(appointment_type)
        form = AppointmentTypeForm(office=request.office, new=False, initial=initial)
        return _type_page(request, form, appointment_type=appointment_type)
    form = AppointmentTypeForm(request.POST, office=request.office, new=False)
    saved = _save_type(request, form, appointment_type)
    if saved is None:
        return _type_page(request, form, appointment_type=appointment_type, status=400)
    messages.success(request, _("The appointment type is saved."))
    return redirect("appointments_staff:type_edit", type_id=saved.pk)


@staff_required("office.manage")
@require_POST
def type_invite(request: HttpRequest, type_id: int) -> HttpResponse:
    appointment_type = planning.get_appointment_type_for_editing(office=request.office, type_id=type_id)
    invitation_form = InvitationForm(request.POST)
    if invitation_form.is_valid():
        try:
            planning.invite_to_book(
                actor=request.user,
                office=request.office,
                appointment_type=appointment_type,
                name=invitation_form.cleaned_data["name"],
                email=invitation_form.cleaned_data["email"],
            )
        except planning.PlanningRefused as exc:
            invitation_form.add_error(None, exc.message)
        else:
            messages.success(request, _("The invitation is sent by e-mail."))
            return redirect("appointments_staff:type_edit", type_id=appointment_type.pk)
    form = AppointmentTypeForm(
        office=request.office, new=False, initial=AppointmentTypeForm.initial_for(appointment_type)
    )
    return _type_page(request, form, appointment_type=appointment_type, invitation_form=invitation_form, status=400)
