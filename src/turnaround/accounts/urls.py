from django.urls import path

from turnaround.accounts import people, views

app_name = "accounts"

urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("people/", people.people, name="people"),
    path("people/<int:membership_id>/remove/", people.person_remove, name="person_remove"),
]
