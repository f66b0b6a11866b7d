"""The FastAPI serving layer: app factory, routers per resource, schemas, error mapping."""
