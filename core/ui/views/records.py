"""The blueprint of the generated record pages under ``/app``.

The list, form and detail pages live in ``record_list``, ``record_form`` and
``record_detail``, which add their routes to this one blueprint so that endpoint names stay
stable: ``records.list_view``, ``records.new_view``, ``records.detail_view``,
``records.edit_view``.
"""

from __future__ import annotations

from flask import Blueprint

records = Blueprint("records", __name__, url_prefix="/app")

BLUEPRINTS = [records]
