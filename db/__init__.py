"""The PostgreSQL schema as ordered SQL migrations, and the runner that applies them."""
