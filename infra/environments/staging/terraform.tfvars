# staging: where it runs. The environment's shape (sizes, AZs, protection) is
# in main.tf; the image comes from scripts/deploy (-var image_digest=...).
# The region (default eu-west-1). scripts/deploy passes AWS_REGION and
# refuses to run when it differs from a region set here.
# region = "eu-west-1"

# The tasks' CPU (default X86_64). ARM64 runs on Graviton, about 20% cheaper
# per vCPU-hour; `make deploy` publishes the image for both.
# cpu_architecture = "ARM64"

# The boundary every IAM role of this environment carries (required once CI
# deploys: its deploy role creates roles only with it): global/ci output
# boundary_arns["staging"].
# permissions_boundary_arn = "arn:aws:iam::123456789012:policy/s3json-staging-workload-boundary"

# Refuse any other account (recommended):
# allowed_account_ids = ["123456789012"]
