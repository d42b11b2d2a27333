"""infraaudit library core: models, config, catalog, collectors, engine, reports."""
