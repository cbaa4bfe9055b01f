from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox:index", permanent=False)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inbox/", include("civicdesk.inbox.urls")),
    path("accounts/", include("civicdesk.accounts.urls")),
    path("triage/", include("civicdesk.triage.urls")),
    path("routing/", include("civicdesk.routing.urls")),
    path("demo/", include("civicdesk.demo.urls")),
    path("escalation/", include("civicdesk.escalation.urls")),
    path("", include("civicdesk.connectors.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Civic Desk setup"
admin.site.site_title = "Civic Desk setup"
