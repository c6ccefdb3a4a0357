"""The workshop: vehicles, customers, repair orders (reception → quote → work → completion → handover), parts orders."""
