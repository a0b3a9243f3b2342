"""Identity (sign-in, tokens, sessions), the permission policy, and the audit log."""
