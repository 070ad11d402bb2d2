data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  container_name = "s3json"
  container_port = 8080

  image = var.image_digest != null ? "${var.repository_url}@${var.image_digest}" : "${var.repository_url}:${coalesce(var.image_tag, "unset")}"

  # ECS sends SIGTERM, waits stopTimeout, then SIGKILLs: leave the service its
  # whole drain plus 5 s to flush logs and exit (Fargate allows at most 120).
  stop_timeout = min(var.drain_seconds + 5, 120)

  # The target must keep an idle connection open longer than the ALB does:
  # the ALB reuses its idle connections to a target, and one the task has
  # just closed turns the next request on it into a 502. AWS: set the
  # target's keep-alive timeout greater than the load balancer's idle timeout.
  # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout
  keep_alive_margin  = 15
  keep_alive_seconds = var.idle_timeout + local.keep_alive_margin

  # TLS from an existing ACM certificate, or one this module requests for
  # domain_name (DNS-validated in route53_zone_id).
  https              = var.domain_name != null || var.certificate_arn != null
  create_certificate = var.domain_name != null && var.certificate_arn == null
  listener_ports     = local.https ? [80, 443] : [80]

  # HSTS tells browsers to use HTTPS only for max-age seconds (no preload:
  # that is a decision for the domain's owner, hard to undo).
  hsts = var.hsts_max_age_seconds > 0 ? "max-age=${var.hsts_max_age_seconds}; includeSubDomains" : null

  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${coalesce(var.bucket_name, "unset")}"
  account_id = data.aws_caller_identity.current.account_id
}

################################################################################
# Cluster
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html
################################################################################

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.enable_container_insights ? "enabled" : "disabled"
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

################################################################################
# Logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

################################################################################
# Task Execution - IAM Role: pull this repository's image, write this log group
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
################################################################################

locals {
  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy guard: only ECS acting for this account.
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
}

resource "aws_iam_role" "task_exec" {
  name               = "${var.name}-task-exec"
  description        = "ECS agent for ${var.name}: image pull and logs only"
  assume_role_policy = local.ecs_tasks_trust
  # The deploy role may create roles only with this boundary (global/ci).
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "task_exec" {
  name = "ecr-pull-and-logs"
  role = aws_iam_role.task_exec.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # GetAuthorizationToken has no resource-level permissions.
        Sid      = "EcrAuth"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid      = "EcrPull"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = var.repository_arn
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.this.arn}:*"
      },
    ]
  })
}

################################################################################
# Tasks - IAM Role: read the documents, nothing else
################################################################################

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "s3json tasks of ${var.name}: read-only on the documents"
  assume_role_policy = local.ecs_tasks_trust
  # The deploy role may create roles only with this boundary (global/ci).
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

locals {
  s3_statements = [
    {
      Sid      = "GetDocuments"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "${local.bucket_arn}/${var.bucket_prefix}*"
    },
    merge(
      {
        Sid      = "ListDocuments"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = local.bucket_arn
      },
      var.bucket_prefix == "" ? {} : {
        Condition = { StringLike = { "s3:prefix" = ["${var.bucket_prefix}*"] } }
      },
    ),
  ]

  # Exactly what the service calls: GetItem (a document, or its sha256 on
  # revalidation), Scan (the listing), DescribeTable (/readyz). No Query:
  # the table has no sort key, so a listing is a Scan.
  dynamodb_statements = [{
    Sid      = "ReadDocumentsTable"
    Effect   = "Allow"
    Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan"]
    Resource = coalesce(var.table_arn, "unset")
  }]
}

resource "aws_iam_role_policy" "task" {
  name = "read-documents"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [for st in local.s3_statements : st if var.documents_store == "s3"],
      [for st in local.dynamodb_statements : st if var.documents_store == "dynamodb"],
      var.bucket_kms_key_arn == null ? [] : [{
        Sid      = "DecryptDocuments"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = var.bucket_kms_key_arn
      }],
    )
  })
}

