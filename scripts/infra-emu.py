#!/usr/bin/env python3
"""infra-emu.py -- the project's AWS emulator (scripts/emulator/emu.py) plus
three moto fixes that scripts/infra-e2e.sh needs to check the stack as AWS
would report it. Same CLI, same ready line, same state directory as emu.py:

    python3 scripts/infra-emu.py --port 0 --tls --state-dir DIR [--http-port 0]

Fixes (moto 5.2), both making moto answer as AWS does; neither relaxes a check:
  1. elbv2 CreateLoadBalancer without Scheme: the response handler passes
     Scheme=None through, overriding the model's default, so DescribeLoadBalancers
     returns no scheme. AWS defaults to internet-facing (the AWS provider omits
     Scheme when `internal = false`).
  2. ecs CreateService/UpdateService drop deploymentConfiguration (circuit
     breaker, min/max percent); AWS stores it and returns it from
     DescribeServices.
  3. s3 DeleteObjects naming a version of a key whose current version is a
     delete marker fails with a 500 (`FakeDeleteMarker` has no `dispose`), so
     emptying a versioned bucket (force_destroy of the state bucket, whose
     .tflock objects leave delete markers) retries forever.
"""

from __future__ import annotations

import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "emulator"))

import emu  # noqa: E402  (sets moto's environment before moto is imported)


def _patch_elbv2_default_scheme() -> None:
    from moto.elbv2.models import ELBv2Backend

    orig = ELBv2Backend.create_load_balancer

    def create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("scheme") is None:
            kwargs["scheme"] = "internet-facing"
        return orig(self, *args, **kwargs)

    ELBv2Backend.create_load_balancer = create_load_balancer


def _patch_ecs_deployment_configuration() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse as R

    def keep(method_name: str) -> None:
        orig = getattr(R, method_name)

        def wrapper(self: Any) -> Any:
            result = orig(self)
            dc = self._get_param("deploymentConfiguration")
            if dc:
                svc = self.ecs_backend.describe_services(
                    self._get_param("cluster", "default"),
                    [self._get_param("serviceName") or self._get_param("service")],
                )[0][0]
                svc.deployment_configuration = dc
            return result

        setattr(R, method_name, wrapper)

    keep("create_service")
    keep("update_service")


def _patch_s3_delete_marker_dispose() -> None:
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        # A delete marker holds no data buffer: nothing to release.
        FakeDeleteMarker.dispose = lambda self, garbage=False: None


if __name__ == "__main__":
    _patch_s3_delete_marker_dispose()
    _patch_elbv2_default_scheme()
    _patch_ecs_deployment_configuration()
    sys.exit(emu.main())
