terraform {
  # S3-native state locking (use_lockfile) needs Terraform 1.10.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Partial configuration: scripts/tf-bootstrap.sh creates the bucket with a
  # local state first, then migrates that state here and writes the backend
  # file (bucket, region, use_lockfile) every root is initialised with.
  backend "s3" {}
}
