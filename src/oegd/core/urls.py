from django.urls import path

from oegd.core import views
from oegd.core.oidc import oidc_callback, oidc_login

app_name = "core"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("oidc/<str:provider>/login/", oidc_login, name="oidc_login"),
    path("oidc/<str:provider>/callback/", oidc_callback, name="oidc_callback"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("register/verify/<str:token>/", views.verify_email, name="verify_email"),
    path("i18n/language/", views.switch_language, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/office/", views.staff_switch_office, name="staff_switch_office"),
    path("staff/people/", views.staff_people, name="staff_people"),
    path("staff/people/<int:member_id>/", views.staff_person, name="staff_person"),
    path("staff/audit/", views.staff_audit, name="staff_audit"),
    path("staff/api-clients/", views.staff_api_clients, name="staff_api_clients"),
]
