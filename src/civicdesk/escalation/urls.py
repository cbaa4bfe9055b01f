from django.urls import path

from . import contact_views, link_views, views

app_name = "escalation"
urlpatterns = [
    path("policies/", views.who_would_be_told, name="policies"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("incidents/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("incidents/<int:pk>/close/", views.close, name="close"),
    path("incidents/<int:pk>/notes/", views.add_note, name="add_note"),
    path("incidents/<int:pk>/evidence.pdf", views.evidence_pdf, name="evidence_pdf"),
    path("ack/<str:token>/", link_views.acknowledge_link, name="acknowledge_link"),
    path("contacts/", contact_views.my_contacts, name="contacts"),
    path("contacts/<int:pk>/switch/", contact_views.switch_contact, name="switch_contact"),
]
