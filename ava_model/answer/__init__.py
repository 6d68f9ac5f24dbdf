"""The product answer around the risks: drivers, verified rewrites, platforms, escalation, reference pages."""
