# staging: values only; the code is the same as prod's.
environment = "staging"
vpc_cidr    = "10.10.0.0/16"
az_count    = 2

log_level          = "debug"
log_retention_days = 14

autoscaling = {
  min_capacity = 1
  max_capacity = 3
}

# Throw-away environment: destroy must work without manual steps.
deletion_protection     = false
documents_force_destroy = true
