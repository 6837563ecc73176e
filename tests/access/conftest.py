from tests.support.runtime import api_keys, client, clock, runtime

__all__ = ["api_keys", "client", "clock", "runtime"]
