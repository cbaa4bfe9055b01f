from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/connect/", views.connect_account, name="connect"),
    path("<int:pk>/log/", views.log_by_hand, name="log_item"),
    path("connected/", views.oauth_callback, name="oauth_callback"),
]
