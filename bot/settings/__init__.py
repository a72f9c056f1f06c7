"""The configuration file's typed models (pydantic), one module per area.

``secrets`` (references to secrets and the :class:`Secret` that hides them), ``base``
(the strict section model with "did you mean" on unknown keys), ``platforms``
(``platforms:``, ``targets:``), ``registries`` (``registries:``, ``images:``, ``fixers:``),
``service`` (``chat:``, ``web:``, ``database:``), ``document`` (the whole file and the
checks across sections), ``source`` (YAML with positions; errors as ``file:line:col``).
:mod:`bot.settings.config` loads a file with them and turns it into the settings the code uses.
"""
