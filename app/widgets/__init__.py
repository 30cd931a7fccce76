"""Small reusable Qt widgets: the form kit that edits dataclass settings."""
