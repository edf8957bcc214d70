"""Coaching comments and notifications (namespace ``monitoring``)."""

from django.urls import path

from turnaround.monitoring import views_coaching as views

urlpatterns = [
    path(
        "plans/<int:plan_id>/comments/<str:kind>/<int:target_id>/",
        views.comments,
        name="comments",
    ),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/read",
        views.notification_read,
        name="notification_read",
    ),
    path("notifications/read-all", views.notifications_read_all, name="notifications_read_all"),
]
