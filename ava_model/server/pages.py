"""Server-rendered HTML of the failure reference: /modes (the index) and /modes/{mode} (one page).

The pages need no JavaScript to read. Every string that comes from data (rules, model, label
files, the URL) passes through :func:`_e` (``html.escape``) before it reaches the markup, and
every link is built by :func:`_mode_href`, which percent-encodes its parts.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from ava_model.answer.reference import Example, ModeReference, PlatformRisk
    from ava_model.rules.taxonomy import Rules

_GENERATIONS = (("current", "Current"), ("previous", "Previous generation"), ("legacy", "Legacy research"))
_NO_EXAMPLES = "No labelled generation with a timestamp yet for this mode on this platform — report one with "
_NO_SAFER = "No suitable platform scores lower for this mode"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _mode_href(mode: str, platform: str) -> str:
    return f"/modes/{quote(mode, safe='')}?{urlencode({'platform': platform})}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _items(values: Iterable[str], cls: str = "") -> str:
    rows = "".join(f"<li>{_e(v)}</li>" for v in values)
    return f'<ul class="{cls}">{rows}</ul>' if cls else f"<ul>{rows}</ul>"


def _risk_chip(value: float, rules: Rules) -> str:
    light = rules.thresholds.light(value)
    return f'<span class="pill {light}" title="{_e(light)}">{value:.2f}</span>'


def _layout(title: str, body: str, crumbs: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{_e(title)}</title>
  <link rel="stylesheet" href="/static/style.css">
  <link rel="stylesheet" href="/static/reference.css">
</head>
<body class="reference">
  <header class="site">
    <div class="wrap">
      <p class="brand"><a href="/"><span class="logo" aria-hidden="true">▶</span> AVA</a></p>
      <p class="tagline">Failure reference: what goes wrong in AI video, how to spot it, how to avoid it.</p>
    </div>
  </header>
  <main class="wrap">
    <nav class="crumbs small" aria-label="Breadcrumb">{crumbs}</nav>
{body}
  </main>
  <footer class="wrap muted small">
    <a href="/">Check a prompt</a> · <a href="/modes">All failure modes</a> · <a href="/docs">API docs</a>
  </footer>
</body>
</html>
"""


def _platform_select(rules: Rules, chosen: str) -> str:
    groups = []
    for generation, label in _GENERATIONS:
        options = "".join(
            f'<option value="{_e(p.id)}"{" selected" if p.id == chosen else ""}>{_e(p.name)}'
            f'{" · audio" if p.audio else ""}</option>'
            for p in rules.platforms if p.generation == generation
        )
        if options:
            groups.append(f'<optgroup label="{_e(label)}">{options}</optgroup>')
    return f'<select id="platform" name="platform">{"".join(groups)}</select>'


def _platform_form(action: str, rules: Rules, chosen: str, label: str) -> str:
    return (
        f'<form method="get" action="{_e(action)}" class="switch">'
        f'<label for="platform">{_e(label)}</label>'
        f'<div class="row">{_platform_select(rules, chosen)}'
        f'<button type="submit" class="secondary">Show</button></div></form>'
    )


# --- one mode on one platform -------------------------------------------------


def reference_page(ref: ModeReference, rules: Rules) -> str:
    """Return the HTML reference page of one failure mode on one platform."""
    short = rules.mode(ref.mode).short_name
    sections = [
        _head_section(ref, rules),
        _toc(),
        '<div class="grid">'
        f'<section class="card" id="identify"><h2>How to identify it</h2>{_items(ref.symptoms)}</section>'
        f'<section class="card" id="causes"><h2>What raises it</h2>{_items(ref.risk_factors)}</section>'
        "</div>",
        _examples_section(ref.examples),
        _prevention_section(ref),
        _escalation_section(ref),
        _related_section(ref, rules),
        _safer_section(ref, rules),
        _score_section(ref, rules),
    ]
    crumbs = (f'<a href="/">Check a prompt</a> › <a href="{_e("/modes?" + urlencode({"platform": ref.platform}))}">'
              f"Failure reference</a> › {_e(short)} on {_e(ref.platform_name)}")
    return _layout(f"{ref.name} on {ref.platform_name} — AVA failure reference", "\n".join(sections), crumbs)


