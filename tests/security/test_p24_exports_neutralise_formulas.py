"""P24: every spreadsheet the app exports neutralises cells starting with = + - @.

The exports come from the URL map (every GET route ending in ``.xlsx``), fetched as an
admin on the demo round after candidates' free-text fields were filled with formulas, so
a new export is checked without touching this file. The rule itself is
`selection.spreadsheets.export_xlsx` (tests/selection/test_spreadsheets.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from selection.auth import allowed_roles
from selection.models import Role, Round
from selection.spreadsheets import DANGEROUS_PREFIXES
from tests.selection.test_access import URL_SAMPLES, _values

FORMULAS = ['=HYPERLINK("http://example.invalid","点击")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
FIELDS = ("unit", "current_post", "rank")


def _formulas_everywhere(record: dict[str, Any]) -> None:
    for number, candidate in enumerate(record["candidates"]):
        for offset, field in enumerate(FIELDS):
            candidate[field] = FORMULAS[(number + offset) % len(FORMULAS)]


def test_p24_every_export_neutralises_formula_cells(app: Flask, admin_client: FlaskClient,
                                                      store_demo: Callable[..., Round]) -> None:
    # Given the demo round with a formula in every candidate's unit, post and rank
    store_demo(_formulas_everywhere)

    # When the admin downloads every spreadsheet export, for every position
    exports, cells, neutralised = [], 0, 0
    for rule in app.url_map.iter_rules():
        declared = allowed_roles(app.view_functions[rule.endpoint])
        if not rule.rule.endswith(".xlsx") or "GET" not in (rule.methods or ()):
            continue
        if not isinstance(declared, frozenset) or Role.ADMIN not in declared:
            continue  # public exports are walked by their own tests; none publishes free text
        for position in ("P01", "P02", "P03", "P04", "P05", "P06") if "<position>" in rule.rule else ("",):
            with app.app_context():
                values, missing = _values(rule)
            assert not missing, f"{rule.rule}: add a sample for {missing} to URL_SAMPLES"
            url = app.url_map.bind("localhost").build(rule.endpoint, values | ({"position": position} if position else {}))
            response = admin_client.get(url)
            if response.status_code != 200:
                continue  # e.g. a score sheet of a position not at that stage
            exports.append(url)
            for sheet in load_workbook(io.BytesIO(response.data)).worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        cells += 1
                        # Then no cell is a formula, and no text cell starts like one
                        assert cell.data_type != "f", f"{url} {sheet.title}!{cell.coordinate} is a formula"
                        if isinstance(cell.value, str):
                            assert not cell.value.startswith(DANGEROUS_PREFIXES), \
                                f"{url} {sheet.title}!{cell.coordinate}: {cell.value!r}"
                            neutralised += cell.value[1:] in FORMULAS

    assert len(exports) >= 3 and cells > 100
    assert neutralised > 0, "no export carried the planted formulas: the walk proves nothing"
    assert "position" in URL_SAMPLES  # the walk depends on it
