"""Enqueue the periodic jobs of ``oegd.core.tasks.PERIODIC_JOBS`` when they are due.

Safe to run on several machines: the row lock on PeriodicJobRun lets one of them enqueue.
"""

import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from oegd.core.models import PeriodicJobRun
from oegd.core.tasks import PERIODIC_JOBS


def enqueue_due_jobs() -> list[str]:
    now = timezone.now()
    enqueued = []
    for job in PERIODIC_JOBS:
        with transaction.atomic():
            run, created = PeriodicJobRun.objects.select_for_update().get_or_create(
                name=job.name, defaults={"last_enqueued_at": now}
            )
            if created or now - run.last_enqueued_at >= job.every:
                run.last_enqueued_at = now
                run.save(update_fields=["last_enqueued_at"])
                transaction.on_commit(job.task.enqueue)
                enqueued.append(job.name)
    return enqueued


class Command(BaseCommand):
    help = "Enqueue periodic jobs when due (run one, or several for redundancy)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once and exit.")
        parser.add_argument("--interval", type=int, default=30, help="Seconds between checks.")

    def handle(self, *args, once: bool, interval: int, **options):
        while True:
            for name in enqueue_due_jobs():
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