def _head_section(ref: ModeReference, rules: Rules) -> str:
    here = ref.this_platform
    observed = "" if here.observed_rate is None else f" · observed rate {_num(here.observed_rate)}"
    note = f'<p class="caveat">{_e(here.note)}</p>' if not here.suitable and here.note else ""
    return f"""<section class="card ref-head">
  <p class="eyebrow">Failure mode <code>{_e(ref.mode)}</code> · platform <code>{_e(ref.platform)}</code></p>
  <h1>{_e(ref.name)}</h1>
  <p class="on">on <strong>{_e(ref.platform_name)}</strong></p>
  <dl class="facts">
    <dt>Technical term</dt><dd class="term">{_e(ref.technical_term)}</dd>
    <dt>Risk if exercised</dt><dd>{_risk_chip(here.risk_if_exercised, rules)}
      <span class="muted small">chance the failure shows when a prompt calls for it{observed}
      · {_e("; ".join(here.sources))}</span></dd>
  </dl>
  {note}
  {_platform_form("/modes/" + quote(ref.mode, safe=""), rules, ref.platform, "Same failure on another platform")}
</section>"""


def _toc() -> str:
    links = (("identify", "Identify"), ("examples", "Examples"), ("prevent", "Prevent"), ("escalate", "If it fails"),
             ("across", "Across models"), ("tools", "Other tools"), ("score", "Score a prompt"))
    return '<nav class="toc small" aria-label="On this page">' + "".join(
        f'<a href="#{a}">{_e(t)}</a>' for a, t in links) + "</nav>"


def _example(e: Example) -> str:
    when = "time not recorded" if e.at_second is None else f"first appeared at {e.at_second:g} s"
    meta = [when, f"labelled {e.labelled_at}"]
    if e.generation_id:
        meta.append(f"generation {e.generation_id}")
    note = f"<p>{_e(e.note)}</p>" if e.note else ""
    return (f'<li><blockquote class="prompt-text">{_e(e.prompt)}</blockquote>'
            f'<p class="muted small">{" · ".join(_e(m) for m in meta)}</p>{note}</li>')


def _examples_section(examples: tuple[Example, ...]) -> str:
    if examples:
        body = '<ol class="examples">' + "".join(_example(e) for e in examples) + "</ol>"
    else:
        body = f'<p class="muted">{_e(_NO_EXAMPLES)}<code>ava label add</code>.</p>'
    return f'<section class="card" id="examples"><h2>Real examples</h2>{body}</section>'


def _prevention_section(ref: ModeReference) -> str:
    strategies = "".join(f"<dt><code>{_e(sid)}</code></dt><dd>{_e(desc)}</dd>" for sid, desc in ref.rewrite_strategies)
    usable = ""
    if ref.usable_output is not None:
        u = ref.usable_output
        steps = "".join(f"<li>{d.exposure:g}: {d.risk_if_exercised:.2f} ({_e(d.light)})</li>" for d in u.steps)
        usable = (f"<h3>How to get usable output on {_e(ref.platform_name)}</h3><p>{_e(u.advice)}</p>"
                  f'<p class="muted small">Risk if exercised, by {_e(u.unit)}:</p><ul class="degree">{steps}</ul>')
    return (f'<section class="card" id="prevent"><h2>Prevention</h2>{_items(ref.prevention)}{usable}'
            f"<h3>Rewrite strategies AVA tries</h3>"
            f'<p class="muted small">When you score a prompt, AVA applies these and keeps a rewrite only if it '
            f"scores lower.</p><dl class=\"strategies\">{strategies}</dl></section>")


def _contact(contact: str) -> str:
    # Only web and mail addresses become links; anything else stays text.
    if contact.lower().startswith(("https://", "http://")):
        url, _, rest = contact.partition(" ")  # 'https://... (Gemini app); other route' links only the address
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a>' + (f" {_e(rest)}" if rest else "")
    if "@" in contact and " " not in contact.strip():
        return f'<a href="mailto:{_e(contact)}">{_e(contact)}</a>'
    return f"({_e(contact)})"


