"""Rasa's Redis lock store, with its read-modify-write made atomic and its tickets kept alive.

Why not Rasa 3.6's ``RedisLockStore`` as it is: it issues a ticket by reading the lock, adding a
ticket and writing the lock back, in three separate Redis calls. Two replicas that receive
messages for one conversation at the same moment both read "no tickets", both write ticket 1,
and both go ahead: the two turns run at once on one tracker (``tests/engine/test_lock_store.py``
shows it happen). Releasing has the same gap: "finish, then delete if nobody waits" can delete
a ticket another replica has just issued, which then fails with ``LockError``. Rasa's own
repository added a "concurrent" Redis lock store option for this (RasaHQ/rasa pull request
11256); it is not in Rasa 3.6's open-source ``rasa/core/lock_store.py``.

What this class changes, and nothing else:
- every change to a lock (issue, finish, clean up, drop expired tickets) is one optimistic Redis
  transaction (WATCH / MULTI / EXEC, retried on conflict), so replicas never overwrite each
  other's tickets;
- a ticket lives ``lease_seconds`` (default 3) and is renewed every third of that while its
  holder is alive, instead of one fixed 60 s lifetime. A turn may take as long as it needs, and
  a replica that dies holding a ticket blocks its conversation for at most ``lease_seconds``,
  not a minute;
- waiting for a ticket polls every ``poll_seconds`` (default 0.05 s), not every second.
The key layout and the stored JSON are Rasa's own (``TicketLock``), so Rasa's tools read it.

Configured in the endpoints file written by ``bot.ops.stack`` from ``LOCK_STORE_URL``::

    lock_store:
      type: bot.engine.lock_store.AtomicRedisLockStore
      url: localhost
      port: 6379
      db: 1
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Callable, Optional, Text, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 3.0
DEFAULT_POLL_SECONDS = 0.05

T = TypeVar("T")
#: A change to one lock: given the stored lock (or None), the lock to store (None deletes it) and a result.
LockChange = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose every lock update is one Redis transaction, with renewed tickets."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs) -> None:
        options = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        options.update(kwargs)
        self.lease_seconds = float(options.pop("lease_seconds", DEFAULT_LEASE_SECONDS))
        self.poll_seconds = float(options.pop("poll_seconds", DEFAULT_POLL_SECONDS))
        host = endpoint_config.url if endpoint_config is not None and endpoint_config.url else options.pop("host", "localhost")
        super().__init__(host=host, **options)

    # --- one atomic change -------------------------------------------------------------
    def _transact(self, conversation_id: Text, change: LockChange) -> T:
        """Apply ``change`` to the stored lock as one transaction; retried if another replica got in first."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None or not new_lock.tickets:
                        pipe.delete(key)
                    else:
                        # The key outlives its last ticket by a little, so a lock whose holders
                        # all died does not stay in Redis for ever.
                        pipe.set(key, new_lock.dumps(), px=int(self.lease_seconds * 2000))
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    # --- Rasa's LockStore methods, made atomic -----------------------------------------
    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = DEFAULT_LEASE_SECONDS) -> int:
        """A new ticket at the end of the queue (created with the lock if there is none)."""

        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(self.lease_seconds)

        try:
            return self._transact(conversation_id, issue)
        except Exception as exc:  # noqa: BLE001 - Rasa's contract: any failure is a LockError
            raise LockError(f"Error while acquiring lock: {type(exc).__name__}") from exc

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove our ticket; the lock goes with it when nobody else is queued (one step, no gap)."""

        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._transact(conversation_id, finish)

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._transact(conversation_id, drop_expired)

    def renew(self, conversation_id: Text, ticket_number: int) -> bool:
        """Push our ticket's expiry ``lease_seconds`` ahead; False if it is gone (expired or removed)."""

        def extend(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool]:
            if lock is None:
                return None, False
            lock.remove_expired_tickets()
            for ticket in lock.tickets:
                if ticket.number == ticket_number:
                    ticket.expires = time.time() + self.lease_seconds
                    return lock, True
            return lock, False

        return self._transact(conversation_id, extend)

    async def _keep_alive(self, conversation_id: Text, ticket_number: int) -> None:
        """Renew the ticket while we wait for or hold the lock; stops when the ticket is gone."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not self.renew(conversation_id, ticket_number):
                    logger.warning("a conversation lock ticket expired before its turn ended")
                    return
            except Exception as exc:  # noqa: BLE001 - Redis trouble: the next renewal tries again
                logger.warning("could not renew a conversation lock: %s", type(exc).__name__)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = DEFAULT_LEASE_SECONDS,
        wait_time_in_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, renewed from issue to release; polls every ``poll_seconds``."""
        ticket = self.issue_ticket(conversation_id)
        keep_alive = asyncio.create_task(self._keep_alive(conversation_id, ticket))
        try:
            yield await self._acquire_lock(conversation_id, ticket, min(wait_time_in_seconds, self.poll_seconds))
        finally:
            keep_alive.cancel()
            try:
                self.cleanup(conversation_id, ticket)
            except Exception as exc:  # noqa: BLE001 - the ticket then expires within lease_seconds
                logger.warning("could not release a conversation lock: %s", type(exc).__name__)
