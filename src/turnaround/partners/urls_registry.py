"""Registry pages (``partners:<name>``) and the public directory of Priority Partners."""

from django.urls import URLPattern, path

from turnaround.partners import views_registry as views

urlpatterns: list[URLPattern] = [
    path("partners/", views.registry, name="registry"),
    path("partners/export.csv", views.registry_export_csv, name="registry_export_csv"),
    path("partners/export.xlsx", views.registry_export_xlsx, name="registry_export_xlsx"),
    path("partners/new/", views.partner_new, name="partner_new"),
    path("partners/<int:partner_id>/", views.partner_detail, name="partner_detail"),
    path("partners/<int:partner_id>/edit/", views.partner_edit, name="partner_edit"),
    path("partners/<int:partner_id>/services/", views.partner_services, name="partner_services"),
    path("partners/<int:partner_id>/contacts/", views.partner_contacts, name="partner_contacts"),
    path("partners/<int:partner_id>/evidence/", views.partner_evidence, name="partner_evidence"),
    path("partners/directory/<str:state_code>/", views.directory, name="directory"),
    path(
        "partners/directory/<str:state_code>/<int:partner_id>/",
        views.directory_detail,
        name="directory_detail",
    ),
]
