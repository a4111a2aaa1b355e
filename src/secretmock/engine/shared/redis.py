"""The Redis backend: one Redis 6.2+ (or Valkey 7.2+) database shared by every replica.

Every operation is one round trip. A read of several keys is a ``MULTI``/``EXEC``
pipeline (one consistent view); every write of more than one key is one Lua script,
which Redis runs whole and alone, so it is atomic and serialised with every other
client's: the compare-and-commit checks the tenant's version, writes its document,
takes a new version and appends the journal entry in one script. Only commands present
in Redis 6.2 and Valkey 7.2 are used (``EVALSHA``/``EVAL``, hashes, sorted sets,
``INCR``); nothing of Redis 7's functions or of modules.

Keys (``{scope}`` in braces: a sandbox's keys hash to one slot, and no scope's keys can
be read as another's):

====================================  ============================================
``secretmock:format``                 the layout's version (checked at :meth:`open`)
``secretmock:{S}:seq``                the scope's version counter (``INCR``)
``secretmock:{S}:vendors``            set: vendors that hold tenants (for a replace)
``secretmock:{S}:v:VENDOR``           hash: tenant id -> version
``secretmock:{S}:d:VENDOR``           hash: tenant id -> document
``secretmock:{S}:config``             hash: ``version``, ``document``
``secretmock:{S}:hits``               hash: fault rule id -> hits (``HINCRBY``)
``secretmock:{S}:jseq``               the journal's last number
``secretmock:{S}:je``                 hash: number -> entry
``secretmock:{S}:jl``, ``:jv``        sorted sets of the numbers listed / violating
``secretmock:{S}:jbytes``             the kept entries' bytes
``secretmock:{S}:cov``                hash: vendor, operation, status -> count
====================================  ============================================

Durability is Redis's: what it acknowledged survives a worker's death (the script ran
whole, or not at all); whether it survives Redis's own restart depends on its
persistence settings (``appendonly yes`` keeps it). A write whose answer was lost
(Redis gone mid-call) raises :class:`StoreUnavailable` and is not retried, since it may
have been applied: the client gets a 503 and decides. Not for Redis Cluster (the
replace script reaches keys it finds as it runs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from secretmock.engine.shared.backend import (
    DEFAULT_JOURNAL_CAPACITY,
    DEFAULT_JOURNAL_MAX_BYTES,
    FORMAT_VERSION,
    CoverageCounts,
    JournalRecord,
    StoreFormatError,
    StoreUnavailable,
    Versions,
)

PREFIX = "secretmock:"
FORMAT_KEY = PREFIX + "format"
CONNECT_TIMEOUT_S = 2.0
COMMAND_TIMEOUT_S = 5.0
"""A call Redis has not answered in this long is given up (the client gets a 503)."""

Result = TypeVar("Result")

# Appends one entry to the journal (KEYS[1]: the scope's base) and enforces its bounds:
# past ``capacity`` entries the oldest leave the list, past ``capacity`` violating ones
# the oldest leave that list, an entry in neither is dropped, and past ``max_bytes`` the
# oldest go whatever they are (the newest stays).
APPEND_LUA = """
local function append(base, data, vendor, op, status, violating, capacity, max_bytes)
  local je, jl, jv, jb = base .. 'je', base .. 'jl', base .. 'jv', base .. 'jbytes'
  local seq = redis.call('INCR', base .. 'jseq')
  redis.call('HSET', je, seq, data)
  redis.call('ZADD', jl, seq, seq)
  if violating == '1' then redis.call('ZADD', jv, seq, seq) end
  local total = redis.call('INCRBY', jb, #data)
  if status ~= '0' then
    redis.call('HINCRBY', base .. 'cov', vendor .. '\\0' .. op .. '\\0' .. status, 1)
  end
  local function drop(s)
    total = total - redis.call('HSTRLEN', je, s)
    redis.call('HDEL', je, s)
  end
  for _, list in ipairs({jl, jv}) do
    local other = (list == jl) and jv or jl
    local old = redis.call('ZRANGE', list, 0, -(capacity + 1))
    if #old > 0 then
      redis.call('ZREMRANGEBYRANK', list, 0, -(capacity + 1))
      for _, s in ipairs(old) do
        if not redis.call('ZSCORE', other, s) then drop(s) end
      end
    end
  end
  while total > max_bytes do
    local a = redis.call('ZRANGE', jl, 0, 0)[1]
    local b = redis.call('ZRANGE', jv, 0, 0)[1]
    local oldest = a
    if b and (not a or tonumber(b) < tonumber(a)) then oldest = b end
    if not oldest or tonumber(oldest) == seq then break end
    redis.call('ZREM', jl, oldest)
    redis.call('ZREM', jv, oldest)
    drop(oldest)
  end
  redis.call('SET', jb, total)
  return seq
end
"""

# ARGV: vendor, tenant, expected version, document ('' with ARGV[4] = 'del' to remove),
# then a journal entry (has, data, vendor, op, status, violating) and the bounds.
COMMIT_LUA = (
    APPEND_LUA
    + """
local base, vendor, tenant = KEYS[1], ARGV[1], ARGV[2]
local versions, documents = base .. 'v:' .. vendor, base .. 'd:' .. vendor
local current = tonumber(redis.call('HGET', versions, tenant) or '0')
if current ~= tonumber(ARGV[3]) then return -1 end
local version = 0
if ARGV[5] == 'del' then
  redis.call('HDEL', versions, tenant)
  redis.call('HDEL', documents, tenant)
else
  version = redis.call('INCR', base .. 'seq')
  redis.call('HSET', versions, tenant, version)
  redis.call('HSET', documents, tenant, ARGV[4])
  redis.call('SADD', base .. 'vendors', vendor)
end
if ARGV[6] == '1' then
  append(base, ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11],
         tonumber(ARGV[12]), tonumber(ARGV[13]))
