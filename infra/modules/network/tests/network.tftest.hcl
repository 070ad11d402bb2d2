# Network module: private subnets without internet routes, endpoints for
# S3/ECR/logs, default security group without rules.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/vpc/s3json-test/flow-log" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/s3json-test-vpc-flow-log" }
  }
  mock_resource "aws_vpc" {
    defaults = { id = "vpc-0123456789abcdef0", cidr_block = "10.0.0.0/16" }
  }
}

variables {
  name = "s3json-test"
}

run "defaults_plan" {
  command = plan

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "expected one public and one private subnet in each of 2 AZs"
  }

  assert {
    condition     = toset(aws_subnet.private[*].availability_zone) == toset(["eu-west-1a", "eu-west-1b"])
    error_message = "private subnets must span two AZs"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : s.map_public_ip_on_launch == false])
    error_message = "private subnets must not map public IPs"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "public subnets must not hand out public IPs by default"
  }

  assert {
    condition     = aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "public route table must route to the internet gateway"
  }

  assert {
    condition     = length(aws_route.private_nat) == 0 && length(aws_nat_gateway.this) == 0 && length(aws_eip.nat) == 0
    error_message = "no NAT (and no internet route from private subnets) by default"
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-west-1.s3"
    error_message = "S3 must be reached through a gateway endpoint"
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs"])
    error_message = "interface endpoints for ecr.api, ecr.dkr and logs expected"
  }

  assert {
    condition = alltrue([for k, e in aws_vpc_endpoint.interface :
      e.vpc_endpoint_type == "Interface" && e.private_dns_enabled && e.service_name == "com.amazonaws.eu-west-1.${k}"
    ])
    error_message = "interface endpoints must be Interface type with private DNS"
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "the default security group must have no rules"
  }

  assert {
    condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "DNS support and hostnames are required for private endpoint DNS"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https.from_port == 443 && aws_vpc_security_group_ingress_rule.endpoints_https.to_port == 443
    error_message = "endpoints accept HTTPS only"
  }

  assert {
    condition     = aws_flow_log.this[0].traffic_type == "REJECT" && aws_cloudwatch_log_group.flow_log[0].retention_in_days == 30
    error_message = "flow log of rejected traffic with 30-day retention expected"
  }
}

run "defaults_apply" {
  assert {
    condition     = toset(aws_vpc_endpoint.s3.route_table_ids) == toset(aws_route_table.private[*].id)
    error_message = "the S3 gateway endpoint must serve every private route table"
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : toset(e.subnet_ids) == toset(aws_subnet.private[*].id)])
    error_message = "interface endpoints must sit in the private subnets"
  }

  assert {
    condition     = aws_route.public_internet.gateway_id == aws_internet_gateway.this.id && aws_route.public_internet.route_table_id == aws_route_table.public.id
    error_message = "only the public route table routes to the internet gateway"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https.cidr_ipv4 == aws_vpc.this.cidr_block
    error_message = "endpoints accept HTTPS from the VPC only"
  }

  assert {
    condition     = length(output.private_subnet_ids) == 2 && length(output.public_subnet_ids) == 2
    error_message = "outputs list both subnet tiers"
  }
}

# The S3 gateway endpoint reaches only the buckets it is given and ECR's
# layer bucket (issue 10, item 9); without a policy it opens every bucket.
run "s3_endpoint_policy" {
  command = plan

  variables {
    s3_read_bucket_arns = ["arn:aws:s3:::s3json-documents-test"]
  }

  assert {
    condition = toset(flatten([for st in jsondecode(aws_vpc_endpoint.s3.policy).Statement : st.Resource])) == toset([
      "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*",
      "arn:aws:s3:::s3json-documents-test",
      "arn:aws:s3:::s3json-documents-test/*",
    ])
    error_message = "the S3 endpoint policy must name only the documents bucket and ECR's layer bucket"
  }
  assert {
    condition = alltrue([for st in jsondecode(aws_vpc_endpoint.s3.policy).Statement :
      st.Effect == "Allow" && alltrue([for a in flatten([st.Action]) : contains(["s3:GetObject", "s3:ListBucket"], a)])
    ])
    error_message = "the S3 endpoint policy allows reading only (GetObject, ListBucket)"
  }
  assert {
    condition = anytrue([for st in jsondecode(aws_vpc_endpoint.s3.policy).Statement :
      st.Action == "s3:GetObject" && st.Resource == "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"
    ])
    error_message = "Fargate pulls image layers from prod-<region>-starport-layer-bucket: the policy must allow GetObject there"
  }
}

