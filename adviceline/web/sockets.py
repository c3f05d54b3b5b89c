"""Open websockets (see adviceline.jsonapi), re-exported for the staff pages."""

from __future__ import annotations

from adviceline.jsonapi import OpenSockets

__all__ = ["OpenSockets"]
