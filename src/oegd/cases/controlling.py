"""Controlling figures of processes: how long each step takes (cycle times per process step).

Every task row keeps when it was created, assigned and completed, and every state change of a case
is a timestamped progress entry; the warehouse reads the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max

from oegd.cases.models import Task
from oegd.core.models import Office


@dataclass(frozen=True)
class StepFigures:
    element_id: str
    name: str
    completed: int
    average: timedelta | None
    longest: timedelta | None


def step_cycle_times(*, office: Office, process_key: str) -> list[StepFigures]:
    """Per user task of a process: how many were completed in the office, and their average and
    longest time from creation to completion."""
    duration = ExpressionWrapper(F("completed_at") - F("created_at"), output_field=DurationField())
    rows = (
        Task.objects.filter(
            office=office,
            status=Task.Status.DONE,
            case__process__definition__key=process_key,
        )
        .values("element_id", "name")
        .annotate(completed=Count("pk"), average=Avg(duration), longest=Max(duration))
        .order_by("element_id", "name")
    )
    return [StepFigures(**row) for row in rows]
