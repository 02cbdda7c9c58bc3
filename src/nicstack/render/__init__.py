"""Pure renderers: desired data-plane state -> whole documents for the real tools."""
