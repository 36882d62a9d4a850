"""Team Chat: channels and the messages sent through the API, with Zoom's reach rules
(docs/sandbox.md, "Team Chat"): a message goes from a user of the account to one of their
contacts or to a channel they are a member of."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zoomorch.sandbox import ids
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.accounts import Accounts, AccountUser
from zoomorch.sandbox.store.context import StoreContext


@dataclass
class ChatChannel:
    """A Team Chat channel; a message to it must come from one of its members."""

    id: str
    name: str
    members: set[str] = field(default_factory=set)  # emails, any organisation

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "members": sorted(self.members)}


class TeamChat:
    """Channels and sent messages (the store's lock guards them)."""

    def __init__(self, ctx: StoreContext, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts
        self.clear()

    def clear(self) -> None:
        self.channels: dict[str, ChatChannel] = {}
        self.messages: list[dict[str, Any]] = []

    def restore(self, channels: list[dict[str, Any]], messages: list[dict[str, Any]]) -> None:
        """Load the state file's ``channels`` and ``chat_messages``."""
        self.messages = list(messages)
        for item in channels:
            self.channels[item["id"]] = ChatChannel(item["id"], item.get("name", ""),
                                                    set(item.get("members", [])))

    def put_channel(self, channel_id: str, name: str, members: Iterable[str]) -> ChatChannel:
        """Admin: create or replace a Team Chat channel and its members (any organisation)."""
        with self.ctx.lock:
            channel = ChatChannel(channel_id, name or channel_id,
                                  {m.strip().lower() for m in members if m.strip()})
            self.channels[channel_id] = channel
            self.ctx.mark_changed()
            return channel

    def reachable_by_chat(self, sender: AccountUser, email: str) -> bool:
        """Team Chat reaches the sender's contacts: the account's users and those they added."""
        key = email.strip().lower()
        return key in sender.contacts or self.accounts.user_by_email(key) is not None

    def send_chat(self, user_id: str, message: str, to_contact: str | None,
                  to_channel: str | None) -> str:
        """A Team Chat message from a user of the account to one of their contacts or to a
        channel they are a member of; anything else is refused (docs/sandbox.md)."""
        with self.ctx.lock:
            sender = self.accounts.account_user(user_id)
            if to_contact is not None and not self.reachable_by_chat(sender, to_contact):
                raise ZoomApiError(400, 5301, f"The user {to_contact} is not in the contact "
                                   f"list of {sender.email}; messages reach contacts only.")
            if to_channel is not None:
                channel = self.channels.get(to_channel)
                if channel is None:
                    raise ZoomApiError(404, 4130, f"Channel does not exist: {to_channel}.")
                if sender.email.lower() not in channel.members:
                    raise ZoomApiError(400, 5301, f"The user {sender.email} is not a member "
                                       f"of channel {to_channel}.")
            message_id = ids.chat_message_id()
            self.messages.append({
                "id": message_id, "message": message, "to_contact": to_contact,
                "to_channel": to_channel, "sender": sender.email,
                "date_time": zoom_time(self.ctx.now())})
            self.ctx.mark_changed()
            return message_id
