"""The e-mail channel: parents mail the municipality's advice address and get answers in the
same thread. Inbound by SMTP (our listener) or IMAP (an existing mailbox), outbound through the
core's outbox by SMTP. Configured in [email] (README: "The e-mail channel")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from adviceline.channels import ParentPort
from adviceline.config import Config


def setup(app: web.Application, port: Callable[[], ParentPort], config: Config) -> None:
    """Run the channel with the app when [email] is configured (after the core is made)."""
    settings = config.email
    if settings is None:
        return
    from bots.email.keys import SERVICE
    from bots.email.service import EmailService

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        service = EmailService(port(), config, settings)
        app[SERVICE] = service
        await service.start()
        yield
        await service.stop()

    app.cleanup_ctx.append(lifetime)
