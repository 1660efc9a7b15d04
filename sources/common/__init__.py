"""The source SDK: base classes, registry, fields and config parsing, typings, resumable state (Redis),
tracked transport (`http/`), retries, scrubbing, webhook batches, the event bus, the clock, log setup and
`rest_source/` (REST client, paginators, fan-out)."""
