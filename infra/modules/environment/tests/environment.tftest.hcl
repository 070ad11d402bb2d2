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
