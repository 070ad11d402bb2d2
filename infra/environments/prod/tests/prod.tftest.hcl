# The prod root as the pipeline promotes to it: the digest tested in staging;
# mock provider (infra/testing/aws), no credentials.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  image_tag       = null
  image_digest    = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
}

run "refuses_plain_http" {
  command = plan

  variables {
    certificate_arn = null
  }

  expect_failures = [var.allow_plain_http]
}

run "plain_http_on_request" {

  variables {
    certificate_arn  = null
    allow_plain_http = true
  }

  assert {
    condition     = startswith(output.url, "http://")
    error_message = "allow_plain_http = true serves plain HTTP"
  }
}

run "prod" {
  assert {
    condition     = output.service_name == "s3json-prod"
    error_message = "prod resources are named s3json-prod"
  }
  assert {
    condition     = length(output.private_subnet_ids) == 3
    error_message = "prod spans three availability zones"
  }
  assert {
    condition     = endswith(output.image, "/s3json@sha256:0000000000000000000000000000000000000000000000000000000000000001")
    error_message = "prod runs the promoted digest"
  }
  assert {
    condition     = output.url == "https://mock-1234567890.eu-west-1.elb.amazonaws.com"
    error_message = "prod serves HTTPS"
  }
  assert {
    condition     = output.web_acl_arn != null
    error_message = "prod has a web application firewall by default"
  }
}

run "arm64" {
  command = plan

  variables {
    cpu_architecture = "ARM64"
  }

  assert {
    condition     = output.cpu_architecture == "ARM64"
    error_message = "cpu_architecture set for prod reaches its task definition"
  }
}

run "rejects_unknown_architecture" {
  command = plan

  variables {
    cpu_architecture = "aarch64"
  }

  expect_failures = [var.cpu_architecture]
}

# Issue 14: production's table refuses deletion.
run "dynamodb_store_protected" {
  command = plan

  variables {
    documents_store = "dynamodb"
  }

  assert {
    condition     = module.environment.table_deletion_protection && output.bucket == null
    error_message = "prod's documents table has deletion protection on, and no documents bucket"
  }
}
