"""A shadow emulator kept in step with the real vendor.

The shadow answers every request the real vendor answers, so that the two answers can
be compared; for that its state must follow the real tenant's:

* **Ids**: the request reaches the shadow with the shadow's own ids for the real ones
  (:class:`~secretmock.drift.idmap.IdMap`, learnt from earlier answers).
* **First contact**: a credential the shadow does not know gets a tenant, made then
  with that credential (the tenant the request names, else one of its own), unless the
  real vendor refused it (401) too. A recording's replay gives the tenant the
  credential had when recorded (:class:`Tenancy`), so a digested credential joins its
  tenant of the fixtures.
* **Only what the real vendor accepted**: the shadow runs the request after the real
  answer is known. When the real vendor refused or failed it (4xx, 5xx, no answer) and
  the shadow accepted it, the shadow's answer is compared and its state then put back
  as it was (the tenant the request addresses, copied before the request). Rolling back is
  the choice: had the shadow kept a change the real vendor never made, every later
  exchange on that record would differ, a flood of findings from one difference.
  What the real vendor accepted and the shadow refused cannot be applied: the states
  part there, which a later list shows (``state_divergence``).
* **Resynchronising**: records the real vendor lists and the shadow lacks (made before
  the shadow's first contact, or behind its back) are adopted from the listing
  (:meth:`Shadow.adopt`, through the vendor's own seeding rules), so the divergence is
  reported once and later exchanges on those records compare again. Records only the
  shadow holds are reported and left as they are.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secretmock.drift.answer import Answer
from secretmock.drift.idmap import IdMap
from secretmock.engine.drift_profile import DriftProfile
from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.journal import JournalEntry
from secretmock.engine.pipeline import Outcome, VendorPipeline
from secretmock.engine.routing import Match
from secretmock.engine.store import Credential


@dataclass(frozen=True, slots=True)
class Tenancy:
    """Who a credential is in the shadow: its tenant, role and user (no secret)."""

    tenant: str
    role: str
    user: str


@dataclass(frozen=True, slots=True)
class ShadowAnswer:
    """The shadow's answer, and what it learnt answering."""

    answer: Answer
    outcome: Outcome
    entry: JournalEntry
    """The shadow's journal entry of the request: the tenant it reached, the violations
    it made."""
    request: IncomingRequest
    """The request as the shadow received it (its own ids in it)."""
    match: Match | None
    tenancy: Tenancy | None
    """Who the request's credential is in the shadow, if it is known there."""


def answer_of(outcome: Outcome) -> Answer:
    """A pipeline's outcome as the answer a client receives (the JSON media type the
    transports add, then the reply's own headers)."""
    if outcome.disconnect:
        return Answer.unanswered("dropped")
    headers = {"content-type": "application/json"}
    headers.update({name.lower(): value for name, value in outcome.reply.headers.items()})
    return Answer(outcome.reply.status, headers, outcome.reply.body, outcome.data)


