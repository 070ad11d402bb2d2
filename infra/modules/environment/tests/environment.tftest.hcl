# The environment composition: network, documents and service wired together;
# mock provider (infra/testing/aws), no credentials.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  environment = "staging"
  image_tag   = "1.0.0"
  # Without a domain or certificate the module refuses to plan unless told.
  allow_plain_http = true
}

run "composition" {
  assert {
    condition     = module.service.service_name == "s3json-${var.environment}"
    error_message = "resources are named s3json-<environment>"
  }
  assert {
    condition     = length(module.network.private_subnet_ids) == var.az_count && length(module.network.nat_gateway_ids) == 0
    error_message = "one private subnet per AZ and no NAT gateway"
  }
  assert {
    condition     = output.bucket == module.documents.bucket_name && output.repository_url == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3json"
    error_message = "outputs expose the bucket and the repository"
  }
  assert {
    condition     = output.image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3json:1.0.0"
    error_message = "the image is the repository at the chosen tag"
  }
  assert {
    condition     = output.url == "http://${output.lb_dns}"
    error_message = "without a domain the URL is the ALB over HTTP"
  }
  assert {
    condition     = output.cpu_architecture == "X86_64"
    error_message = "tasks run on X86_64 unless cpu_architecture says otherwise"
  }
  # Issue 10, item 9: the gateway endpoint reaches the documents bucket and
  # ECR's layers only; task egress goes to the endpoints' SG and the S3 prefix
  # list, never the VPC's range.
  assert {
    condition = toset(flatten([for st in jsondecode(module.network.s3_endpoint_policy).Statement : st.Resource])) == toset([
      "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*",
      module.documents.bucket_arn,
      "${module.documents.bucket_arn}/*",
    ])
    error_message = "the S3 gateway endpoint must allow the documents bucket and ECR's layer bucket only"
  }
  assert {
    condition = (
      module.service.task_egress.security_group_ids == [module.network.endpoints_security_group_id] &&
      module.service.task_egress.prefix_list_ids == [module.network.s3_prefix_list_id] &&
      length(module.service.task_egress.cidr_blocks) == 0
    )
    error_message = "task egress: the endpoints' SG and the S3 prefix list, no CIDR block without NAT"
  }
}

run "composition_with_nat" {
  command = plan

  variables {
    enable_nat_gateway = true
  }

  assert {
    condition     = module.service.task_egress.cidr_blocks == ["0.0.0.0/0"]
    error_message = "with NAT, tasks may reach the internet on 443"
  }
}

run "arm64" {
  command = plan

  variables {
    cpu_architecture = "ARM64"
  }

  assert {
    condition     = output.cpu_architecture == "ARM64"
    error_message = "cpu_architecture reaches the service's task definition"
  }
}

run "alarms_reach_someone" {
  variables {
    alarm_email = "oncall@example.com"
  }

  assert {
    condition     = module.alarms.topic_arn == "arn:aws:sns:eu-west-1:123456789012:mock-alarms"
    error_message = "the environment has an alarm topic"
  }
  assert {
    condition     = toset(module.alarms.deployment_alarm_names) == toset(["s3json-staging-5xx-rate", "s3json-staging-p99-latency"])
    error_message = "deployment alarms on 5xx rate and latency"
  }
}

run "edge" {
  command = plan

  assert {
    condition     = module.service.lb_arn != null && module.edge.web_acl_arn != null
    error_message = "the firewall is on by default"
  }
}

run "spot_for_staging" {
  command = plan

  variables {
    fargate_spot = true
  }

  assert {
    condition     = one(module.service.task_definition_arn != null ? ["ok"] : []) == "ok"
    error_message = "staging may run on Fargate Spot"
  }
}

run "rejects_spot_for_prod" {
  command = plan

  variables {
    environment  = "prod"
    fargate_spot = true
  }

  expect_failures = [var.fargate_spot]
}
