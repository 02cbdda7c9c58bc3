"""The web UI: static ES modules, HTML templates and CSS in static/, served at / (serve.py).

The pages are a client of /client/api like any other: they sign in with `login` and see exactly
what the API lets that user see. No build step, no third-party code.
"""
