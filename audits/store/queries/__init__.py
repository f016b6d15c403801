"""The query layer: every SQL statement in Assay lives in this package.

Pages, reports, policies and the CLI call these functions and get DataFrames, dicts or
dataclasses back. One module per concern: ``runs`` (the run register and bundle tables),
``audit_log`` (the hash chain), ``checkpoints`` (its signed heads), ``evidence`` (the whole-table
reads `assay verify` reconciles), ``reviews``, ``policies``, ``users`` (and the acting user's role),
``user_log``, ``sessions``, ``sealed_notes``, ``dashboard``. Nothing outside ``audits/store/`` runs
SQL (``tests/test_architecture.py``). Tables are defined only in ``audits/store/schema.py``
(``TABLES``, and ``ON_FIRST_USE`` for those made on first write); a bundle's Parquet is read only
through ``audits/store/bundle_reader.py`` and its one filter type; no query computes a statistic
(``audits.stats`` does, from the values read here). Nothing here imports above the store.
"""
