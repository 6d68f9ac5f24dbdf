"""Reading a prompt: numbers, durations, quotes, and how much of each mode's hard part it asks for."""
