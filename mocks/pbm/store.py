"""The mutable part of the PBM mock: registered patients and external opt-ins.

Keyed by ``(programCode, cpf)`` (and the EAN for opt-ins). ``reset()`` puts back the patients
seeded from ``config.seed`` and forgets every opt-in. A lock guards writes because the same mock
may serve a threaded server and in-process clients at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from specmock.mocks.pbm.data import PROGRAM_CODE, seeded_patients

__all__ = ["OptIn", "Patient", "PbmStore"]


@dataclass
class Patient:
    program: int
    origin: int
    cpf: str
    ean: str | None
    fields: dict[str, str | None]
    answers: list[dict[str, Any]] = field(default_factory=list)
    registered_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class OptIn:
    program: int
    origin: int
    cpf: str
    ean: str | None
    accepted_at: str | None
    channel: str | None
    recorded_at: float


class PbmStore:
    """Patients and opt-ins of every program."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._seeded = seeded_patients(seed)  # generated once: reset() runs before every test
        self.lock = threading.Lock()
        self.patients: dict[tuple[int, str], Patient] = {}
        self.optins: list[OptIn] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.patients = {}
            for p in self._seeded:
                patient = Patient(PROGRAM_CODE, p["origin"], p["cpf"], p["ean"], dict(p["fields"]),
                                  list(p["answers"]))
                self.patients[(PROGRAM_CODE, p["cpf"])] = patient
            self.optins = []

    def patient(self, program: int, cpf: str) -> Patient | None:
        return self.patients.get((program, cpf))

    def has_optin(self, program: int, cpf: str, ean: str | None) -> bool:
        """An opt-in exists for the cpf in the program (and for ``ean``, when given)."""
        return any(o.program == program and o.cpf == cpf and (ean is None or o.ean == ean)
                   for o in self.optins)
