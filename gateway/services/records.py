"""The services' answer types: the store's read-only records, as the doors receive them.

The doors (wire, portal, CLI, server, integration platform) never import ``gateway.store``: they
name the records a use case returns from here (see docs/decisions.md, "Layers").
"""

from gateway.store import (
    AppointmentRecord,
    EventRecord,
    FileRecord,
    JournalEntry,
    Leadership,
    MailAttachment,
    MailRecord,
    NetworkEventRecord,
    Page,
    PrestationRecord,
    TicketRecord,
)

__all__ = [
    "AppointmentRecord",
    "EventRecord",
    "FileRecord",
    "JournalEntry",
    "Leadership",
    "MailAttachment",
    "MailRecord",
    "NetworkEventRecord",
    "Page",
    "PrestationRecord",
    "TicketRecord",
]
