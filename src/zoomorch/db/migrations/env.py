"""Alembic's environment for the state database.

:func:`zoomorch.db.store.upgrade_schema` hands over its connection, already in the
transaction (and holding the lock) the whole upgrade runs in. The ``alembic`` command line
(see :mod:`zoomorch.db.migrations`) connects to ``-x url=…`` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from zoomorch.db.tables import Base

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)
    with context.begin_transaction():  # a no-op inside the caller's transaction
        context.run_migrations()
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database: alembic -c … -x url=sqlite:////path/db …")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as own:
            context.configure(connection=own, target_metadata=Base.metadata,
                              render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
