"""Access control: roles and hashed API keys."""

from safefeed.access.keys import ApiKeyStore, IssuedKey, Principal, hash_key, same_owner
from safefeed.access.roles import ROLES, Role

__all__ = ["ROLES", "ApiKeyStore", "IssuedKey", "Principal", "Role", "hash_key", "same_owner"]
