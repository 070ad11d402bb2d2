# Alarms that reach someone: one encrypted SNS topic per environment, optional
# e-mail/HTTPS subscriptions, and alarms on what users feel. Every alarm
# notifies the topic when it fires and when it recovers.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  actions    = [aws_sns_topic.this.arn]

  lb_dims  = { LoadBalancer = var.lb_arn_suffix }
  tg_dims  = { LoadBalancer = var.lb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  svc_dims = { ClusterName = var.cluster_name, ServiceName = var.service_name }
}

################################################################################
# Topic: KMS-encrypted with a key CloudWatch may use to publish
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/US_SetupSNS.html
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
################################################################################

resource "aws_kms_key" "this" {
  description             = "SNS alarm topic of ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Key administration stays with the account's IAM policies.
        Sid       = "Account"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # An alarm publishing to an encrypted topic needs the data key; the
        # AWS-managed aws/sns key cannot grant that, so this is a customer key.
        Sid       = "CloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  count = var.email != null ? 1 : 0

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = var.email
}

resource "aws_sns_topic_subscription" "https" {
  count = var.https_endpoint != null ? 1 : 0

  topic_arn              = aws_sns_topic.this.arn
  protocol               = "https"
  endpoint               = var.https_endpoint
  endpoint_auto_confirms = false
}

################################################################################
# Alarms on what users feel. The first two are also the ECS service's
# deployment alarms (modules/service deployment_alarm_names): a deployment
# that raises them rolls back. Task counts are not: they dip in every normal
# rollout.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
################################################################################

