"""Email over SMTP (STARTTLS, SSL or plain), multipart text and HTML, one Message-ID per alert."""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from monitor.delivery.channel import Channel, DeliveryError
from monitor.settings import EmailChannelSettings
from monitor.store.outbox import Alert

MAX_SUBJECT = 150


def message_id(alerts: Sequence[Alert], sender: str) -> str:
    """Stable across retries: the event id, or a hash of a digest's event ids."""
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "talks-monitor"
    if len(alerts) == 1:
        return f"<{alerts[0].id}@{domain}>"
    digest = hashlib.sha256(",".join(sorted(a.id for a in alerts)).encode()).hexdigest()[:24]
    return f"<digest-{digest}@{domain}>"


def _terms_lines(data: dict[str, Any]) -> list[str]:
    """One line per term: key, proposer, stance, attributes."""
    lines = []
    for t in data.get("terms") or []:
        attrs = ", ".join(f"{k}={v}" for k, v in t.items()
                          if k not in ("key", "proposer", "stance", "evidence") and v is not None)
        lines.append(f"{t.get('key')} — {t.get('proposer') or 'unknown'} {t.get('stance')}"
                     + (f" ({attrs})" if attrs else ""))
    return lines


def _article_lines(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(title, source and time, url) per evidence article."""
    return [(a.get("title") or "(untitled)",
             " · ".join(p for p in (a.get("source"), a.get("published")) if p),
             a.get("url") or "") for a in data.get("articles") or []]


def render_text(alerts: Sequence[Alert]) -> str:
    """The plain-text part."""
    out = []
    for a in alerts:
        data = a.payload
        out.append(data.get("summary") or a.type)
        out.append(f"({a.type}, {a.created_at:%Y-%m-%d %H:%M} UTC, id {a.id})")
        terms = _terms_lines(data)
        if terms:
            out += ["", "Terms:", *(f"  - {t}" for t in terms)]
        arts = _article_lines(data)
        if arts:
            out += ["", "Sources:", *(f"  - {t} ({s})\n    {u}" for t, s, u in arts)]
        if data.get("outlets"):
            out += ["", "Reported by: " + ", ".join(data["outlets"])]
        out.append("\n" + "-" * 60 + "\n")
    return "\n".join(out)


def render_html(alerts: Sequence[Alert]) -> str:
    """The HTML part: the same content, escaped."""
    e = html.escape
    parts = ["<html><body>"]
    for a in alerts:
        data = a.payload
        parts.append(f"<h2>{e(data.get('summary') or a.type)}</h2>")
        parts.append(f"<p><small>{e(a.type)} · {a.created_at:%Y-%m-%d %H:%M} UTC</small></p>")
        terms = _terms_lines(data)
        if terms:
            parts.append("<h3>Terms</h3><ul>" + "".join(f"<li>{e(t)}</li>" for t in terms)
                         + "</ul>")
        arts = _article_lines(data)
        if arts:
            parts.append("<h3>Sources</h3><ul>" + "".join(
                f'<li><a href="{e(u)}">{e(t)}</a> <small>{e(s)}</small></li>' for t, s, u in arts)
                + "</ul>")
        if data.get("outlets"):
            parts.append(f"<p>Reported by: {e(', '.join(data['outlets']))}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def build_message(alerts: Sequence[Alert], sender: str, recipients: Sequence[str]) -> EmailMessage:
    """One message for one alert or a digest of several."""
    msg = EmailMessage()
    if len(alerts) == 1:
        subject = alerts[0].payload.get("summary") or alerts[0].type
    else:
        subject = f"{len(alerts)} alerts: " + "; ".join(
            a.payload.get("summary") or a.type for a in alerts[:3])
    msg["Subject"] = subject if len(subject) <= MAX_SUBJECT else subject[:MAX_SUBJECT - 1] + "…"
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(max(a.created_at for a in alerts))
    msg["Message-ID"] = message_id(alerts, sender)
    msg["X-Monitor-Events"] = ",".join(a.id for a in alerts)
    msg.set_content(render_text(alerts))
    msg.add_alternative(render_html(alerts), subtype="html")
    return msg


class EmailChannel(Channel):
    """Sends alerts by SMTP; with `digest`, all due alerts of the channel in one message."""

    def __init__(self, cfg: EmailChannelSettings, *, username: str | None = None,
                 password: str | None = None) -> None:
        self.cfg, self.name, self.digest = cfg, cfg.name, cfg.digest
        self.username, self.password = username, password

    def _tls(self) -> ssl.SSLContext:
        """System CAs, plus the configured bundle (for a private or self-signed server)."""
        ctx = ssl.create_default_context()
        if self.cfg.ca_file:
            ctx.load_verify_locations(cafile=str(self.cfg.ca_file))
        return ctx

    def _connect(self) -> smtplib.SMTP:
        """A connected, secured and authenticated SMTP session."""
        cfg = self.cfg
        smtp: smtplib.SMTP
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(cfg.smtp_host, cfg.port, timeout=cfg.timeout,
                                    context=self._tls())
        else:
            smtp = smtplib.SMTP(cfg.smtp_host, cfg.port, timeout=cfg.timeout)
        try:
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, alerts: Sequence[Alert]) -> None:
        """One message per alert, or one digest when the channel has `digest` set."""
        groups = [list(alerts)] if self.digest else [[a] for a in alerts]
        try:
            smtp = self._connect()
            try:
                for group in groups:
                    smtp.send_message(build_message(group, self.cfg.sender, self.cfg.recipients))
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email {self.name}: {type(exc).__name__}: {exc}") from None
