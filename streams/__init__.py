"""The faust-streaming app: turns train, container and reefer events into daily counts,
TEU throughput and cold-chain exceptions."""
