# prod: where it runs. The environment's shape (sizes, AZs, protection) is
# in main.tf; the image comes from scripts/deploy (-var image_digest=...).
# The region (default eu-west-1). scripts/deploy passes AWS_REGION and
# refuses to run when it differs from a region set here.
# region = "eu-west-1"

# The tasks' CPU (default X86_64). ARM64 runs on Graviton, about 20% cheaper
# per vCPU-hour; `make deploy` publishes the image for both.
# cpu_architecture = "ARM64"

# The boundary every IAM role of this environment carries (required once CI
# deploys: its deploy role creates roles only with it): global/ci output
# boundary_arns["prod"].
# permissions_boundary_arn = "arn:aws:iam::123456789012:policy/s3json-prod-workload-boundary"

# Refuse any other account (recommended):
# allowed_account_ids = ["123456789012"]

# HTTPS (required: prod refuses to plan without it): either the domain and
# its public hosted zone (a DNS-validated certificate is requested) ...
# domain_name     = "s3json.example.com"
# route53_zone_id = "Z0123456789ABCDEFGHIJ"
# ... or an existing ACM certificate in this region.
# certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/..."
# Who hears the alarms (the address confirms by e-mail; or a paging webhook):
# alarm_email          = "oncall@example.com"
# alarm_https_endpoint = "https://events.example.com/sns"

# Plain HTTP only on purpose (no TLS, no HSTS): allow_plain_http = true
