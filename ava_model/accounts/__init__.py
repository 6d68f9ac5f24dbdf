"""Accounts, API keys, plans and quotas of a team deployment."""