def _escalation_section(ref: ModeReference) -> str:
    k = ref.escalation
    strength = k.documentation_strength.upper()
    evidence = "".join(f'<li><label><input type="checkbox"> <span>{_e(x)}</span></label></li>' for x in k.evidence)
    return f"""<section class="card" id="escalate">
  <div class="section-head"><h2>If it fails anyway: escalation kit</h2>
    <span class="pill strength-{_e(strength.lower())}">Documentation: {_e(strength)}</span></div>
  <dl class="facts">
    <dt>Technical term</dt><dd>{_e(k.technical_term)}</dd>
    <dt>Documentation</dt><dd>{_e(k.strength_reason)}</dd>
    <dt>Support</dt><dd>{_e(k.support_channel)} {_contact(k.support_contact)}</dd>
    <dt>Refunds</dt><dd>{_e(k.refund_policy)}</dd>
  </dl>
  <p class="caveat">{_e(k.caveat)}</p>
  <h3>Evidence to capture</h3>
  <ul class="checklist">{evidence}</ul>
  <h3>Support ticket</h3>
  <p class="muted small">Replace the &lt;…&gt; placeholders before you send it.</p>
  <pre id="ticket">{_e(k.ticket)}</pre>
</section>"""


def _platform_row(row: PlatformRisk, ref: ModeReference, rules: Rules) -> str:
    current = row.platform == ref.platform
    href = _e(_mode_href(ref.mode, row.platform))
    if current:
        link = f'<a href="{href}" aria-current="page">{_e(row.name)}</a> <span class="muted small">(this page)</span>'
    else:
        link = f'<a href="{href}">{_e(row.name)}</a>'
    classes = " ".join(c for c in ("current" if current else "", "" if row.suitable else "unsuitable") if c)
    if row.suitable:
        chip, note = _risk_chip(row.risk_if_exercised, rules), ""
    else:
        # It cannot exercise the mode, so it scores 0 by construction: no green light for it.
        chip = f'<span class="pill">{row.risk_if_exercised:.2f}</span>'
        note = f'<span class="not-suitable">Not suitable: {_e(row.note or "cannot exercise this mode")}</span>'
    return (f'<tr data-platform="{_e(row.platform)}" data-risk="{row.risk_if_exercised}" class="{classes}">'
            f'<th scope="row">{link}</th>'
            f'<td data-label="Risk if exercised">{chip}</td>'
            f'<td data-label="Observed rate">{_num(row.observed_rate)}</td>'
            f'<td data-label="Sources">{_e("; ".join(row.sources))}</td>'
            f'<td data-label="Note">{note}</td></tr>')


_TABLE_HEAD = ('<thead><tr><th scope="col">Platform</th><th scope="col">Risk if exercised</th>'
               '<th scope="col">Observed rate</th><th scope="col">Sources</th><th scope="col">Note</th></tr></thead>')


def _platform_table(rows: Iterable[PlatformRisk], ref: ModeReference, rules: Rules) -> str:
    body = "".join(_platform_row(r, ref, rules) for r in rows)
    return f'<div class="table-wrap"><table class="platform-table">{_TABLE_HEAD}<tbody>{body}</tbody></table></div>'


def _related_section(ref: ModeReference, rules: Rules) -> str:
    # Platforms that cannot exercise the mode score 0 by construction: folded away below the real ones.
    main = [r for r in ref.across_platforms if r.suitable or r.platform == ref.platform]
    unsuitable = [r for r in ref.across_platforms if r not in main]
    folded = ""
    if unsuitable:
        reasons = sorted({r.note or "cannot exercise this mode" for r in unsuitable})
        why = f": {reasons[0]}" if len(reasons) == 1 else ""
        folded = (f"<details><summary>Not suitable for this mode ({len(unsuitable)}){_e(why)}</summary>"
                  f"{_platform_table(unsuitable, ref, rules)}</details>")
    related = [(m, share) for m, share in ref.related_modes if share > 0]
    if related:
        items = "".join(
            f'<li><a href="{_e(_mode_href(m, ref.platform))}">{_e(rules.mode(m).short_name)}</a> '
            f'<code>{_e(m)}</code> — {share:.0%} of prompts that exercise this mode also exercise it</li>'
            for m, share in related)
        modes = f'<ul class="related">{items}</ul>'
    else:
        modes = '<p class="muted">No other failure mode co-occurs with this one in the labelled prompts.</p>'
    return f"""<section class="card" id="across">
  <h2>Related failures across models</h2>
  <p class="muted small">The same failure on every platform, lowest risk first: the chance it shows when a prompt
  calls for it, the rate observed in labelled generations, and where the number comes from.</p>
  {_platform_table(main, ref, rules)}
  {folded}
  <h3>Often comes with</h3>
  {modes}
</section>"""


