from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    """The operators' admin, behind the same login and second factor as the staff area."""

    default_site = "oegd.core.admin_site.PlatformAdminSite"
