"""The sandbox's state: every resource of the simulated Zoom account and its rules.

``SandboxStore`` (facade.py) is the one object the HTTP layer, the live simulation and tests
use; it holds one lock, the clock and the state file, and hands each call to the part that
owns the resource:

- ``accounts.py``: the account's licences, its users and their settings, Team Chat contacts;
- ``webinars.py``: webinars (create, read, list, update, delete) and their join links;
- ``panelists.py``: panelists, and interpreters listed as panelists;
- ``registrants.py``: registration, approvals, registration questions;
- ``attendance.py``: the live webinar: start and end, joins and leaves, Q&A and polls;
- ``reports.py``: reports on ended webinars, absentees;
- ``chat.py``: Team Chat channels and messages;
- ``daily.py``: Zoom's per-day rules (``DailyRule``) and today's counts;
- ``paging.py``: ``next_page_token`` pagination;
- ``webinar_state.py``: one webinar's record (``WebinarState``, ``ParticipantSession``);
- ``context.py``: what the parts share, as they see it (``StoreContext``).

Each call takes the lock, reads the clock, raises ``ZoomApiError`` the way Zoom answers, and
emits webhook events through ``on_event`` (outside the lock).
"""

from zoomorch.sandbox.store.accounts import HOST_EMAIL, HOST_ID, Account, AccountUser
from zoomorch.sandbox.store.chat import ChatChannel
from zoomorch.sandbox.store.daily import DailyRule
from zoomorch.sandbox.store.facade import SandboxStore
from zoomorch.sandbox.store.webinar_state import ParticipantSession, WebinarState

__all__ = ["HOST_EMAIL", "HOST_ID", "Account", "AccountUser", "ChatChannel", "DailyRule",
           "ParticipantSession", "SandboxStore", "WebinarState"]
