"""Background work of secure messaging: the "new message" notices (idempotent)."""

from __future__ import annotations

from django.tasks import task


@task
def notify_about_message_task(message_id: int) -> list[str]:
    """Tell the other side that a message is waiting (never what it says); a repeat sends nothing."""
    from oegd.messaging.notifications import notify_about_message

    return notify_about_message(message_id)
