"""Background work of the form server."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task


@task
def send_submission_confirmation(submission_id: int) -> bool:
    """E-mail the confirmation of receipt in the submitter's language; no answers in the mail."""
    from oegd.forms.models import Submission
    from oegd.forms.receipts import render_confirmation_email
    from oegd.forms.selectors import receipt_for

    submission = Submission.objects.select_related("service", "office", "form_version").filter(pk=submission_id).first()
    if submission is None or not submission.email:
        return False
    subject, body = render_confirmation_email(receipt_for(submission, with_secret=False))
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [submission.email])
    return True


@task
def delete_expired_drafts() -> int:
    """Retention of unfinished forms (periodic)."""
    from oegd.forms.services import delete_expired_drafts as delete

    return delete()
