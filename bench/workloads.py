"""The requests `make bench` measures, with the default fixtures' credentials.

A request is ``{"method", "path", "headers", "body"}``, its path under the emulator's
root (vendor prefix included), its body JSON.
"""

from __future__ import annotations

from typing import Any

# The seed "update secret" operation of each vendor, with the default fixtures.
SEED_UPDATES: dict[str, dict[str, Any]] = {
    "prismeai": {
        "method": "PUT",
        "path": "/prismeai/v2/workspaces/ws1/security/secrets",
        "headers": {"x-prismeai-api-key": "prisme-test-ws1"},
        "body": {"openaiApiKey": {"value": "sk-rotated"}, "allowedModels": {"value": ["gpt4"]}},
    },
    "langwatch": {
        "method": "PUT",
        "path": "/langwatch/api/secrets/demo_openai_key_00001",
        "headers": {"X-Auth-Token": "sk-lw-test-demo"},
        "body": {"value": "sk-rotated"},
    },
    "instabase": {
        "method": "PATCH",
        "path": "/instabase/api/v2/aihub/secrets",
        "headers": {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
        "body": {"alias": "my_secret", "value": "new password", "allowed_workspaces_type": "ALL"},
    },
    "insforge": {
        "method": "PUT",
        "path": "/insforge/api/secrets/STRIPE_API_KEY",
        "headers": {"Authorization": "Bearer ik_test_demo_admin"},
        "body": {"value": "sk_test_rotated"},
    },
    "fireworks": {
        "method": "PATCH",
        "path": "/fireworks/v1/accounts/acme/secrets/s1",
        "headers": {"Authorization": "Bearer fw-test-acme"},
        "body": {"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "rotated"},
    },
}
