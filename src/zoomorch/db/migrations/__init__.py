"""The state database's migrations (Alembic): ``versions/`` holds the revision chain, and
:func:`zoomorch.db.store.open_store` brings every database it opens to the head.

- ``0001`` is the schema as zoomorch created it before migrations existed (``create_all``);
  on such a database its tables already exist and it only adds the ones missing.
- ``0002`` makes ``cue_live_state`` the one record of the live event (start, adjustments,
  end, their sources, the webinar id) and drops ``webinar_run`` and APScheduler's
  ``cue_jobs``.
- ``0003`` adds the presenter messages to ``cue_live_state`` (``messages``, a JSON list).

A change to :mod:`zoomorch.db.tables` needs a new revision. From the repository root, against
a scratch database at the current head::

    alembic -c src/zoomorch/db/migrations/alembic.ini -x url=sqlite:////tmp/scratch.sqlite3 \\
        revision --autogenerate -m "what changes"

then read and complete the generated file (data moves are never generated).
"""
