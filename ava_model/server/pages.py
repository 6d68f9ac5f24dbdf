"""Server-rendered HTML of the failure reference: /modes (the index) and /modes/{mode} (one page).

The pages need no JavaScript to read. The markup lives in Jinja2 templates in
``ava_model/server/templates``; :func:`render` fills them through one environment that escapes
every value it prints (autoescaping) and refuses a variable the caller did not pass
(``StrictUndefined``). Nothing here builds HTML from strings: this module only gathers the
values a template shows, and every link is built by :func:`mode_href`, which percent-encodes
its parts.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from jinja2 import Environment
from markupsafe import Markup

from ava_model.templating import template_environment

if TYPE_CHECKING:
    from ava_model.answer.reference import ModeReference, PlatformRisk
    from ava_model.rules.taxonomy import Rules

TEMPLATES_DIR = Path(__file__).with_name("templates")

_CANNOT = "cannot exercise this mode"


# --- the template environment -------------------------------------------------


def _escape(value: object) -> object:
    """Escape a printed value as ``html.escape(quote=True)`` does; markup (``__html__``) passes as is.

    Autoescaping would escape it anyway; escaping here first keeps the entity spelling of the
    earlier pages (``&#x27;``, ``&quot;``) that clients and tests compare against.
    """
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Return the Jinja2 environment of the server pages (built once).

    Returns
    -------
    jinja2.Environment
        Loads ``ava_model/server/templates``, autoescapes every printed value and raises
        ``jinja2.UndefinedError`` on a missing variable. Filters: ``num`` (two decimals, or
        "—" for None) and ``fmt`` (Python's ``format(value, spec)``); global ``mode_href``.
    """
    return template_environment(TEMPLATES_DIR, finalize=_escape, filters={"num": _num},
                                globals_={"mode_href": mode_href})


def render(template: str, **context: Any) -> str:
    """Return a server template rendered with ``context``.

    Parameters
    ----------
    template:
        File name under ``ava_model/server/templates``, e.g. ``"reference.html"``.
    **context:
        The variables the template uses; every one it prints is escaped.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    jinja2.UndefinedError
        When the template uses a variable that is not in ``context``.
    """
    return environment().get_template(template).render(**context)


def mode_href(mode: str, platform: str) -> str:
    """Return the link to the reference page of ``mode`` on ``platform``, its parts percent-encoded.

    Parameters
    ----------
    mode, platform:
        A failure mode id and a platform id.

    Returns
    -------
    str
        ``/modes/{mode}?platform={platform}``.
    """
    return f"/modes/{quote(mode, safe='')}?{urlencode({'platform': platform})}"


def _platform_groups(rules: Rules, chosen: str) -> list[dict[str, Any]]:
    """Return the platform picker's option groups by generation; ``chosen`` is selected."""
    groups = []
    for generation, label in rules.generations.items():
        options = [{"id": p.id, "name": p.name, "audio": p.audio, "selected": p.id == chosen}
                   for p in rules.platforms if p.generation == generation]
        if options:
            groups.append({"label": label, "options": options})
    return groups


# --- one mode on one platform -------------------------------------------------


def reference_page(ref: ModeReference, rules: Rules) -> str:
    """Return the HTML reference page of one failure mode on one platform.

    Parameters
    ----------
    ref:
        The reference of the mode on the platform, from ``ava_model.answer.reference.mode_reference``.
    rules:
        The rules: mode names, platforms and the traffic-light thresholds.

    Returns
    -------
    str
        The HTML page.
    """
    return render(
        "reference.html",
        ref=ref,
        short=rules.mode(ref.mode).short_name,
        light=rules.thresholds.light,
        index_href="/modes?" + urlencode({"platform": ref.platform}),
        mode_path="/modes/" + quote(ref.mode, safe=""),
        platform_groups=_platform_groups(rules, ref.platform),
        contact=_contact(ref.escalation.support_contact),
        strength=ref.escalation.documentation_strength.upper(),
        max_prompt_chars=rules.thresholds.max_prompt_chars,
        ties=_ties(ref, rules),
        **_across(ref, rules),
    )


def _contact(contact: str) -> dict[str, str]:
    """Return how the template shows a support contact: ``kind`` web, mail or text.

    Only web and mail addresses become links; anything else stays text.
    """
    if contact.lower().startswith(("https://", "http://")):
        url, _, rest = contact.partition(" ")  # 'https://... (Gemini app); other route' links only the address
        return {"kind": "web", "address": url, "rest": rest}
    if "@" in contact and " " not in contact.strip():
        return {"kind": "mail", "address": contact, "rest": ""}
    return {"kind": "text", "address": contact, "rest": ""}


def _across(ref: ModeReference, rules: Rules) -> dict[str, Any]:
    """Return the rows of the across-platforms table, the folded unsuitable ones and the related modes."""
    # Platforms that cannot exercise the mode score 0 by construction: folded away below the real ones.
    main = [r for r in ref.across_platforms if r.suitable or r.platform == ref.platform]
    unsuitable = [r for r in ref.across_platforms if r not in main]
    reasons = sorted({r.note or _CANNOT for r in unsuitable})
    related = [{"mode": m, "short_name": rules.mode(m).short_name, "share": share}
               for m, share in ref.related_modes if share > 0]
    return {"main_rows": main, "unsuitable_rows": unsuitable,
            "unsuitable_reason": f": {reasons[0]}" if len(reasons) == 1 else "", "related": related}


def _ties(ref: ModeReference, rules: Rules) -> list[PlatformRisk]:
    """Return the other suitable platforms whose risk equals this one's (within the tie tolerance)."""
    here = ref.this_platform.risk_if_exercised
    return [r for r in ref.across_platforms
            if r.suitable and r.platform != ref.platform
            and abs(r.risk_if_exercised - here) < rules.thresholds.tie_tolerance]


# --- index and errors ---------------------------------------------------------


def modes_index(refs: Iterable[ModeReference], rules: Rules, platform: str) -> str:
    """Return the HTML list of every failure mode, linked to its page on ``platform``.

    Parameters
    ----------
    refs:
        The reference of every mode on ``platform``.
    rules:
        The rules: platforms and the traffic-light thresholds.
    platform:
        The platform id (or name) the list is for.

    Returns
    -------
    str
        The HTML page.
    """
    chosen = rules.platform(platform)
    return render("modes_index.html", refs=list(refs), platform_name=chosen.name, light=rules.thresholds.light,
                  platform_groups=_platform_groups(rules, chosen.id))


def not_found_page(message: str) -> str:
    """Return the HTML 404 page showing ``message``.

    Parameters
    ----------
    message:
        What was not found; it names the valid ids.

    Returns
    -------
    str
        The HTML page.
    """
    return render("not_found.html", message=message)
