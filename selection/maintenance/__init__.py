"""Maintenance (运维): rotating the field key and backing up the database.

Like `selection.record`, this package stands above all four packages although it sits in
`selection/`: the registry of encrypted columns (`columns.py`) names models and AAD builders
of publicity and vetting. Only the app factory imports it, for its commands (`cli.py`).
"""
