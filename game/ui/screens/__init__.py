"""Screens: title, game, and the modal dialogs (help, settings, save/load, quit, ending)."""
