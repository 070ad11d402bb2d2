# Terraform AWS provider smoke test against the emulator (test_emu.py,
# TestTerraformProvider): the provider's own SigV4 (Go SDK), TLS verified with
# the emulator's CA, a TLS-only bucket policy, a unicode/plus object key,
# Application Auto Scaling tags and an ECS Fargate service; apply, then a plan
# that must be empty, then destroy.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
variable "endpoint" { type = string }
variable "ca_bundle" { type = string }

provider "aws" {
  region            = "us-east-1"
  custom_ca_bundle  = var.ca_bundle
  s3_use_path_style = true
  endpoints {
    s3                     = var.endpoint
    iam                    = var.endpoint
    sts                    = var.endpoint
    ecs                    = var.endpoint
    applicationautoscaling = var.endpoint
    cloudwatch             = var.endpoint
    ec2                    = var.endpoint
    logs                   = var.endpoint
  }
}
resource "aws_s3_bucket" "b" {
  bucket        = "tf-smoke-bucket"
  force_destroy = true
}
data "aws_iam_policy_document" "tls" {
  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = data.aws_iam_policy_document.tls.json
}
resource "aws_s3_object" "o" {
  bucket     = aws_s3_bucket.b.id
  key        = "v1/a+b ü.json"
  content    = jsonencode({ hello = "world" })
  depends_on = [aws_s3_bucket_policy.b]
}
resource "aws_s3_bucket_versioning" "v" {
  bucket = aws_s3_bucket.b.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_iam_user" "u" { name = "tf-reader" }
resource "aws_iam_user_policy" "u" {
  user   = aws_iam_user.u.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "${aws_s3_bucket.b.arn}/v1/*" }] })
}
resource "aws_ecs_cluster" "c" { name = "tf-smoke" }
resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_security_group" "g" { vpc_id = aws_vpc.v.id }
resource "aws_ecs_task_definition" "t" {
  family                   = "tf-smoke"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  container_definitions    = jsonencode([{ name = "app", image = "app:1", memory = 128, essential = true }])
}
resource "aws_ecs_service" "s" {
  name            = "tf-smoke"
  cluster         = aws_ecs_cluster.c.id
  task_definition = aws_ecs_task_definition.t.arn
  desired_count   = 1
  launch_type     = "FARGATE"
  network_configuration {
    subnets         = [aws_subnet.s.id]
    security_groups = [aws_security_group.g.id]
  }
}
resource "aws_appautoscaling_target" "t" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.c.name}/${aws_ecs_service.s.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 1
  max_capacity       = 4
  tags               = { Name = "tf-smoke", env = "test" }
}
resource "aws_appautoscaling_policy" "p" {
  name               = "cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.t.service_namespace
  resource_id        = aws_appautoscaling_target.t.resource_id
  scalable_dimension = aws_appautoscaling_target.t.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value = 60
    predefined_metric_specification { predefined_metric_type = "ECSServiceAverageCPUUtilization" }
  }
}
