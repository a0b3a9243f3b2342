"""The backend proxy: third-party APIs reached through the portal with its credentials, safely."""
