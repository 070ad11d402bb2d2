################################################################################
# Topic
################################################################################

output "topic_arn" {
  description = "SNS topic every alarm notifies (alarm and OK)"
  value       = aws_sns_topic.this.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the topic"
  value       = aws_kms_key.this.arn
}

################################################################################
# Alarms
################################################################################

output "alarm_names" {
  description = "Names of this module's alarms"
  value       = [for a in concat(values(aws_cloudwatch_metric_alarm.deployment), values(aws_cloudwatch_metric_alarm.capacity), values(aws_cloudwatch_metric_alarm.table)) : a.alarm_name]
}

output "deployment_alarm_names" {
  description = "Alarms an ECS deployment watches (5xx rate, p99 latency): one in ALARM rolls the deployment back"
  value       = [for a in aws_cloudwatch_metric_alarm.deployment : a.alarm_name]
}

################################################################################
# Dashboard
################################################################################

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment"
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "service_metrics_namespace" {
  description = "Namespace of the metrics taken from the service's access logs (CacheHit, CacheMiss, CacheRevalidated, CacheStale, S3Errors)"
  value       = local.namespace
}
