"""What will happen: pure functions of what was read (the plan, prices, names)."""
