"""The scoring path: checked prompt -> embedding -> features -> calibrated heads -> risks."""
