# The staging root as deploy runs it: values from main.tf, an image tag from
# the command line; mock provider (infra/testing/aws), no credentials.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  image_tag = "0123456789ab"
}

run "staging" {
  assert {
    condition     = output.service_name == "s3json-staging" && output.cluster_name == "s3json-staging"
    error_message = "staging resources are named s3json-staging"
  }
  assert {
    condition     = length(output.private_subnet_ids) == 2 && length(output.public_subnet_ids) == 2
    error_message = "staging spans two availability zones"
  }
  assert {
    condition     = endswith(output.image, "/s3json:0123456789ab")
    error_message = "the image is the repository at the deployed tag"
  }
  assert {
    condition     = output.web_acl_arn == null && output.lb_log_bucket == "s3json-staging-lb-logs-123456789012-eu-west-1"
    error_message = "staging: no firewall (optional), load balancer logs kept"
  }
}

run "rejects_latest" {
  command = plan

  variables {
    image_tag = "latest"
  }

  expect_failures = [var.image_tag]
}

run "arm64" {
  command = plan

  variables {
    cpu_architecture = "ARM64"
  }

  assert {
    condition     = output.cpu_architecture == "ARM64"
    error_message = "cpu_architecture set for staging reaches its task definition"
  }
}

run "rejects_unknown_architecture" {
  command = plan

  variables {
    cpu_architecture = "aarch64"
  }

  expect_failures = [var.cpu_architecture]
}

# Issue 14: staging's table is throw-away (the infra e2e destroys it).
run "dynamodb_store_destroyable" {
  command = plan

  variables {
    documents_store = "dynamodb"
  }

  assert {
    condition     = !module.environment.table_deletion_protection
    error_message = "staging's documents table can be destroyed"
  }
}

run "rejects_unknown_store" {
  command = plan

  variables {
    documents_store = "dynamo"
  }

  expect_failures = [var.documents_store]
}

# Issue 15: the pool is optional; its secret never prints.
run "cognito" {
  variables {
    enable_cognito = true
  }

  assert {
    condition     = startswith(output.auth_issuer, "https://cognito-idp.") && output.auth_client_id != null && issensitive(output.auth_client_secret)
    error_message = "with enable_cognito the root outputs the issuer and client id, and the secret as sensitive"
  }
}
