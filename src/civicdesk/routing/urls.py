from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("items/<int:pk>/send/", views.send_to, name="send_to"),
]
