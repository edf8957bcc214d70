from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "turnaround.accounts"
    label = "accounts"
    verbose_name = "Accounts and memberships"
