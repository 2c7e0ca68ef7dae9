"""The office server (optional `server` extra): FastAPI sync endpoint, accounts, directory."""
