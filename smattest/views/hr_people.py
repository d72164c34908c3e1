"""HR's person page: full history and status, exemptions, attestation on someone's behalf."""
