"""The words zoomorch shares across packages: languages and amounts of time.

Nothing here imports the rest of zoomorch, so the event file, the cue planner, the
registration list and the command line can all read the same table and the same grammar.
"""
