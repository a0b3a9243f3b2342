"""Plugin mechanics: hook specifications, discovery through entry points, and the plugin-API version check."""

#: The plugin API this Callboard provides, as semver: MAJOR changes break plugins, MINOR adds hooks or SDK
#: names, PATCH fixes. A plugin declares the MAJOR.MINOR it was built for (``CALLBOARD_PLUGIN_API = "1.1"``)
#: and loads when the major is ours and its minor is at most ours. tests/plugins/test_sdk_contract.py keeps
#: a snapshot of the SDK's signatures and fails when they change without this version changing.
PLUGIN_API_VERSION = "1.10.0"


def api_version_parts(version: str = PLUGIN_API_VERSION) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch
