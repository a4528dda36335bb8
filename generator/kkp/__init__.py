"""What KKP knows: models, the catalog, defaults, one-state rules and base-to-head transitions."""
