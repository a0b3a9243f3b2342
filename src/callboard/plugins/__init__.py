"""Plugin mechanics: hook specifications, discovery through entry points, and the plugin-API version check."""

#: The plugin API this Callboard provides. Plugins built for the same major and a minor up to ours work.
PLUGIN_API_VERSION = (1, 0)
