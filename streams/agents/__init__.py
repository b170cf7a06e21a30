"""The worker's agents: decode, plan (pure domain), deliver, write, acknowledge."""
