"""The pure domain of the worker: counting, status against the plan, the cold chain.

Nothing here imports faust, aiohttp or a clock: every function takes its time from the
events (or an explicit ``now``), so each rule is tested as a table of inputs and outputs.
"""
