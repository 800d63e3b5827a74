"""The SDK's version: announced on the registry; a test keeps it equal to pyproject.toml."""
SDK_VERSION = "0.1.0"
