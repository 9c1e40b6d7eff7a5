"""The safe revoke: predicting, sending, accounting and verifying a revoke, and its report."""
