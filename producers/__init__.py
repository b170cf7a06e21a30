"""Producers of Lugang's input topics: the simulator, and record and replay of streams."""
