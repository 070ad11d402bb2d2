# prod: values only; the code is the same as staging's.
environment = "prod"
vpc_cidr    = "10.20.0.0/16"
az_count    = 3

cpu                = 512
memory             = 1024
log_level          = "info"
log_retention_days = 90

autoscaling = {
  min_capacity        = 3
  max_capacity        = 12
  cpu_target          = 55
  memory_target       = 70
  requests_per_target = 800
}

deletion_protection     = true
documents_force_destroy = false

# HTTPS: set the domain and its public hosted zone.
# domain_name     = "s3json.example.com"
# route53_zone_id = "Z0123456789ABCDEFGHIJ"
