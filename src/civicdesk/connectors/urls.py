from django.urls import path

from . import views

app_name = "connectors"
urlpatterns = [
    path("webhooks/meta/", views.meta_webhook, name="meta_webhook"),
]
