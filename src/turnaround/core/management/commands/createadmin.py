"""Create a state administrator: a user with the state_admin role in one state."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from turnaround.accounts.services import user_create_with_membership
from turnaround.organizations.models import State


class Command(BaseCommand):
    help = "Create a state administrator for one state (the password is asked for, or read from "
    help += "TURNAROUND_ADMIN_PASSWORD)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--state", required=True, help="two-letter state code, e.g. MA")

    def handle(self, *args: Any, **options: Any) -> None:
        state = State.objects.filter(code=options["state"].upper()).first()
        if state is None:
            known = ", ".join(State.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"--state: no state {options['state']!r} (known: {known})")
        password = os.environ.get("TURNAROUND_ADMIN_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = user_create_with_membership(
                actor=None,
                username=options["username"],
                email=options["email"],
                password=password,
                role="state_admin",
                organisation=state,
            )
        except Exception as exc:  # validation errors are shown as they are
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created state administrator {user.username} ({state})")
        )
