"""The product's URLs plus one bare view: the baseline every page is compared with.

Used only by ``benchmarks/run.py`` (it points ROOT_URLCONF here); the app itself is unchanged.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from turnaround.config.urls import urlpatterns as product_urlpatterns


def baseline(request: HttpRequest) -> HttpResponse:
    """Everything a page pays before its own work: the middleware stack and loading the signed-in
    user from the session; then a few bytes of text."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [path("__bench__/baseline/", baseline), *product_urlpatterns]