class Shadow:
    """One emulator, kept in step with the real vendor (see the module)."""

    def __init__(self, emulator: Emulator, profiles: Mapping[str, DriftProfile]) -> None:
        self.emulator = emulator
        self.profiles = profiles
        self.ids = {name: IdMap() for name in emulator.pipelines}
        self._tenant_numbers = itertools.count(1)

    def answer(
        self,
        vendor: str,
        request: IncomingRequest,
        real: Answer,
        tenancy: Tenancy | None = None,
    ) -> ShadowAnswer:
        """The shadow's answer to ``request``, whose real answer was ``real``."""
        pipeline = self.emulator.pipelines[vendor]
        profile = self.profiles[vendor]
        request = self.ids[vendor].rewrite(request, profile.credential_headers)
        found = pipeline.routes.match(request.method, request.path)
        match = found if isinstance(found, Match) else None  # a wrong method: no operation
        self._first_contact(vendor, pipeline, profile, request, match, real, tenancy)
        saved = None
        if _may_roll_back(real):
            saved = _saved(pipeline, _addressed(pipeline, profile, request, match))
        observed: list[JournalEntry] = []
        outcome = pipeline.handle(request, observed.append)
        if saved is not None and 0 < outcome.reply.status < 400:
            _restore(pipeline, saved)
        known = self._tenancy(pipeline, profile, request)
        return ShadowAnswer(answer_of(outcome), outcome, observed[0], request, match, known)

    def adopt(self, vendor: str, tenant_id: str, entries: list[Mapping[str, Any]]) -> int:
        """Resynchronises: adds to the tenant the records (fixtures entries) the real
        vendor lists and the shadow lacks, as its fixtures would; how many it took (an
        entry the vendor's rules refuse is left out)."""
        pipeline = self.emulator.pipelines[vendor]
        taken = 0
        with pipeline.store.transaction():
            tenant = pipeline.store.get(tenant_id)
            if tenant is None:
                return 0
            for entry in entries:
                try:
                    pipeline.vendor.seed_secret(tenant, entry, pipeline.sources)
                except ValueError:
                    continue
                taken += 1
            pipeline.store.version += 1
        return taken

    def _tenancy(
        self, pipeline: VendorPipeline, profile: DriftProfile, request: IncomingRequest
    ) -> Tenancy | None:
        token = profile.credential(request.headers)
        credential = pipeline.store.credential(token) if token else None
        if credential is None:
            return None
        return Tenancy(credential.tenant_id, credential.role, credential.user)

    def _first_contact(
        self,
        vendor: str,
        pipeline: VendorPipeline,
        profile: DriftProfile,
        request: IncomingRequest,
        match: Match | None,
        real: Answer,
        tenancy: Tenancy | None,
    ) -> None:
        """Makes the request's credential known, if it is not and the real vendor did not
        refuse it as unknown."""
        token = profile.credential(request.headers)
        if not token or real.status == 401:
            return
        with pipeline.store.transaction():
            if pipeline.store.credential(token) is not None:
                return
            if tenancy is None:
                named = profile.tenant(request.headers, match.path_params if match else {})
                tenant_id = named or f"drift-{vendor}-{next(self._tenant_numbers)}"
                role = profile.default_role
                tenancy = Tenancy(tenant_id, role, f"{tenant_id}-{role}")
            _join(self.emulator, vendor, pipeline, token, tenancy)


def _join(
    emulator: Emulator, vendor: str, pipeline: VendorPipeline, token: str, tenancy: Tenancy
) -> None:
    """Adds the credential to its tenant, making the tenant (with the vendor's built-in
    secrets) when the shadow has none of that id."""
    tenant = pipeline.store.get(tenancy.tenant)
    if tenant is None:
        credential = {"token": token, "role": tenancy.role, "user": tenancy.user}
        emulator.put_tenant(vendor, tenancy.tenant, {"credentials": [credential]})
        return
    tenant.credentials[token] = Credential(token, tenancy.tenant, tenancy.role, tenancy.user)
    pipeline.store.version += 1


def _may_roll_back(real: Answer) -> bool:
    """Whether the shadow's change must be undone should it accept the request: the real
    vendor did not (a GET can write too: InsForge stamps ``lastUsedAt``)."""
    return not real.answered or real.status >= 400


def _addressed(
    pipeline: VendorPipeline, profile: DriftProfile, request: IncomingRequest, match: Match | None
) -> str | None:
    """The tenant a request can change: the one it names, else its credential's own."""
    named = profile.tenant(request.headers, match.path_params if match else {})
    if named:
        return named
    token = profile.credential(request.headers)
    credential = pipeline.store.credential(token) if token else None
    return credential.tenant_id if credential else None


def _saved(pipeline: VendorPipeline, tenant_id: str | None) -> Any:
    """A copy of the tenant (``None``: none to keep, the request can change nothing)."""
    if tenant_id is None:
        return None
    with pipeline.store.transaction():
        return copy.deepcopy(pipeline.store.get(tenant_id))


def _restore(pipeline: VendorPipeline, tenant: Any) -> None:
    with pipeline.store.transaction():
        pipeline.store.put(tenant)
