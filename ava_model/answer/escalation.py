"""The escalation kit of a failure: its technical name, the evidence to capture, the ticket, the refund case."""

from __future__ import annotations

from ava_model.answer.report import EscalationKit
from ava_model.rules.playbook import Playbook
from ava_model.rules.taxonomy import Rules


def escalation_kit(prompt: str, platform_id: str, mode: str, rules: Rules, playbook: Playbook,
                   generation_id: str | None = None, timestamp: str | None = None) -> EscalationKit:
    """Return the escalation kit of a mode on a platform, its ticket filled with what is known."""
    failure, platform = rules.mode(mode), rules.platform(platform_id)
    rule = playbook.escalation_for(mode, platform_id)
    ticket = rule.ticket_template.format(
        platform_name=platform.name,
        generation_id=generation_id or "<generation id>",
        timestamp=timestamp or "<m:ss where it first appears>",
        prompt=prompt,
        technical_term=failure.technical_term,
        mode_name=failure.name,
        symptoms="\n".join(f"- {s}" for s in failure.symptoms),
        evidence_list="\n".join(f"- {e}" for e in rule.evidence),
    )
    return EscalationKit(
        mode=mode,
        technical_term=failure.technical_term,
        evidence=rule.evidence,
        ticket=ticket,
        support_channel=platform.support_channel,
        support_contact=platform.support_contact,
        documentation_strength=rule.documentation_strength,
        strength_reason=rule.strength_reason,
        caveat=playbook.caveat,
        refund_policy=platform.refund_policy,
    )
