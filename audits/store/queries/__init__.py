"""The query layer: every SQL statement in Assay lives in this package.

Pages, reports, policies and the CLI call these functions and get DataFrames, dicts or
dataclasses back. One module per concern: ``runs`` (the run register and bundle tables),
``audit_log`` (the hash chain), ``reviews``, ``policies``, ``users``.
"""
