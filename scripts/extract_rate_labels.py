"""Regenerate src/zoomorch/data/rate_labels.json from Zoom's OpenAPI description.

Zoom states each operation's rate-limit label in its description text ("Rate Limit Label:
`MEDIUM`"). Only the facts (method, path template, label) are kept; no prose is copied.
Operations the description leaves unlabelled are listed in facts.md or default to Light there.

    python scripts/extract_rate_labels.py ../shared/zoom-api/ZoomMeetingAPISpec.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

LABEL = re.compile(r"Rate Limit Label[^`]*`([A-Za-z\- ]+)`")
CANONICAL = {"light": "Light", "medium": "Medium", "heavy": "Heavy",
             "resource-intensive": "Resource-intensive"}
# What facts.md adds for endpoints the Meeting API description does not cover or label.
EXTRA = {
    "POST /chat/users/{userId}/messages": "Medium",
}
METHODS = ("get", "post", "put", "patch", "delete")


def extract(spec: dict) -> dict[str, str]:
    labels: dict[str, str] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            found = LABEL.findall(operation.get("description", ""))
            if found:
                labels[f"{method.upper()} {path}"] = CANONICAL[found[-1].strip().lower()]
    labels.update(EXTRA)
    return dict(sorted(labels.items()))


def main() -> None:
    default = "../shared/zoom-api/ZoomMeetingAPISpec.json"
    source = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    target = Path(__file__).resolve().parent.parent / "src/zoomorch/data/rate_labels.json"
    labels = extract(json.loads(source.read_text(encoding="utf-8")))
    target.write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    print(f"{len(labels)} labelled operations -> {target}")


if __name__ == "__main__":
    main()