################################################################################
# Task Definition
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
################################################################################

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.task_exec.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([merge(
    {
      name                   = local.container_name
      image                  = local.image
      essential              = true
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      privileged             = false
      stopTimeout            = local.stop_timeout
      portMappings = [{
        name          = "http"
        containerPort = local.container_port
        hostPort      = local.container_port
        protocol      = "tcp"
      }]
      environment = concat([
        { name = "S3JSON_STORE", value = var.documents_store },
        var.documents_store == "s3" ?
        { name = "S3JSON_BUCKET", value = var.bucket_name } :
        { name = "S3JSON_TABLE", value = var.table_name },
        { name = "S3JSON_PREFIX", value = var.bucket_prefix },
        { name = "AWS_REGION", value = data.aws_region.current.name },
        { name = "S3JSON_PORT", value = tostring(local.container_port) },
        { name = "S3JSON_DRAIN_SECONDS", value = tostring(var.drain_seconds) },
        { name = "S3JSON_CONNECTION_TIMEOUT_SECONDS", value = tostring(local.keep_alive_seconds) },
        { name = "S3JSON_LOG_LEVEL", value = var.log_level },
        { name = "S3JSON_AUTH", value = var.jwt == null ? "none" : "jwt" },
        ],
        var.jwt == null ? [] : [
          { name = "S3JSON_JWT_ISSUER", value = var.jwt.issuer },
          { name = "S3JSON_JWT_AUDIENCE", value = var.jwt.audience },
        ],
        try(var.jwt.jwks_url, null) == null ? [] : [
          { name = "S3JSON_JWT_JWKS_URL", value = var.jwt.jwks_url },
      ])
      # The binary handles SIGTERM itself as PID 1; it needs no capability.
      linuxParameters = {
        initProcessEnabled = false
        capabilities       = { drop = ["ALL"] }
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = local.container_name
          # A slow log pipe must not stall request threads.
          mode            = "non-blocking"
          max-buffer-size = "4m"
        }
      }
    },
    var.container_health_check ? {
      healthCheck = {
        command     = ["CMD", "/s3json", "healthcheck"]
        interval    = 10
        timeout     = 5
        retries     = 3
        startPeriod = 10
      }
    } : {},
  )])

  tags = var.tags

  lifecycle {
    precondition {
      condition     = (var.image_tag == null) != (var.image_digest == null)
      error_message = "Set exactly one of image_tag and image_digest."
    }
  }
}

################################################################################
# Security Groups: clients -> ALB (80/443) -> tasks (8080) -> endpoints (443)
################################################################################

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Load balancer of ${var.name}: HTTP/HTTPS from clients"
  vpc_id      = var.vpc_id

  tags = merge({ Name = "${var.name}-alb" }, var.tags)

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = {
    for pair in setproduct(local.listener_ports, var.ingress_cidr_blocks) :
    "${pair[0]}-${pair[1]}" => { port = pair[0], cidr = pair[1] }
  }

  security_group_id = aws_security_group.alb.id
  description       = "Clients on ${each.value.port}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = aws_security_group.tasks.id

  tags = var.tags
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "Tasks of ${var.name}: only the load balancer may connect"
  vpc_id      = var.vpc_id

  tags = merge({ Name = "${var.name}-tasks" }, var.tags)

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = aws_security_group.alb.id

  tags = var.tags
}

