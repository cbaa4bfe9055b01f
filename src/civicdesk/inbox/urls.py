from django.urls import path

from . import views

app_name = "inbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/status/", views.set_status, name="set_status"),
]
