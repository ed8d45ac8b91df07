"""Readers and writers for genomics formats: one module per format.

Every writer goes through :func:`graphreg_cli.io.atomic.atomic_path`, so a failed run never
leaves a half-written file or damages an existing one.
"""
