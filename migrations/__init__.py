"""Numbered, reversible MongoDB migrations and their runner."""
