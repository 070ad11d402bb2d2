data "aws_region" "current" {}
data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  count = length(var.azs) == 0 ? 1 : 0

  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  azs = length(var.azs) > 0 ? var.azs : slice(data.aws_availability_zones.available[0].names, 0, var.az_count)

  # Public subnets take the first netnums, private ones start half-way up the
  # range, so adding an AZ later never renumbers an existing subnet.
  public_cidrs  = [for i, _ in local.azs : cidrsubnet(var.cidr, var.subnet_newbits, i)]
  private_cidrs = [for i, _ in local.azs : cidrsubnet(var.cidr, var.subnet_newbits, pow(2, var.subnet_newbits - 1) + i)]

  nat_count = var.enable_nat_gateway ? (var.single_nat_gateway ? 1 : length(local.azs)) : 0

  # One private route table per AZ: each can point at its own NAT gateway
  # later without replacing the subnets' associations.
  private_route_tables = length(local.azs)
}

################################################################################
# VPC
# https://docs.aws.amazon.com/vpc/latest/userguide/configure-your-vpc.html
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true # required by interface endpoints' private DNS
  enable_dns_hostnames = true

  tags = merge({ Name = var.name }, var.tags)
}

# Adopt the default security group and strip every rule from it: nothing may
# fall back to "default" and get open intra-VPC traffic.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  ingress = []
  egress  = []

  tags = merge({ Name = "${var.name}-default-deny" }, var.tags)
}

################################################################################
# Public Subnets (load balancer, NAT gateways)
################################################################################

resource "aws_subnet" "public" {
  count = length(local.azs)

  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.public_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false # the ALB gets its addresses itself

  tags = merge({ Name = "${var.name}-public-${local.azs[count.index]}", Tier = "public" }, var.tags)
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge({ Name = var.name }, var.tags)
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge({ Name = "${var.name}-public" }, var.tags)
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = length(local.azs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

################################################################################
# Private Subnets (ECS tasks): no route to the internet unless NAT is enabled
################################################################################

resource "aws_subnet" "private" {
  count = length(local.azs)

  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.private_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false

  tags = merge({ Name = "${var.name}-private-${local.azs[count.index]}", Tier = "private" }, var.tags)
}

resource "aws_route_table" "private" {
  count = local.private_route_tables

  vpc_id = aws_vpc.this.id

  tags = merge({ Name = "${var.name}-private-${local.azs[count.index]}" }, var.tags)
}

resource "aws_route_table_association" "private" {
  count = length(local.azs)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

################################################################################
# NAT Gateway (optional)
################################################################################

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags = merge({ Name = "${var.name}-nat-${local.azs[count.index]}" }, var.tags)

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge({ Name = "${var.name}-${local.azs[count.index]}" }, var.tags)
}

resource "aws_route" "private_nat" {
  count = var.enable_nat_gateway ? local.private_route_tables : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

################################################################################
# VPC Endpoints: S3 (gateway) for the documents and ECR image layers, limited
# to those buckets; ecr.api, ecr.dkr and logs (interface) so tasks pull and
# log without NAT
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
################################################################################

locals {
  # ECR serves image layers from this AWS-owned bucket; a gateway endpoint
  # policy must allow it or Fargate cannot pull the image.
  # https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms
  ecr_layer_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::prod-${data.aws_region.current.name}-starport-layer-bucket"

  # Without a policy a gateway endpoint reaches every bucket in the region,
  # anyone's: a way out for data from inside the VPC. Allow only reading the
  # buckets named here and pulling layers.
  s3_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "EcrImageLayers"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:GetObject"
        Resource  = "${local.ecr_layer_bucket_arn}/*"
      }],
      length(var.s3_read_bucket_arns) == 0 ? [] : [
        {
          Sid       = "ReadBuckets"
          Effect    = "Allow"
          Principal = "*"
          Action    = "s3:ListBucket"
          Resource  = var.s3_read_bucket_arns
        },
        {
          Sid       = "ReadObjects"
          Effect    = "Allow"
          Principal = "*"
          Action    = "s3:GetObject"
          Resource  = [for b in var.s3_read_bucket_arns : "${b}/*"]
        },
      ],
    )
  })
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  policy            = local.s3_endpoint_policy

  tags = merge({ Name = "${var.name}-s3" }, var.tags)
}

# DynamoDB (gateway, free) when the documents are in a table. Its policy
# allows only the service's read actions on the named tables: the loader
# (terraform apply, or a user's tool) writes from outside the VPC through
# DynamoDB's public endpoint, so no write action needs this path, and a
# compromised task can neither write nor reach another table.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/vpc-endpoints-dynamodb.html
locals {
  dynamodb_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ReadDocumentsTables"
      Effect    = "Allow"
      Principal = "*"
      Action    = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan"]
      Resource  = var.dynamodb_read_table_arns
    }]
  })
}

resource "aws_vpc_endpoint" "dynamodb" {
  count = length(var.dynamodb_read_table_arns) > 0 ? 1 : 0

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  policy            = local.dynamodb_endpoint_policy

  tags = merge({ Name = "${var.name}-dynamodb" }, var.tags)
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "HTTPS from inside the VPC to the interface endpoints"
  vpc_id      = aws_vpc.this.id

  tags = merge({ Name = "${var.name}-endpoints" }, var.tags)

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.this.cidr_block

  tags = var.tags
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoints)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.name}.${each.value}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true

  tags = merge({ Name = "${var.name}-${each.value}" }, var.tags)
}

################################################################################
# Flow Logs
# https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
################################################################################

resource "aws_cloudwatch_log_group" "flow_log" {
  count = var.enable_flow_log ? 1 : 0

  name              = "/vpc/${var.name}/flow-log"
  retention_in_days = var.flow_log_retention_days

  tags = var.tags
}

resource "aws_iam_role" "flow_log" {
  count = var.enable_flow_log ? 1 : 0

  name                 = "${var.name}-vpc-flow-log"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_log" {
  count = var.enable_flow_log ? 1 : 0

  name = "write-flow-log"
  role = aws_iam_role.flow_log[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = "${aws_cloudwatch_log_group.flow_log[0].arn}:*"
    }]
  })
}

resource "aws_flow_log" "this" {
  count = var.enable_flow_log ? 1 : 0

  vpc_id               = aws_vpc.this.id
  traffic_type         = "REJECT"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_log[0].arn
  iam_role_arn         = aws_iam_role.flow_log[0].arn

  tags = merge({ Name = var.name }, var.tags)
}
