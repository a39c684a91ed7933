"""Flask extensions (扩展), created unbound here and bound in `create_app`."""

import hashlib
import hmac

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Constraint names that Alembic can find again on every database (and that SQLite's
#: batch mode needs to alter a table).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def limiter_key(value: str) -> str:
    """A keyed hash (HMAC-SHA256 under SECRET_KEY) of `value` for the limiter's store, never the value itself."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hashed_client_address() -> str:
    """The limiter's key of a client: a keyed hash of its address, never the address itself.

    Every limit keys on this unless it names another key, so the limiter's store (memory, or
    Redis behind several workers) holds no client address (SECURITY.md P02, P46).
    """
    return "client:" + limiter_key(request.remote_addr or "")


limiter = Limiter(key_func=hashed_client_address)
