"""Text primitives of a prompt: numbers and durations in words or digits, quoted spans."""
