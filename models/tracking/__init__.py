"""MLflow glue: run logging, pyfunc packaging, the promotion gate."""
