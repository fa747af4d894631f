"""Dialogs opened from pages and the main window."""
