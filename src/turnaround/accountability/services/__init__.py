"""Writes of the accountability app: identification runs, designations and exit reviews.

Every function is keyword-only, validates before it writes, runs in a transaction and records an
audit event. Refusals raise ``ValidationError`` (bad input, with a message per field),
``PermissionDenied`` (the actor may not) or ``StaleEditError`` (someone else saved in between).
"""
