"""Polling an existing mailbox ([email.imap]) with aioimaplib: parents' mail that reaches the
municipality's own mail server is taken in without a relay to our SMTP listener.

Each round logs in (implicit TLS unless `tls = false`), selects the folder and fetches the
unseen mails with BODY.PEEK (fetching alone marks nothing). A mail is marked \\Seen, or moved to
`done_folder`, only after the intake has stored it (or recognised it as stored before); when
storing fails the round stops and the mail stays unseen for the next one, so nothing is lost
and nothing is taken twice. A UID watermark (per UIDVALIDITY) keeps later rounds from searching
the whole folder; after a restart or an outage the first round searches everything unseen.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from dataclasses import dataclass
from typing import Any

from aioimaplib import IMAP4, IMAP4_SSL

from adviceline.config import ImapSettings
from adviceline.tasks import finish_round
from bots.email.inbound import Intake

log = logging.getLogger(__name__)
TIMEOUT = 30.0
MAX_PER_ROUND = 200
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCHED_UID = re.compile(rb"UID (\d+)")


class ImapError(Exception):
    """The server refused something (login, folder, fetch); the round is tried again later."""


@dataclass
class Watermark:
    uidvalidity: int
    last_uid: int


class ImapPoller:
    def __init__(self, intake: Intake, settings: ImapSettings) -> None:
        self._intake = intake
        self._settings = settings
        self._watermark: Watermark | None = None
        self._tls: ssl.SSLContext | None = None

    async def run(self) -> None:
        """A round every poll_seconds; a failed round (server down, refused login) is logged
        and tried again at the next one."""
        while True:
            try:
                await finish_round(self.poll())
            except Exception as error:
                log.warning("polling the mailbox failed; will try again",
                            extra={"channel": "email", "error": type(error).__name__})
            await asyncio.sleep(self._settings.poll_seconds)

    async def poll(self) -> int:
        """One round: take in every unseen mail; the number taken in."""
        client = await self._connect()
        try:
            taken = await self._round(client)
        finally:
            try:
                async with asyncio.timeout(TIMEOUT):
                    await client.logout()
            except Exception:   # the server went away meanwhile: nothing to tidy
                pass
        if taken:
            log.info("mail taken in from the mailbox", extra={"channel": "email",
                                                               "count": taken})
        return taken

    async def _connect(self) -> IMAP4:
        settings = self._settings
        client: IMAP4
        if settings.tls:
            client = IMAP4_SSL(settings.host, settings.port, timeout=TIMEOUT,
                               ssl_context=self._tls_context())
        else:
            client = IMAP4(settings.host, settings.port, timeout=TIMEOUT)
        async with asyncio.timeout(TIMEOUT):
            await client.wait_hello_from_server()
        _ok(await client.login(settings.username, settings.password.reveal()), "login")
        return client

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            ca = self._settings.ca_file
            self._tls = ssl.create_default_context(cafile=str(ca) if ca else None)
        return self._tls

    async def _round(self, client: IMAP4) -> int:
        settings = self._settings
        selected = _ok(await client.select(settings.folder), f"select {settings.folder!r}")
        validity = next((int(m.group(1)) for line in selected.lines
                         if isinstance(line, bytes | bytearray)
                         and (m := _UIDVALIDITY.search(bytes(line)))), 0)
        mark = self._watermark
        if mark is None or mark.uidvalidity != validity:
            mark = Watermark(validity, 0)
            criteria: tuple[str, ...] = ("UNSEEN",)
        else:
            criteria = ("UID", f"{mark.last_uid + 1}:*", "UNSEEN")
        found = _ok(await client.uid_search(*criteria, charset=None), "search")
        uids = sorted({int(word) for line in found.lines[:-1] for word in bytes(line).split()
                       if word.isdigit()})
        # "n:*" always includes the newest mail, also when its UID is below n.
        uids = [uid for uid in uids if uid > mark.last_uid][:MAX_PER_ROUND]
        taken = 0
        for uid in uids:
            raw = await self._fetch(client, uid)
            if raw is not None:
                # Raises when storing failed: the mail stays unseen, the round ends here.
                await self._intake.take(raw)
                taken += 1
            await self._done(client, uid)
            mark.last_uid = uid
            self._watermark = mark
        self._watermark = mark
        return taken

    async def _fetch(self, client: IMAP4, uid: int) -> bytes | None:
        response = _ok(await client.uid("fetch", str(uid), "(UID BODY.PEEK[])"), "fetch")
        for index, line in enumerate(response.lines):
            if isinstance(line, bytearray) and index > 0 and \
                    _FETCHED_UID.search(bytes(response.lines[index - 1])):
                return bytes(line)
        return None   # expunged meanwhile

    async def _done(self, client: IMAP4, uid: int) -> None:
        if self._settings.done_folder:
            _ok(await client.uid("move", str(uid), self._settings.done_folder), "move")
        else:
            _ok(await client.uid("store", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "store")


def _ok(response: Any, what: str) -> Any:
    result = getattr(response, "result", None)
    if result != "OK":
        raise ImapError(f"the IMAP server refused {what}: {result}")
    return response
