"""What changes things: the migration and rollback runners, scaffold and workflow writers, and the state they record."""
