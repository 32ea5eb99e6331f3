"""The screens of the TUI, one workflow each."""
