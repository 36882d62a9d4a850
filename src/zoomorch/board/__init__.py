"""The cue board: live feed, signed links, the page and its state."""
