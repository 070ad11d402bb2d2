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
    condition     = output.bucket == module.documents[0].bucket_name && output.table == null && output.repository_url == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3json"
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
      module.documents[0].bucket_arn,
      "${module.documents[0].bucket_arn}/*",
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

# Issue 14: the store switch. S3 (default): a bucket, no table, no DynamoDB
# endpoint, no table permission; DynamoDB: a table, no bucket, the DynamoDB
# endpoint and its prefix list in task egress, table alarms, no S3
# documents permission (the S3 endpoint keeps only ECR's layers).
run "s3_store_has_no_table" {
  command = plan

  assert {
    condition     = length(module.documents) == 1 && length(module.documents_table) == 0 && module.network.dynamodb_endpoint_policy == null
    error_message = "the S3 store: a bucket, no table, no DynamoDB endpoint"
  }
}

run "dynamodb_store" {
  variables {
    documents_store  = "dynamodb"
    documents_prefix = "v1/"
  }

  assert {
    condition     = length(module.documents) == 0 && length(module.documents_table) == 1 && output.bucket == null && output.table == "s3json-staging-documents"
    error_message = "the DynamoDB store: a table named s3json-<environment>-documents, no documents bucket"
  }
  assert {
    condition     = module.documents_table[0].document_names == tolist(["v1/bar", "v1/foo", "v1/team/platform"])
    error_message = "data/ is loaded into the table under the prefix"
  }
  assert {
    condition = jsondecode(module.service.task_role_policy).Statement == [{
      Sid      = "ReadDocumentsTable"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan"]
      Resource = module.documents_table[0].table_arn
    }]
    error_message = "the task role reads the table only: no S3 documents permission"
  }
  assert {
    condition     = jsondecode(module.network.dynamodb_endpoint_policy).Statement[0].Resource == [module.documents_table[0].table_arn]
    error_message = "the DynamoDB endpoint policy names the table only"
  }
  assert {
    condition     = [for st in jsondecode(module.network.s3_endpoint_policy).Statement : st.Sid] == ["EcrImageLayers"]
    error_message = "the S3 endpoint reaches ECR's layers only (no documents bucket)"
  }
  assert {
    condition     = module.service.task_egress.prefix_list_ids == [module.network.s3_prefix_list_id, module.network.dynamodb_prefix_list_id]
    error_message = "tasks may reach the DynamoDB endpoint's prefix list (and S3's for image layers)"
  }
  assert {
    condition     = length([for n in module.alarms.alarm_names : n if startswith(n, "s3json-staging-dynamodb-")]) == 4
    error_message = "the table's throttling and error alarms exist"
  }
}

run "prod_table_deletion_protection_default" {
  command = plan

  variables {
    environment     = "prod"
    documents_store = "dynamodb"
  }

  assert {
    condition     = module.documents_table[0].deletion_protection
    error_message = "the table's deletion protection is on by default"
  }
}

run "rejects_unknown_store" {
  command = plan

  variables {
    documents_store = "S3"
  }

  expect_failures = [var.documents_store]
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

# Issue 15: a Cognito pool wired into the task definition, and the network
# path to its key set: NAT gateways and task egress 443 to the internet
# (Cognito's interface endpoint refuses pools with a domain).
run "cognito_auth" {
  variables {
    enable_cognito      = true
    auth_scope_prefixes = ["team"]
  }

  assert {
    condition     = output.auth_issuer == module.auth[0].issuer && startswith(output.auth_issuer, "https://cognito-idp.eu-west-1.amazonaws.com/")
    error_message = "the issuer is the pool's cognito-idp URL"
  }
  assert {
    condition     = output.auth_client_id == module.auth[0].client_id && output.auth_token_endpoint == "https://s3json-staging-123456789012.auth.eu-west-1.amazoncognito.com/oauth2/token"
    error_message = "client id and token endpoint are outputs"
  }
  assert {
    condition     = issensitive(output.auth_client_secret)
    error_message = "the client secret is sensitive"
  }
  assert {
    condition     = length(module.network.nat_gateway_ids) >= 1 && module.service.task_egress.cidr_blocks == ["0.0.0.0/0"]
    error_message = "the tasks reach the key set through NAT: NAT gateways, egress 443 to 0.0.0.0/0"
  }
  assert {
    condition = {
      for e in jsondecode(module.service.container_environment) : e.name => e.value if startswith(e.name, "S3JSON_AUTH") || startswith(e.name, "S3JSON_JWT")
      } == {
      S3JSON_AUTH         = "jwt"
      S3JSON_JWT_ISSUER   = module.auth[0].issuer
      S3JSON_JWT_AUDIENCE = module.auth[0].client_id
    }
    error_message = "the task definition gets S3JSON_AUTH=jwt, the issuer and the client id as audience"
  }
}

run "no_auth_by_default" {
  command = plan

  assert {
    condition     = length(module.auth) == 0 && output.auth_issuer == null && length(module.network.nat_gateway_ids) == 0
    error_message = "no pool, no auth and no NAT unless asked"
  }
}

run "own_issuer" {
  command = plan

  variables {
    jwt_issuer   = "https://login.example.com/realm"
    jwt_audience = "s3json"
  }

  assert {
    condition     = length(module.auth) == 0 && output.auth_issuer == "https://login.example.com/realm"
    error_message = "a user's own issuer without a pool"
  }
}

run "rejects_issuer_with_cognito" {
  command = plan

  variables {
    enable_cognito = true
    jwt_issuer     = "https://login.example.com/realm"
    jwt_audience   = "s3json"
  }

  expect_failures = [var.jwt_issuer]
}
