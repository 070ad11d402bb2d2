terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Filled by `-backend-config=<generated file>` and `key=global/ci/terraform.tfstate`
  # (scripts/tf-root.sh does both).
  backend "s3" {}
}
