from django.urls import path

from . import views

app_name = "demo"
urlpatterns = [
    path("mail/", views.mail_index, name="mail"),
    path("mail/<str:key>/", views.mail_detail, name="mail_detail"),
]
