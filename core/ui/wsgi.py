"""The WSGI application for production servers such as gunicorn.

    OFFICINA_INSTANCE=/srv/officina gunicorn --workers 4 --bind 127.0.0.1:8000 core.ui.wsgi:app

Settings come from the instance folder's officina.toml and the environment
(``OFFICINA_INSTANCE``, ``OFFICINA_DATABASE_URL``), as for the command line.
"""

from __future__ import annotations

from core.config import load_settings
from core.ui.app import create_app

app = create_app(load_settings())
