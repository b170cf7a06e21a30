"""Workarounds for faust-streaming's private API, fenced in one package."""