run "s3_endpoint_policy_no_buckets" {
  command = plan

  assert {
    condition     = toset(flatten([for st in jsondecode(aws_vpc_endpoint.s3.policy).Statement : st.Resource])) == toset(["arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"])
    error_message = "with no buckets given, only ECR's layer bucket is reachable"
  }
}

run "rejects_bucket_wildcard" {
  command = plan

  variables {
    s3_read_bucket_arns = ["arn:aws:s3:::*"]
  }

  expect_failures = [var.s3_read_bucket_arns]
}

# Issue 14: the DynamoDB gateway endpoint exists only for a table, on every
# private route table, and allows only the service's read actions on it.
run "dynamodb_endpoint" {
  variables {
    dynamodb_read_table_arns = ["arn:aws:dynamodb:eu-west-1:123456789012:table/s3json-test-documents"]
  }

  assert {
    condition     = aws_vpc_endpoint.dynamodb[0].service_name == "com.amazonaws.eu-west-1.dynamodb" && aws_vpc_endpoint.dynamodb[0].vpc_endpoint_type == "Gateway"
    error_message = "a DynamoDB gateway endpoint"
  }
  assert {
    condition     = toset(aws_vpc_endpoint.dynamodb[0].route_table_ids) == toset(aws_route_table.private[*].id)
    error_message = "the DynamoDB gateway endpoint must serve every private route table"
  }
  assert {
    condition = jsondecode(output.dynamodb_endpoint_policy).Statement == [{
      Sid       = "ReadDocumentsTables"
      Effect    = "Allow"
      Principal = "*"
      Action    = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan"]
      Resource  = ["arn:aws:dynamodb:eu-west-1:123456789012:table/s3json-test-documents"]
    }]
    error_message = "the endpoint policy allows GetItem, Scan and DescribeTable on the table only"
  }
  assert {
    condition     = output.dynamodb_prefix_list_id == aws_vpc_endpoint.dynamodb[0].prefix_list_id
    error_message = "the endpoint's prefix list is an output (task egress)"
  }
}

run "no_dynamodb_endpoint_without_table" {
  command = plan

  assert {
    condition     = length(aws_vpc_endpoint.dynamodb) == 0 && output.dynamodb_endpoint_policy == null
    error_message = "no DynamoDB endpoint when the documents are in S3"
  }
}

run "rejects_table_wildcard" {
  command = plan

  variables {
    dynamodb_read_table_arns = ["arn:aws:dynamodb:eu-west-1:123456789012:table/*"]
  }

  expect_failures = [var.dynamodb_read_table_arns]
}

run "three_azs" {
  command = plan

  variables {
    az_count = 3
  }

  assert {
    condition     = length(aws_subnet.private) == 3 && length(aws_route_table.private) == 3
    error_message = "az_count = 3 gives three private subnets and route tables"
  }

  assert {
    condition     = length(setintersection(toset(aws_subnet.public[*].cidr_block), toset(aws_subnet.private[*].cidr_block))) == 0
    error_message = "subnet CIDRs must not overlap"
  }
}

run "nat_single" {
  command = plan

  variables {
    enable_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_nat) == 2
    error_message = "single NAT gateway shared by both private route tables"
  }
}

run "nat_per_az" {
  command = plan

  variables {
    enable_nat_gateway = true
    single_nat_gateway = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 2 && length(aws_eip.nat) == 2
    error_message = "one NAT gateway per AZ"
  }
}

run "rejects_one_az" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "rejects_bad_retention" {
  command = plan

  variables {
    flow_log_retention_days = 10
  }

  expect_failures = [var.flow_log_retention_days]
}

run "flow_log_role_carries_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/s3json-test-workload-boundary"
  }

  assert {
    condition     = aws_iam_role.flow_log[0].permissions_boundary == var.permissions_boundary_arn
    error_message = "the flow-log role carries the permissions boundary"
  }
}
