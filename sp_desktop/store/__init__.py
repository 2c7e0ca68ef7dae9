"""The encrypted local store: SQLCipher database, its schema and migrations, and the key file."""