end
return version
"""
)

APPEND_ONLY_LUA = (
    APPEND_LUA
    + """
return append(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5],
              tonumber(ARGV[6]), tonumber(ARGV[7]))
"""
)

# ARGV: the document, then the expected version or '' for none.
SET_CONFIG_LUA = """
local base = KEYS[1]
if ARGV[2] ~= '' then
  local current = tonumber(redis.call('HGET', base .. 'config', 'version') or '0')
  if current ~= tonumber(ARGV[2]) then return -1 end
end
local version = redis.call('INCR', base .. 'seq')
redis.call('HSET', base .. 'config', 'version', version, 'document', ARGV[1])
return version
"""

# ARGV: the config, only-if-empty ('1'/'0'), then vendor, tenant, document triples.
REPLACE_LUA = """
local base = KEYS[1]
if ARGV[2] == '1' and redis.call('EXISTS', base .. 'config') == 1 then return 0 end
for _, vendor in ipairs(redis.call('SMEMBERS', base .. 'vendors')) do
  redis.call('DEL', base .. 'v:' .. vendor, base .. 'd:' .. vendor)
end
redis.call('DEL', base .. 'vendors', base .. 'hits')
for i = 3, #ARGV, 3 do
  local vendor = ARGV[i]
  local version = redis.call('INCR', base .. 'seq')
  redis.call('HSET', base .. 'v:' .. vendor, ARGV[i + 1], version)
  redis.call('HSET', base .. 'd:' .. vendor, ARGV[i + 1], ARGV[i + 2])
  redis.call('SADD', base .. 'vendors', vendor)
