"""Everything that leaves or enters the office as a file: keys, bundles, the county merge.

Uses :mod:`storage`; never imports Textual (DESIGN.md §3).
"""