# Egress is HTTPS to the interface endpoints' security group and the S3
# prefix list, not to the VPC's range: nothing else in the VPC is reachable.
resource "aws_vpc_security_group_egress_rule" "tasks_https_endpoints" {
  # count, not for_each: the values may only be known after apply.
  count = length(var.task_egress_security_group_ids)

  security_group_id            = aws_security_group.tasks.id
  description                  = "HTTPS to the interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.task_egress_security_group_ids[count.index]

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "tasks_https_cidr" {
  count = length(var.task_egress_cidr_blocks)

  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to ${var.task_egress_cidr_blocks[count.index]}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.task_egress_cidr_blocks[count.index]

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "tasks_https_prefix_list" {
  count = length(var.task_egress_prefix_list_ids)

  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.task_egress_prefix_list_ids[count.index]

  tags = var.tags
}

################################################################################
# Load Balancer: internet-facing, public subnets
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
################################################################################

resource "aws_lb" "this" {
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = var.idle_timeout

  # Issue 12: access and connection logs to the environment's log bucket
  # (modules/edge), whose policy must be in force before these are enabled.
  dynamic "access_logs" {
    for_each = var.lb_logs == null ? [] : [var.lb_logs]
    content {
      enabled = true
      bucket  = access_logs.value.bucket
      prefix  = access_logs.value.access_prefix
    }
  }

  dynamic "connection_logs" {
    for_each = var.lb_logs == null ? [] : [var.lb_logs]
    content {
      enabled = true
      bucket  = connection_logs.value.bucket
      prefix  = connection_logs.value.connection_prefix
    }
  }

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  name                 = var.name
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = local.container_port
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay

  # /healthz answers without touching S3: an S3 hiccup must not empty the
  # target group.
  health_check {
    path                = "/healthz"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

################################################################################
# HTTPS (certificate_arn, or domain_name: ACM certificate, DNS validation),
# listener with HSTS
################################################################################

resource "aws_acm_certificate" "this" {
  count = local.create_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  tags = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.route53_zone_id != null
      error_message = "route53_zone_id is required when domain_name is set."
    }
  }
}

# Keyed by the (known) domain name: the validation options themselves are only
# known after the certificate exists.
resource "aws_route53_record" "validation" {
  for_each = local.create_certificate && var.route53_zone_id != null ? toset([var.domain_name]) : toset([])

  zone_id         = var.route53_zone_id
  name            = local.validation[each.key].resource_record_name
  type            = local.validation[each.key].resource_record_type
  records         = [local.validation[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

locals {
  validation = local.create_certificate ? { for o in aws_acm_certificate.this[0].domain_validation_options : o.domain_name => o } : {}
}

resource "aws_acm_certificate_validation" "this" {
  count = local.create_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = local.create_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn

  # The load balancer adds the header to every response of this listener
  # (AWS refuses the attribute on an HTTP listener; the emulator does not).
  routing_http_response_strict_transport_security_header_value = local.hsts

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

################################################################################
# Internal endpoints: /metrics and /readyz are for the VPC (scrapers, ECS),
# not the internet. The serving listener answers them 404 before forwarding;
# the target group's health check (/healthz) goes to the tasks directly and
# is unaffected. The service matches paths undecoded and exactly, so
# `/%6detrics` or `/metrics/` are not its metrics either.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html
################################################################################

locals {
  # The listener whose default action forwards to the target group: the
  # service waits for it and its internal-path rule sits on it.
  serving_listener_arn = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
  internal_paths       = ["/metrics", "/metrics/*", "/readyz", "/readyz/*"]
}

resource "aws_lb_listener_rule" "internal_paths" {
  listener_arn = local.serving_listener_arn
  priority     = 1

  condition {
    path_pattern {
      values = local.internal_paths
    }
  }

  action {
    type = "fixed-response"

    # The service's own 404 body, so clients see one error format.
    fixed_response {
      content_type = "application/json"
      status_code  = "404"
      message_body = jsonencode({ error = "not_found", message = "no such route" })
    }
  }

  tags = var.tags
}

resource "aws_route53_record" "alias" {
  count = var.domain_name != null && var.route53_zone_id != null ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

################################################################################
# Service: private subnets, no public IP, rolls back a failing deployment
################################################################################

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  # Issue 12: Fargate Spot (non-production) goes through a capacity
  # provider strategy, which excludes a launch type.
  launch_type                       = var.fargate_spot ? null : "FARGATE"
  desired_count                     = var.autoscaling.min_capacity
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  availability_zone_rebalancing     = var.availability_zone_rebalancing
  enable_execute_command            = false
  propagate_tags                    = "SERVICE"
  wait_for_steady_state             = false

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Spot tasks may be stopped with two minutes' notice (SIGTERM, then the
  # usual drain); ECS starts replacements when capacity returns.
  dynamic "capacity_provider_strategy" {
    for_each = var.fargate_spot ? [1] : []
    content {
      capacity_provider = "FARGATE_SPOT"
      weight            = 1
    }
  }

  # Issue 12: a deployment that raises these alarms (5xx rate, latency from
  # modules/alarms) rolls back by itself, even when its tasks are healthy.
  dynamic "alarms" {
    for_each = length(var.deployment_alarm_names) > 0 ? [1] : []
    content {
      alarm_names = var.deployment_alarm_names
      enable      = true
      rollback    = true
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  # ECS refuses a target group that no listener forwards to. With a domain
  # that is the HTTPS listener, created only once ACM has validated the
  # certificate (minutes); the HTTP one only redirects. Referencing the
  # listener that serves the target group makes the service wait for it (and
  # lets `terraform test` check which one that is); its ARN changes only when
  # the listener is replaced.
  triggers = {
    listener_arn = local.serving_listener_arn
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [
      desired_count, # Owned by application autoscaling after creation
    ]
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https, aws_iam_role_policy.task_exec]
}

################################################################################
# Autoscaling: target tracking on CPU, memory and requests per target
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
################################################################################

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity

  tags = var.tags
}

locals {
  scaling_policies = {
    cpu = {
      metric = "ECSServiceAverageCPUUtilization"
      target = var.autoscaling.cpu_target
      label  = null
    }
    memory = {
      metric = "ECSServiceAverageMemoryUtilization"
      target = var.autoscaling.memory_target
      label  = null
    }
    requests = {
      metric = "ALBRequestCountPerTarget"
      target = var.autoscaling.requests_per_target
      label  = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}"
    }
  }
}

resource "aws_appautoscaling_policy" "this" {
  for_each = local.scaling_policies

  name               = "${var.name}-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
      resource_label         = each.value.label
    }
  }
}

################################################################################
# Alarms: 5xx responses and unhealthy targets
################################################################################

resource "aws_cloudwatch_metric_alarm" "http_5xx" {
  alarm_name          = "${var.name}-5xx"
  alarm_description   = "5xx responses from the load balancer or the tasks of ${var.name}"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.alarm_5xx_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = "total"
    expression  = "FILL(elb, 0) + FILL(target, 0)"
    label       = "5xx per minute"
    return_data = true
  }

  metric_query {
    id = "elb"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = aws_lb.this.arn_suffix }
    }
  }

  metric_query {
    id = "target"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = aws_lb.this.arn_suffix }
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  alarm_name          = "${var.name}-unhealthy-targets"
  alarm_description   = "Targets of ${var.name} failing /healthz"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  dimensions = {
    LoadBalancer = aws_lb.this.arn_suffix
    TargetGroup  = aws_lb_target_group.this.arn_suffix
  }

  tags = var.tags
}