locals {
  deployment_alarms = {
    "5xx-rate" = {
      description = "5xx responses (load balancer + targets) above ${var.error_rate_percent}% of requests"
      expression  = "IF(FILL(requests, 0) > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / FILL(requests, 0), 0)"
      label       = "5xx % of requests"
      threshold   = var.error_rate_percent
      metrics = {
        requests = { name = "RequestCount", stat = "Sum", dims = local.lb_dims }
        elb      = { name = "HTTPCode_ELB_5XX_Count", stat = "Sum", dims = local.lb_dims }
        target   = { name = "HTTPCode_Target_5XX_Count", stat = "Sum", dims = local.lb_dims }
      }
    }
    "p99-latency" = {
      description = "p99 target response time above ${var.p99_latency_seconds} s"
      expression  = "latency"
      label       = "p99 target response time (s)"
      threshold   = var.p99_latency_seconds
      metrics = {
        latency = { name = "TargetResponseTime", stat = "p99", dims = local.tg_dims }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "deployment" {
  for_each = local.deployment_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} on ${var.name}"
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  # No traffic is not an outage: the capacity alarms cover empty targets.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.actions
  ok_actions         = local.actions

  metric_query {
    id          = "e"
    expression  = each.value.expression
    label       = each.value.label
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = metric_query.value.name
        stat        = metric_query.value.stat
        period      = 60
        dimensions  = metric_query.value.dims
      }
    }
  }

  tags = var.tags
}

################################################################################
# Capacity: healthy targets and running tasks below the desired count (from
# Container Insights, which modules/service enables), for longer than a
# rollout or a scale-out takes.
################################################################################

locals {
  capacity_alarms = {
    "healthy-below-desired" = {
      description = "healthy targets below the desired task count"
      actual      = { namespace = "AWS/ApplicationELB", name = "HealthyHostCount", dims = local.tg_dims }
    }
    "running-below-desired" = {
      description = "running tasks below the desired task count"
      actual      = { namespace = "ECS/ContainerInsights", name = "RunningTaskCount", dims = local.svc_dims }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "capacity" {
  for_each = local.capacity_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} of ${var.name} for ${var.capacity_minutes} minutes"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = var.capacity_minutes
  datapoints_to_alarm = var.capacity_minutes
  # Missing Container Insights data is not an outage; missing targets are
  # (FILL above).
  treat_missing_data = "notBreaching"
  alarm_actions      = local.actions
  ok_actions         = local.actions

  metric_query {
    id          = "missing"
    expression  = "desired - FILL(actual, 0)"
    label       = "tasks missing"
    return_data = true
  }

  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      stat        = "Minimum"
      period      = 60
      dimensions  = local.svc_dims
    }
  }

  metric_query {
    id = "actual"
    metric {
      namespace   = each.value.actual.namespace
      metric_name = each.value.actual.name
      stat        = "Minimum"
      period      = 60
      dimensions  = each.value.actual.dims
    }
  }

  tags = var.tags
}

################################################################################
# The documents table, when the store is DynamoDB: throttling (the table is
# on-demand, so throttles mean a burst above twice the previous peak or a
# hot key) and errors. Operation-level metrics are summed over the calls
# the service makes. UserErrors has no table dimension: it counts the
# account's 4xx in the region (signature, permission, validation), so in a
# shared account other clients' errors raise it too.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
################################################################################

locals {
  table_ops = ["GetItem", "Scan", "DescribeTable"]
  table_alarms = var.dynamodb_table_name == null ? {} : {
    "dynamodb-throttled-requests" = {
      description = "DynamoDB requests throttled on the documents table"
      metrics = { for i, op in local.table_ops : "m${i}" => {
        name = "ThrottledRequests", dims = { TableName = var.dynamodb_table_name, Operation = op }
      } }
    }
    "dynamodb-read-throttle-events" = {
      description = "DynamoDB read throttle events on the documents table"
      metrics     = { m0 = { name = "ReadThrottleEvents", dims = { TableName = var.dynamodb_table_name } } }
    }
    "dynamodb-system-errors" = {
      description = "DynamoDB 5xx (SystemErrors) answering the service on the documents table"
      metrics = { for i, op in local.table_ops : "m${i}" => {
        name = "SystemErrors", dims = { TableName = var.dynamodb_table_name, Operation = op }
      } }
    }
    "dynamodb-user-errors" = {
      description = "DynamoDB 4xx (UserErrors, account and region wide: e.g. access denied to the task role)"
      metrics     = { m0 = { name = "UserErrors", dims = {} } }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "table" {
  for_each = local.table_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} of ${var.name}"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  # No requests is not an error.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.actions
  ok_actions         = local.actions

  metric_query {
    id          = "e"
    expression  = join(" + ", [for id in keys(each.value.metrics) : "FILL(${id}, 0)"])
    label       = each.key
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value.name
        stat        = "Sum"
        period      = 60
        dimensions  = metric_query.value.dims
      }
    }
  }

  tags = var.tags
}

################################################################################
# The service's own figures, from its JSON access logs: CloudWatch metric
# filters rather than the embedded metric format. The access lines already
# carry `cache` and `s3_status`; filters need no code change, add no log
# volume (EMF would add a metrics blob to every line) and are billed as four
# custom metrics. /metrics (Prometheus) stays for scrapers inside the VPC.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
################################################################################

locals {
  namespace = var.name
  log_metrics = {
    CacheHit         = "{ $.event = \"access\" && $.cache = \"HIT\" }"
    CacheMiss        = "{ $.event = \"access\" && $.cache = \"MISS\" }"
    CacheRevalidated = "{ $.event = \"access\" && $.cache = \"REVALIDATED\" }"
    CacheStale       = "{ $.event = \"access\" && $.cache = \"STALE\" }"
    # An S3 answer other than success, not-modified or not-found (those are
    # the clients' business), including no answer at all (s3_status 0).
    S3Errors = "{ $.event = \"access\" && $.s3_status != 200 && $.s3_status != 304 && $.s3_status != 404 }"
  }
}

resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each = local.log_metrics

  name           = "${var.name}-${each.key}"
  log_group_name = var.log_group_name
  pattern        = each.value

  metric_transformation {
    name          = each.key
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

################################################################################
# Dashboard: one per environment
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
################################################################################

locals {
  region = data.aws_region.current.name
  lb     = ["LoadBalancer", var.lb_arn_suffix]
  tg     = ["LoadBalancer", var.lb_arn_suffix, "TargetGroup", var.target_group_arn_suffix]
  svc    = ["ClusterName", var.cluster_name, "ServiceName", var.service_name]

  widgets = [
    { title = "Requests per minute", stat = "Sum", metrics = [
      concat(["AWS/ApplicationELB", "RequestCount"], local.lb),
    ] },
    { title = "Target response time p50 / p99 (s)", stat = "p50", metrics = [
      concat(["AWS/ApplicationELB", "TargetResponseTime"], local.tg, [{ stat = "p50", label = "p50" }]),
      concat(["AWS/ApplicationELB", "TargetResponseTime"], local.tg, [{ stat = "p99", label = "p99" }]),
    ] },
    { title = "4xx / 5xx per minute", stat = "Sum", metrics = [
      concat(["AWS/ApplicationELB", "HTTPCode_Target_4XX_Count"], local.lb),
      concat(["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"], local.lb),
      concat(["AWS/ApplicationELB", "HTTPCode_ELB_4XX_Count"], local.lb),
      concat(["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"], local.lb),
    ] },
    { title = "Tasks: running, desired, healthy targets", stat = "Minimum", metrics = [
      concat(["ECS/ContainerInsights", "RunningTaskCount"], local.svc),
      concat(["ECS/ContainerInsights", "DesiredTaskCount"], local.svc),
      concat(["AWS/ApplicationELB", "HealthyHostCount"], local.tg),
    ] },
    { title = "CPU and memory (% of reservation)", stat = "Average", metrics = [
      concat(["AWS/ECS", "CPUUtilization"], local.svc),
      concat(["AWS/ECS", "MemoryUtilization"], local.svc),
    ] },
    { title = "Cache (from the access logs)", stat = "Sum", metrics = [
      for m in ["CacheHit", "CacheMiss", "CacheRevalidated", "CacheStale"] : [local.namespace, m]
    ] },
    { title = "S3 errors (from the access logs)", stat = "Sum", metrics = [
      [local.namespace, "S3Errors"],
    ] },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name

  dashboard_body = jsonencode({
    widgets = concat(
      [for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = w.title
          region  = local.region
          stat    = w.stat
          period  = 60
          view    = "timeSeries"
          metrics = w.metrics
        }
      }],
      [{
        type   = "alarm"
        x      = 0
        y      = ceil(length(local.widgets) / 2) * 6
        width  = 24
        height = 4
        properties = {
          title  = "Alarms"
          alarms = [for a in concat(values(aws_cloudwatch_metric_alarm.deployment), values(aws_cloudwatch_metric_alarm.capacity)) : a.arn]
        }
      }],
    )
  })
}
