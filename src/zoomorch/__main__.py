"""``python -m zoomorch``: the same as the ``zoomorch`` command."""

from zoomorch.cli.main import main

main()
