"""The FHIR CapabilityStatement: each module registers the resources and operations it serves."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement


@dataclass
class ResourceCapability:
    type: str
    interactions: list[str] = field(default_factory=list)
    search_params: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    operations: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)


_registry: dict[str, ResourceCapability] = {}
_system_operations: list[str] = []


def register_resource(capability: ResourceCapability) -> None:
    _registry[capability.type] = capability


def register_system_operation(name: str) -> None:
    if name not in _system_operations:
        _system_operations.append(name)


def capability_statement() -> CapabilityStatement:
    resources = []
    for cap in sorted(_registry.values(), key=lambda c: c.type):
        entry: dict = {"type": cap.type, "interaction": [{"code": code} for code in cap.interactions]}
        if cap.search_params:
            entry["searchParam"] = [{"name": name, "type": kind} for name, kind in cap.search_params]
        if cap.operations:
            entry["operation"] = [
                {"name": op, "definition": f"{settings.SITE_URL}/fhir/OperationDefinition/{op}"}
                for op in cap.operations
            ]
        if cap.profiles:
            entry["supportedProfile"] = cap.profiles
        resources.append(entry)
    rest: dict = {"mode": "server", "security": {"cors": False, "description": "Bearer API token (scope fhir)"}}
    if resources:
        rest["resource"] = resources
    if _system_operations:
        rest["operation"] = [
            {"name": op, "definition": f"{settings.SITE_URL}/fhir/OperationDefinition/{op}"}
            for op in _system_operations
        ]
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "kind": "instance",
            "date": timezone.now().date().isoformat(),
            "publisher": f"ÖGD platform {settings.STATE_NAME}",
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "implementation": {"description": "ÖGD platform FHIR R4 facade", "url": f"{settings.SITE_URL}/fhir"},
            "software": {"name": "oegd", "version": "0.1.0"},
            "rest": [rest],
        }
    )
