"""Moving and signing bytes: the transport, SigV4, credentials, endpoints, retries,
deadlines, and failures in plain words."""
