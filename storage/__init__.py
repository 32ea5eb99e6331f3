"""hecha's core: the office's records and everything that reasons over them.

Runs headless: nothing here imports Textual or ``export/`` (DESIGN.md §3).
"""
