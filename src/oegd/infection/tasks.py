"""Background work of infection protection: pulling DEMIS notifications, the nightly duplicate search."""

from __future__ import annotations

from django.tasks import task


@task
def pull_demis() -> int:
    """Periodic job: fetch new notifications from the configured DEMIS FHIR storage (none configured: 0)."""
    from oegd.infection.pull import pull_configured_source

    report = pull_configured_source()
    return 0 if report is None else report.created


@task
def find_duplicate_persons_nightly() -> int:
    """Periodic job: the batch duplicate search in every office (new pairs go to the review queue)."""
    from oegd.infection.matching import find_duplicates_in_all_offices

    return find_duplicates_in_all_offices()
