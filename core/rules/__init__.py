"""Rules engine: workflows, timers, outbox and the worker."""
