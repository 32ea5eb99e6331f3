"""hecha's core: the office's records and everything that reasons over them.

Runs headless: nothing here imports Textual or ``export/`` (DESIGN.md §3).
"""


def program_version() -> str:
    """hecha's version as installed (the package metadata, from ``pyproject.toml``), or
    ``"未安装"`` when run from a checkout that was never installed. ``hecha --version``,
    ``hecha doctor`` and every bundle's manifest (``software``) give it (issue 20)."""
    from importlib import metadata

    try:
        return metadata.version("hecha")
    except metadata.PackageNotFoundError:
        return "未安装"
