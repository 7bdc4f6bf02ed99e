"""Pages of the supervision app, one module per area (each holds its ``urlpatterns``)."""
