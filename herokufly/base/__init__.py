"""Shared by every layer: settings, errors, masking, the console, the inventory types, what a child process may see, and the model of what a Fly Machine execs."""
