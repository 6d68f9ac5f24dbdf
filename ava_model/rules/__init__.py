"""Rules as data (data/rules), validated on load: taxonomy, platforms, thresholds, playbook, exposure, curves, plans."""
