"""hiredis packs Redis commands in C.

redis-py's sync client packs with hiredis; its asyncio connections pack in Python, key by key (~1 us a key).
The joined revocation MGET of one loop turn carries up to 256 keys under the api bench's 64 connections, so
packing it in Python cost the worker ~0.25 ms per batch. `backend.lib.cache.connect` puts this on every
pooled connection of the app's Redis client.
"""

from __future__ import annotations

from typing import Any

import hiredis
from redis.exceptions import DataError


class _HiredisPacking:
    """Packs commands with hiredis, in C, as redis-py's sync client does; its asyncio connections pack in
    Python, key by key (~1 us a key: the joined revocation MGET of 64 requests carries up to 256 keys).
    hiredis writes str, bytes, int and float exactly as redis-py's encoder does (utf-8; `repr` for numbers)."""

    def pack_command(self, *args: Any) -> list[bytes]:
        if isinstance(args[0], str):  # "CONFIG GET" and the like: the words go as separate arguments
            args = (*args[0].encode().split(), *args[1:])
        elif b" " in args[0]:
            args = (*args[0].split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError as exc:  # bool, None, ...: what redis-py's encoder refuses too
            raise DataError(str(exc)) from exc


_PACKING: dict[type, type] = {}


def hiredis_packing(connection_class: type) -> Any:
    """`connection_class` packing its commands with hiredis (one subclass per class, made once)."""
    found = _PACKING.get(connection_class)
    if found is None:
        name = f"Hiredis{connection_class.__name__}"
        found = _PACKING[connection_class] = type(name, (_HiredisPacking, connection_class), {})
    return found
