"""Field widgets: one field each, compact (one line) for 80x24."""