def _safer_section(ref: ModeReference, rules: Rules) -> str:
    here = ref.this_platform.risk_if_exercised
    if not ref.safer_tools:
        ties = [r for r in ref.across_platforms
                if r.suitable and r.platform != ref.platform and abs(r.risk_if_exercised - here) < rules.thresholds.tie_tolerance]
        same = ("" if not ties else " Same risk on " + ", ".join(
            f'<a href="{_e(_mode_href(ref.mode, r.platform))}">{_e(r.name)}</a>' for r in ties) + ".")
        body = (f'<p class="muted">{_e(_NO_SAFER)} than {_e(ref.platform_name)} '
                f"({here:.2f}).{same} Rewriting the prompt is the better lever here.</p>")
    else:
        items = "".join(
            f'<li data-platform="{_e(t.platform)}" data-risk="{t.risk_if_exercised}"><div class="alt-head">'
            f'<a href="{_e(_mode_href(ref.mode, t.platform))}"><strong>{_e(t.name)}</strong></a>'
            f" {_risk_chip(t.risk_if_exercised, rules)}"
            f'<span class="chip better">−{here - t.risk_if_exercised:.2f}</span></div>'
            f'<div class="muted small">risk if exercised {t.risk_if_exercised:.2f} vs {here:.2f} on '
            f"{_e(ref.platform_name)} · observed {_num(t.observed_rate)} · {_e('; '.join(t.sources))}</div></li>"
            for t in ref.safer_tools)
        body = f'<ol class="alternatives">{items}</ol>'
    return f'<section class="card" id="tools"><h2>Pick a different tool</h2>{body}</section>'


def _score_section(ref: ModeReference, rules: Rules) -> str:
    limit = rules.thresholds.max_prompt_chars
    return f"""<section class="card" id="score">
  <h2>Score your prompt</h2>
  <p class="muted small">See the risk of this and every other failure before you spend credits on
  {_e(ref.platform_name)}.</p>
  <form method="get" action="/">
    <label for="score-prompt">Prompt</label>
    <textarea id="score-prompt" name="prompt" rows="4" maxlength="{limit}" required
      placeholder="Paste the prompt you are about to generate"></textarea>
    <input type="hidden" name="platform" value="{_e(ref.platform)}">
    <div class="row"><button type="submit" class="primary">Check on {_e(ref.platform_name)}</button></div>
  </form>
</section>"""


# --- index and errors ---------------------------------------------------------


def _index_item(r: ModeReference, rules: Rules) -> str:
    here = r.this_platform
    note = "" if here.suitable else f' · <span class="not-suitable">{_e(here.note or "")}</span>'
    return (f'<li data-mode="{_e(r.mode)}"><div class="alt-head">'
            f'<a href="{_e(_mode_href(r.mode, r.platform))}"><strong>{_e(r.name)}</strong></a>'
            f" {_risk_chip(here.risk_if_exercised, rules)}</div>"
            f'<div class="muted small">{_e(r.technical_term)}{note}</div></li>')


def modes_index(refs: Iterable[ModeReference], rules: Rules, platform: str) -> str:
    """Return the HTML list of every failure mode, linked to its page on ``platform``."""
    refs = list(refs)
    name = rules.platform(platform).name
    items = "".join(_index_item(r, rules) for r in refs)
    body = f"""<section class="card ref-head">
  <h1>Failure modes on {_e(name)}</h1>
  <p class="muted">{len(refs)} ways AI video goes wrong. Each page says how to spot the failure, what raises it,
  how to prevent it, what to send support, and which platforms show it least. The number is the risk
  on {_e(name)} when a prompt calls for it.</p>
  {_platform_form("/modes", rules, rules.platform(platform).id, "Platform")}
</section>
<section class="card"><ol class="alternatives modes">{items}</ol></section>"""
    return _layout(f"Failure modes on {name} — AVA failure reference", body,
                   '<a href="/">Check a prompt</a> › Failure reference')


def not_found_page(message: str) -> str:
    """Return the HTML 404 page showing ``message`` (which names the valid ids)."""
    body = f"""<section class="card">
  <h1>Not found</h1>
  <p class="error" role="alert">{_e(message)}</p>
  <p><a href="/modes">Browse every failure mode</a> or <a href="/">check a prompt</a>.</p>
</section>"""
    return _layout("Not found — AVA failure reference", body, '<a href="/">Check a prompt</a> › Not found')
