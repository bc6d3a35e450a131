"""fluigbot: first-contact WhatsApp messages for TOTVS Fluig service requests."""

__version__ = "0.1.0"
