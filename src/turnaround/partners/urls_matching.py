"""Matching pages (names in the ``partners`` namespace)."""

from django.urls import path

from turnaround.partners import views_matching as views

urlpatterns = [
    path("schools/<int:school_id>/partners/", views.school_matches, name="school_matches"),
]
