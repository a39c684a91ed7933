# Copy to instance/config.py (git-ignored) and adjust. Environment variables
# SELECTION_<NAME> override these, and DATABASE_URL overrides the database.
# Never put keys here in production: use the environment or instance/keys.json (0600).

# A real installation: keys and SECRET_KEY must be supplied, never generated.
# PRODUCTION = True

# SQLALCHEMY_DATABASE_URI = "postgresql://selection@localhost/selection"

# Shared rate-limit state for several worker processes (default: memory://).
# RATELIMIT_STORAGE_URI = "redis://localhost:6379/0"
