"""What every Parley service imports: configuration, database, tokens, errors, the service base."""
