"""secretmock: an offline emulator of five vendors' secrets-management APIs."""

__version__ = "0.1.0"
