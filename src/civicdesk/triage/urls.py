from django.urls import path

from . import views

app_name = "triage"
urlpatterns = [
    path("thresholds/", views.thresholds, name="thresholds"),
    path("items/<int:pk>/correct/", views.correct_signal, name="correct"),
]
