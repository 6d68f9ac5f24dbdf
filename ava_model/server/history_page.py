"""Server-rendered history page of one user (``/history?user=ID``), from ava_model.labels.history."""

from __future__ import annotations

from ava_model.labels.history import UserHistory
from ava_model.server.pages import _e, _layout, _num


def _weekly_chart(history: UserHistory) -> str:
    """Return an inline SVG bar chart: prompts scored and failures reported per week."""
    if not history.weekly:
        return "<p class='muted'>Nothing scored or reported yet.</p>"
    top = max(max(w["scored"], w["reported"]) for w in history.weekly) or 1
    bars = []
    for i, w in enumerate(history.weekly):
        x = 10 + i * 60
        for j, (key, colour) in enumerate((("scored", "#3949ab"), ("failed", "#c62828"))):
            h = round(100 * w[key] / top)
            bars.append(f"<rect x='{x + j * 22}' y='{110 - h}' width='20' height='{h}' fill='{colour}'>"
                        f"<title>{_e(w['week'])}: {key} {w[key]}</title></rect>")
        bars.append(f"<text x='{x}' y='126' font-size='9'>{_e(w['week'])}</text>")
    width = 20 + 60 * len(history.weekly)
    return (f"<svg role='img' aria-label='Prompts scored (blue) and failures reported (red) per week' "
            f"viewBox='0 0 {width} 130' style='max-width:100%;height:auto'>{''.join(bars)}</svg>"
            "<p class='small muted'>Blue: prompts scored. Red: failures reported.</p>")


def history_page(history: UserHistory) -> str:
    """Return the HTML page of a user's history."""
    rows = "".join(
        f"<tr><td>{_e(r['mode'])}</td><td>{_e(r['platform'])}</td><td>{r['reports']}</td>"
        f"<td>{_num(r['observed_rate'])}</td><td>{_num(r['predicted_risk'])}</td></tr>"
        for r in history.by_mode
    ) or "<tr><td colspan='5' class='muted'>No outcomes reported yet.</td></tr>"
    reds = "".join(
        f"<li><b>{_e(r['platform'])}</b> · {_e(r['top_mode'])} {r['risk']:.2f}"
        f"{' · rewrite used' if r['rewrite_used'] else ' · rewrite offered' if r['rewrite_offered'] else ''}"
        f"<br><span class='muted'>{_e(r['prompt'])}</span></li>"
        for r in history.red_prompts[:20]
    ) or "<li class='muted'>No red prompts.</li>"
    body = f"""
    <section class="card"><h1>History of {_e(history.user)}</h1>
      <p>{history.scored} prompts scored ({history.red} red, a safer rewrite offered for {history.rewrites_offered});
      {history.reported} outcomes reported.</p>{_weekly_chart(history)}</section>
    <section class="card"><h2>Your failure rates against AVA's predictions</h2>
      <table><thead><tr><th>Mode</th><th>Platform</th><th>Reports</th><th>Observed</th><th>AVA predicted</th></tr>
      </thead><tbody>{rows}</tbody></table></section>
    <section class="card"><h2>Prompts that went red</h2><ul>{reds}</ul></section>"""
    return _layout(f"AVA history: {history.user}", body, "<a href='/'>AVA</a> › history")
