"""axe-core in the browser tests: run the pinned axe-core (npm, package-lock.json) on the
page that is open and return the violations a user would be hurt by.

The script is injected through Playwright's own channel, not a <script> tag, so the
Content-Security-Policy of the page under test stays as strict as in production."""

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_violations(page, impacts=SERIOUS) -> list[str]:
    """The violations of the given impacts on the page as it is now, one line each
    (rule, impact, the first offending elements), for an assert message."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/test does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}"
        for v in result
        if v["impact"] in impacts
    ]


def assert_accessible(page, where: str = "") -> None:
    found = axe_violations(page)
    assert not found, f"axe-core on {where or page.url}:\n" + "\n".join(found)
