"""The source SDK: base classes, registry, fields, typings, resumable state, tracked transport, paginators."""
