from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Accounts are granted by a state administrator, never opened by visitors."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