end
local version = redis.call('INCR', base .. 'seq')
redis.call('HSET', base .. 'config', 'version', version, 'document', ARGV[1])
return 1
"""

# ARGV: after this number; 'jl' or 'jv'. Returns number, entry, number, entry, ...
JOURNAL_LUA = """
local base = KEYS[1]
local seqs = redis.call('ZRANGEBYSCORE', base .. ARGV[2], '(' .. ARGV[1], '+inf')
if #seqs == 0 then return {} end
local out = {}
for start = 1, #seqs, 1000 do  -- unpack() takes a bounded number of values
  local chunk = {unpack(seqs, start, math.min(start + 999, #seqs))}
  local entries = redis.call('HMGET', base .. 'je', unpack(chunk))
  for i, s in ipairs(chunk) do
    if entries[i] then
      out[#out + 1] = s
      out[#out + 1] = entries[i]
    end
  end
end
return out
"""


def base_key(scope: str) -> str:
    """The prefix of every key of ``scope``."""
    return f"{PREFIX}{{{scope}}}:"


class RedisBackend:
    """A :class:`~secretmock.engine.shared.backend.Backend` over one Redis database.
    Thread-safe (redis-py's connection pool), and safe across ``fork``: the pool opens
    new connections in a child process."""

    def __init__(
        self,
        host: str,
        port: int,
        db: int = 0,
        url: str | None = None,
        journal_capacity: int = DEFAULT_JOURNAL_CAPACITY,
        journal_max_bytes: int = DEFAULT_JOURNAL_MAX_BYTES,
        timeout: float = COMMAND_TIMEOUT_S,
    ) -> None:
        self.url = url or f"redis://{host}:{port}/{db}"
        self.journal_capacity = journal_capacity
        self.journal_max_bytes = journal_max_bytes
        # No retries: a write whose answer was lost may have been applied (see the module).
        self._options: dict[str, Any] = {
            "host": host,
            "port": port,
            "db": db,
            "socket_timeout": timeout,
            "socket_connect_timeout": min(CONNECT_TIMEOUT_S, timeout),
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 30,
        }
        self._local = threading.local()
        self._clients: list[redis.Redis] = []
        self._lock = threading.Lock()
        # Scripts are sent by their SHA1 (EVALSHA), loaded by the client that finds
        # Redis without them; the client they are registered with never connects.
        scripts = redis.Redis(**self._options)
        self._commit = scripts.register_script(COMMIT_LUA)
        self._append = scripts.register_script(APPEND_ONLY_LUA)
        self._set_config = scripts.register_script(SET_CONFIG_LUA)
        self._replace = scripts.register_script(REPLACE_LUA)
        self._journal = scripts.register_script(JOURNAL_LUA)

    @property
    def _client(self) -> redis.Redis:
        """This thread's client, on a connection of its own: a pool's bookkeeping (a
        lock and a poll of the socket per command) costs a quarter of a round trip."""
        client: redis.Redis | None = getattr(self._local, "client", None)
        if client is None:
            client = redis.Redis(**self._options, single_connection_client=True)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        _drop_if_stale(client)
        return client

    # -- connections ------------------------------------------------------------------

    @contextmanager
    def _calling(self) -> Iterator[None]:
        """Any failure to reach Redis, or an answer it gives instead of serving (loading,
        read-only, out of memory), as :class:`StoreUnavailable` naming the store."""
        try:
            yield
        except redis.ResponseError as exc:
            if "script" in str(exc).lower() and "error" in str(exc).lower():
                raise  # a bug here, not the store's state: never hidden as a 503
            raise StoreUnavailable(f"{self.url}: {exc}") from exc
        except redis.RedisError as exc:
            raise StoreUnavailable(f"{self.url}: {exc or type(exc).__name__}") from exc

    def _call(self, run: Callable[[], Result]) -> Result:
        with self._calling():
            return run()

    def open(self) -> None:
        """Checks the format key (set on an empty store), touching nothing else."""
        with self._calling():
            self._client.set(FORMAT_KEY, str(FORMAT_VERSION), nx=True)
            found = self._client.get(FORMAT_KEY)
        if found is None or _text(found) != str(FORMAT_VERSION):
            raise StoreFormatError(self.url, _text(found) if found else None)

    def close(self) -> None:
        """Closes every thread's connection (in a forked worker: its copies only; the
        client shuts a socket down only in the process that opened it)."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        self._local = threading.local()

    def ping(self) -> None:
        self._call(lambda: self._client.ping())

    def _run(self, script: Any, scope: str, args: list[Any]) -> Any:
        """One of the scripts, on the scope's keys, by this thread's client."""
        return self._call(lambda: script(keys=[base_key(scope)], args=args, client=self._client))

    def _multi(self, fill: Callable[[Any], object]) -> list[Any]:
        """One ``MULTI``/``EXEC`` round trip of the reads ``fill`` queues on a pipeline."""

        def run() -> list[Any]:
            pipe = self._client.pipeline(transaction=True)
            fill(pipe)
            return list(pipe.execute())

        return self._call(run)

    # -- tenants ----------------------------------------------------------------------

    def snapshot(self, scope: str, vendor: str) -> Versions:
        base = base_key(scope)
        versions, config = self._multi(
            lambda pipe: (pipe.hgetall(base + "v:" + vendor), pipe.hget(base + "config", "version"))
        )
        tenants = {_text(tenant): int(version) for tenant, version in versions.items()}
        return Versions(int(config or 0), tenants)

    def load(
        self, scope: str, vendor: str, tenant_ids: Iterable[str]
    ) -> dict[str, tuple[int, bytes | None]]:
        wanted = list(tenant_ids)
        if not wanted:
            return {}
        base = base_key(scope)
        versions, documents = self._multi(
            lambda pipe: (
                pipe.hmget(base + "v:" + vendor, wanted),
                pipe.hmget(base + "d:" + vendor, wanted),
            )
        )
        found: dict[str, tuple[int, bytes | None]] = {}
        for tenant, version, document in zip(wanted, versions, documents, strict=True):
            found[tenant] = (0, None) if version is None else (int(version), document)
        return found

    def commit(
        self,
        scope: str,
        vendor: str,
        tenant_id: str,
        expected_version: int,
        document: bytes | None,
        journal_entry: JournalRecord | None,
    ) -> int | None:
        args: list[Any] = [
            vendor,
            tenant_id,
            expected_version,
            document if document is not None else b"",
            "del" if document is None else "put",
            "1" if journal_entry is not None else "0",
            *(self._entry_args(journal_entry) if journal_entry else ["", "", "", "0", "0"]),
            self.journal_capacity,
            self.journal_max_bytes,
        ]
        version = int(self._run(self._commit, scope, args))
        return None if version < 0 else version

    @staticmethod
    def _entry_args(entry: JournalRecord) -> list[Any]:
        return [
            entry.data,
            entry.vendor,
            entry.operation or "",
            entry.status,
            "1" if entry.violating else "0",
        ]

    # -- the config and the fault counters ----------------------------------------------

    def config(self, scope: str) -> tuple[int, bytes | None]:
        key = base_key(scope) + "config"
        version, document = self._call(lambda: self._client.hmget(key, ["version", "document"]))
        return (0, None) if version is None else (int(version), _bytes(document))

    def set_config(
        self, scope: str, document: bytes, expected_version: int | None = None
    ) -> int | None:
        expected = "" if expected_version is None else expected_version
        version = int(self._run(self._set_config, scope, [document, expected]))
        return None if version < 0 else version

    def hit(self, scope: str, rule_id: str) -> int:
        return int(self._call(lambda: self._client.hincrby(base_key(scope) + "hits", rule_id, 1)))

    def unhit(self, scope: str, rule_id: str) -> int:
        return int(self._call(lambda: self._client.hincrby(base_key(scope) + "hits", rule_id, -1)))

    def hits(self, scope: str) -> dict[str, int]:
        found = self._call(lambda: self._client.hgetall(base_key(scope) + "hits"))
        return {_text(rule): int(count) for rule, count in found.items()}

    # -- the journal --------------------------------------------------------------------

    def append(self, scope: str, entry: JournalRecord) -> int:
        args = [*self._entry_args(entry), self.journal_capacity, self.journal_max_bytes]
        return int(self._run(self._append, scope, args))

    def journal(
        self, scope: str, after_seq: int = 0, violating: bool = False
    ) -> list[tuple[int, bytes]]:
        which = "jv" if violating else "jl"
        flat = self._run(self._journal, scope, [after_seq, which])
        return [(int(flat[i]), bytes(flat[i + 1])) for i in range(0, len(flat), 2)]

    def last_seq(self, scope: str) -> int:
        return int(self._call(lambda: self._client.get(base_key(scope) + "jseq")) or 0)

    def coverage(self, scope: str) -> CoverageCounts:
        found = self._call(lambda: self._client.hgetall(base_key(scope) + "cov"))
        counts: CoverageCounts = {}
        for field, count in found.items():
            vendor, operation, status = _text(field).split("\0")
            counts[(vendor, operation or None, int(status))] = int(count)
        return counts

    def clear_journal(self, scope: str) -> None:
        base = base_key(scope)
        self._call(
            lambda: self._client.delete(
                base + "je", base + "jl", base + "jv", base + "jbytes", base + "cov"
            )
        )

    # -- the whole scope ----------------------------------------------------------------

    def replace(
        self,
        scope: str,
        tenants: Mapping[str, Mapping[str, bytes]],
        config: bytes,
        only_if_empty: bool = False,
    ) -> bool:
        args: list[Any] = [config, "1" if only_if_empty else "0"]
        for vendor, documents in tenants.items():
            for tenant_id, document in documents.items():
                args += [vendor, tenant_id, document]
        done = self._run(self._replace, scope, args)
        return bool(int(done))


def _drop_if_stale(client: redis.Redis) -> None:
    """Disconnects a connection the server closed meanwhile (Redis restarted: the next
    command then connects anew instead of failing on the dead socket); one poll of the
    socket, nothing sent."""
    connection: Any = client.connection
    if connection is None or getattr(connection, "_sock", None) is None:
        return
    try:
        stale = connection.can_read(timeout=0)  # bytes nobody asked for: start clean
    except redis.ConnectionError:
        stale = True  # closed by the server
    if stale:
        connection.disconnect()


def _text(value: bytes | str) -> str:
    """A key or value as text (the client answers bytes: it decodes nothing itself)."""
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value
