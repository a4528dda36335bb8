"""Charts to manifests: release plan, the Jinja engine, the template memo, canonical dump."""
