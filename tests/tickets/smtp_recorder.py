"""An SMTP handler for aiosmtpd that records what a real server would have accepted."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: the envelope as the client gave it and the bytes exactly as they arrived."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str] = field(default_factory=list)


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts."""

    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(
            ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), envelope.original_content or b"",
                         list(envelope.mail_options))
        )
        return "250 Message accepted for delivery"
