"""hecha's Textual interface: screens own workflows, widgets own fields, the app owns navigation.

Everything it does goes through :mod:`storage` and :mod:`export`, the same functions the CLI calls.
"""
