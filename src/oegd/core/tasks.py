"""Background work of the platform core, and the one home of periodic jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.tasks import task


@task
def clear_expired_sessions() -> None:
    """Delete expired server-side sessions (periodic)."""
    call_command("clearsessions")


@task
def verify_audit_chain() -> int | None:
    """Re-check the audit hash chain every night; a break is logged for the operators."""
    import logging

    from oegd.core.audit import verify_chain

    broken = verify_chain()
    if broken is not None:
        logging.getLogger("oegd.audit").error("audit chain broken at event %s", broken)
    return broken


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    task: object


def _periodic_jobs() -> list[PeriodicJob]:
    from oegd.appointments.tasks import send_due_reminders_task
    from oegd.cases.retention import apply_case_retention
    from oegd.cases.tasks import fire_process_timers, resume_waiting_tasks
    from oegd.forms.tasks import delete_expired_drafts
    from oegd.infection.tasks import find_duplicate_persons_nightly, pull_demis

    return [
        PeriodicJob("clear_expired_sessions", timedelta(hours=1), clear_expired_sessions),
        PeriodicJob("verify_audit_chain", timedelta(days=1), verify_audit_chain),
        PeriodicJob("delete_expired_drafts", timedelta(hours=6), delete_expired_drafts),
        PeriodicJob("send_due_reminders", timedelta(minutes=5), send_due_reminders_task),
        PeriodicJob("apply_case_retention", timedelta(days=1), apply_case_retention),
        PeriodicJob("fire_process_timers", timedelta(minutes=1), fire_process_timers),
        PeriodicJob("resume_waiting_tasks", timedelta(minutes=15), resume_waiting_tasks),
        PeriodicJob("find_duplicate_persons", timedelta(days=1), find_duplicate_persons_nightly),
        PeriodicJob("pull_demis", timedelta(minutes=5), pull_demis),
    ]


# Every periodic job of the platform is listed here (more retention and reminders join later).
PERIODIC_JOBS: list[PeriodicJob] = _periodic_jobs()


def ping_worker() -> bool:
    """Whether the configured task backend can take work right now."""
    try:
        if settings.TASK_BACKEND == "redis":
            import django_rq

            return bool(django_rq.get_connection("default").ping())
        if settings.TASK_BACKEND == "database":
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.exists()
        return True
    except Exception:  # noqa: BLE001 - readiness reports, it does not raise
        return False
