"""The Textual game: app, screens, widgets and styles. Holds no game rules."""
