"""Background work of case management: process timers and tasks coming back from hold."""

from __future__ import annotations

from django.tasks import task


@task
def fire_process_timers() -> int:
    """Fire due process timers: deadlines, reminders, escalations (periodic, every minute)."""
    from oegd.cases.services import fire_due_timers

    return fire_due_timers()


@task
def resume_waiting_tasks() -> int:
    """Tasks on hold whose date has come go back to the open worklists (periodic)."""
    from oegd.cases.services import resume_waiting_tasks as resume

    return resume()
