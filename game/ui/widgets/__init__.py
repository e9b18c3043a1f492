"""Widgets of the game screen; each draws plain data and holds no game rules."""
