"""Delivery channels for cues: the one ``Notifier`` protocol (:mod:`.base`), one module per
channel (:mod:`.console`, :mod:`.zoom_chat`, :mod:`.webhook`, :mod:`.email`, :mod:`.board`),
the registry of their config models and factories (:mod:`.registry`), and the setup of an
event's channels from its ``[notifications]`` (:mod:`.channels`)."""
