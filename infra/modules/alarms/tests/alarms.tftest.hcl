# Alarms module: an encrypted topic, optional subscriptions, every alarm
# notifying the topic on alarm and OK, deployment alarms on 5xx rate and p99.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name                    = "s3json-test"
  cluster_name            = "s3json-test"
  service_name            = "s3json-test"
  lb_arn_suffix           = "app/s3json-test/0123456789abcdef"
  target_group_arn_suffix = "targetgroup/s3json-test/0123456789abcdef"
  log_group_name          = "/ecs/s3json-test"
}

run "defaults" {
  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == aws_kms_key.this.arn && aws_kms_key.this.enable_key_rotation
    error_message = "the topic is encrypted with a rotated customer key"
  }
  assert {
    condition     = contains([for s in jsondecode(aws_kms_key.this.policy).Statement : try(s.Principal.Service, "")], "cloudwatch.amazonaws.com")
    error_message = "CloudWatch may use the key to publish alarms"
  }
  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0 && length(aws_sns_topic_subscription.https) == 0
    error_message = "no subscription unless asked"
  }
  assert {
    condition = alltrue([
      for a in concat(values(aws_cloudwatch_metric_alarm.deployment), values(aws_cloudwatch_metric_alarm.capacity)) :
      a.alarm_actions == toset([aws_sns_topic.this.arn]) && a.ok_actions == toset([aws_sns_topic.this.arn])
    ])
    error_message = "every alarm notifies the topic on alarm and on OK"
  }
  assert {
    condition     = toset(output.alarm_names) == toset(["s3json-test-5xx-rate", "s3json-test-p99-latency", "s3json-test-healthy-below-desired", "s3json-test-running-below-desired"])
    error_message = "alarms on 5xx rate, p99 latency, healthy targets and running tasks"
  }
  assert {
    condition     = toset(output.deployment_alarm_names) == toset(["s3json-test-5xx-rate", "s3json-test-p99-latency"])
    error_message = "deployment alarms are 5xx rate and latency, not task counts"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.deployment["5xx-rate"].threshold == 5 && aws_cloudwatch_metric_alarm.deployment["p99-latency"].threshold == 1
    error_message = "default thresholds: 5% 5xx, p99 1 s"
  }
  assert {
    condition = one([
      for q in aws_cloudwatch_metric_alarm.deployment["p99-latency"].metric_query : q.metric[0].stat if q.id == "latency"
    ]) == "p99"
    error_message = "the latency alarm watches the p99 target response time"
  }
  assert {
    condition = alltrue([
      for a in aws_cloudwatch_metric_alarm.capacity : a.evaluation_periods == 10 && a.datapoints_to_alarm == 10
    ])
    error_message = "capacity alarms wait 10 minutes (longer than a rollout)"
  }
  assert {
    condition = one([
      for q in aws_cloudwatch_metric_alarm.capacity["running-below-desired"].metric_query : q.metric[0].metric_name if q.id == "actual"
    ]) == "RunningTaskCount"
    error_message = "running tasks come from Container Insights"
  }
}

run "subscriptions" {
  variables {
    email          = "oncall@example.com"
    https_endpoint = "https://events.example.com/sns"
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com" && aws_sns_topic_subscription.email[0].protocol == "email"
    error_message = "an e-mail subscription when asked"
  }
  assert {
    condition     = aws_sns_topic_subscription.https[0].protocol == "https"
    error_message = "an HTTPS subscription when asked"
  }
}

run "rejects_http_endpoint" {
  command = plan

  variables {
    https_endpoint = "http://events.example.com/sns"
  }

  expect_failures = [var.https_endpoint]
}

run "rejects_bad_email" {
  command = plan

  variables {
    email = "not-an-address"
  }

  expect_failures = [var.email]
}

run "dashboard" {
  command = plan

  assert {
    condition = toset(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for m in try(w.properties.metrics, []) : m[1]]
      ])) == toset([
      "RequestCount", "TargetResponseTime", "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count",
      "HTTPCode_ELB_4XX_Count", "HTTPCode_ELB_5XX_Count", "RunningTaskCount", "DesiredTaskCount", "HealthyHostCount",
      "CPUUtilization", "MemoryUtilization", "CacheHit", "CacheMiss", "CacheRevalidated", "CacheStale", "S3Errors",
    ])
    error_message = "the dashboard shows requests, latency, 4xx/5xx, tasks, CPU, memory, cache and S3 errors"
  }
  assert {
    condition = toset(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for m in try(w.properties.metrics, []) : m[length(m) - 1].stat if m[1] == "TargetResponseTime"]
    ])) == toset(["p50", "p99"])
    error_message = "latency as p50 and p99"
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["CacheStale"].pattern == "{ $.event = \"access\" && $.cache = \"STALE\" }" && aws_cloudwatch_log_metric_filter.this["CacheStale"].log_group_name == "/ecs/s3json-test"
    error_message = "stale answers are counted from the access logs"
  }
  assert {
    condition     = strcontains(aws_cloudwatch_log_metric_filter.this["S3Errors"].pattern, "$.s3_status != 200") && one(aws_cloudwatch_log_metric_filter.this["S3Errors"].metric_transformation).namespace == "s3json-test"
    error_message = "S3 errors are counted from the access logs' s3_status"
  }
}

# Issue 14: with the DynamoDB store, alarms on the table's throttling and
# errors notify the environment's topic like the others.
run "dynamodb_table_alarms" {
  variables {
    dynamodb_table_name = "s3json-test-documents"
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.table)) == toset(["dynamodb-throttled-requests", "dynamodb-read-throttle-events", "dynamodb-system-errors", "dynamodb-user-errors"])
    error_message = "alarms on ThrottledRequests, ReadThrottleEvents, SystemErrors and UserErrors"
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.table : a.alarm_actions == toset([aws_sns_topic.this.arn]) && a.ok_actions == toset([aws_sns_topic.this.arn]) && a.threshold == 0])
    error_message = "table alarms notify the topic on alarm and on OK, at the first event"
  }
  assert {
    condition = alltrue(flatten([for k, a in aws_cloudwatch_metric_alarm.table : [
      for q in a.metric_query : [for m in q.metric : m.namespace == "AWS/DynamoDB" && (k == "dynamodb-user-errors" ? length(m.dimensions) == 0 : try(m.dimensions.TableName, "") == "s3json-test-documents")]
    ]]))
    error_message = "table alarms watch AWS/DynamoDB metrics of this table (UserErrors has no table dimension)"
  }
  assert {
    condition     = toset(flatten([for q in aws_cloudwatch_metric_alarm.table["dynamodb-throttled-requests"].metric_query : [for m in q.metric : m.dimensions.Operation]])) == toset(["GetItem", "Scan", "DescribeTable"])
    error_message = "throttled requests are summed over the operations the service calls"
  }
  assert {
    condition     = length(output.alarm_names) == 8 && contains(output.alarm_names, "s3json-test-dynamodb-system-errors")
    error_message = "the table alarms are listed with the others"
  }
}

run "no_table_alarms_with_s3" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.table) == 0
    error_message = "no DynamoDB alarms when the documents are in S3"
  }
}
