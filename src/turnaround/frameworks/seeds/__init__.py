"""Seed content of the frameworks app (YAML, in the import schema of ``turnaround.frameworks.io``).

A package so that the files ship with the wheel (package data ``*.yaml``).
"""
