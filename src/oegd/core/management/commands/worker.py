"""``manage.py worker``: run the task worker of the configured backend (database or Redis)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run background tasks with the configured backend (TASK_BACKEND=database|redis)."

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="Work off the queue, then exit.")
        parser.add_argument("--queue", default="default")

    def handle(self, *args, burst: bool, queue: str, **options):
        if settings.TASK_BACKEND == "database":
            call_command("db_worker", queue_name=queue, batch=burst)
        elif settings.TASK_BACKEND == "redis":
            call_command("rqworker", queue, burst=burst, job_class="django_tasks_rq.Job")
        else:
            raise CommandError(f"TASK_BACKEND={settings.TASK_BACKEND} runs tasks in-process; no worker needed.")
