# Service module: private tasks without public IPs reachable only from the
# ALB, least-privilege roles, hardened task definition, HTTPS when a domain is
# given, autoscaling and alarms.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/s3json-test" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/s3json-test" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/s3json-test" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/s3json-test:1" }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/s3json-test/0123456789abcdef"
      arn_suffix = "app/s3json-test/0123456789abcdef"
      dns_name   = "s3json-test-1234567890.eu-west-1.elb.amazonaws.com"
      zone_id    = "Z32O12XQLNTSW2"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/s3json-test/0123456789abcdef"
      arn_suffix = "targetgroup/s3json-test/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/s3json-test/0123456789abcdef/0123456789abcdef" }
  }
  mock_resource "aws_acm_certificate" {
    defaults = {
      arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
      domain_validation_options = [{
        domain_name           = "s3json.example.com"
        resource_record_name  = "_x.s3json.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_y.acm-validations.aws."
      }]
    }
  }
  mock_resource "aws_acm_certificate_validation" {
    defaults = { certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_security_group" {
    defaults = { id = "sg-0123456789abcdef0" }
  }
}

override_resource {
  target = aws_security_group.alb
  values = { id = "sg-0a1b00000000a1b00" }
}

override_resource {
  target = aws_security_group.tasks
  values = { id = "sg-07a5c00000007a5c0" }
}


variables {
  name                           = "s3json-test"
  vpc_id                         = "vpc-0123456789abcdef0"
  public_subnet_ids              = ["subnet-0pub0000000000a", "subnet-0pub0000000000b"]
  private_subnet_ids             = ["subnet-0priv000000000a", "subnet-0priv000000000b"]
  task_egress_security_group_ids = ["sg-0e0d00000000e0d00"]
  task_egress_prefix_list_ids    = ["pl-6da54004"]
  bucket_name                    = "s3json-documents-test"
  repository_url                 = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3json"
  repository_arn                 = "arn:aws:ecr:eu-west-1:123456789012:repository/s3json"
  image_tag                      = "1.2.3"
  # Most runs check the plain-HTTP shape; TLS is refused-by-default below.
  allow_plain_http = true
}

run "defaults_plan" {
  command = plan

  # Tasks: private subnets, no public IP
  assert {
    condition     = aws_ecs_service.this.network_configuration[0].assign_public_ip == false
    error_message = "tasks must not get a public IP"
  }
  assert {
    condition     = toset(aws_ecs_service.this.network_configuration[0].subnets) == toset(var.private_subnet_ids)
    error_message = "tasks must run in the private subnets only"
  }
  assert {
    condition     = aws_ecs_service.this.launch_type == "FARGATE" && aws_ecs_service.this.enable_execute_command == false
    error_message = "Fargate, without ECS Exec"
  }
  assert {
    condition     = aws_ecs_service.this.deployment_circuit_breaker[0].enable && aws_ecs_service.this.deployment_circuit_breaker[0].rollback
    error_message = "deployment circuit breaker with rollback expected"
  }
  assert {
    condition     = aws_ecs_service.this.availability_zone_rebalancing == "ENABLED"
    error_message = "tasks are rebalanced across AZs"
  }
  assert {
    condition     = aws_ecs_service.this.desired_count == 2
    error_message = "initial desired_count is the autoscaling minimum"
  }

  # Cluster
  assert {
    condition     = one([for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"]) == "enabled"
    error_message = "Container Insights must be enabled"
  }

  # Task definition
  assert {
    condition     = aws_ecs_task_definition.this.network_mode == "awsvpc" && toset(aws_ecs_task_definition.this.requires_compatibilities) == toset(["FARGATE"])
    error_message = "Fargate task definition in awsvpc mode"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].name == "s3json"
    error_message = "container name must be s3json"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3json:1.2.3"
    error_message = "image must be repository_url:image_tag"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].user == "10001:10001"
    error_message = "container must run as the non-root uid 10001"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == true
    error_message = "root filesystem must be read-only"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].privileged == false && jsondecode(aws_ecs_task_definition.this.container_definitions)[0].linuxParameters.capabilities.drop == ["ALL"]
    error_message = "unprivileged with every capability dropped"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout == 15
    error_message = "stopTimeout must be the drain (10 s) plus 5"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD", "/s3json", "healthcheck"]
    error_message = "container health check must run /s3json healthcheck"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings[0].containerPort == 8080
    error_message = "container port must be 8080"
  }
  assert {
    condition = {
      for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.name => e.value
      } == {
      S3JSON_STORE                      = "s3"
      S3JSON_BUCKET                     = "s3json-documents-test"
      S3JSON_PREFIX                     = ""
      AWS_REGION                        = "eu-west-1"
      S3JSON_PORT                       = "8080"
      S3JSON_DRAIN_SECONDS              = "10"
      S3JSON_CONNECTION_TIMEOUT_SECONDS = "75"
      S3JSON_LOG_LEVEL                  = "info"
      S3JSON_AUTH                       = "none"
    }
    error_message = "container environment must carry the service's settings"
  }
  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.logDriver == "awslogs" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/s3json-test"
    )
    error_message = "awslogs into the service's log group"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "log group must have a retention (30 days by default)"
  }

  # Load balancer
  assert {
    condition     = aws_lb.this.internal == false && aws_lb.this.load_balancer_type == "application"
    error_message = "internet-facing application load balancer expected"
  }
  assert {
    condition     = toset(aws_lb.this.subnets) == toset(var.public_subnet_ids)
    error_message = "the load balancer must sit in the public subnets"
  }
  assert {
    condition     = aws_lb.this.drop_invalid_header_fields == true
    error_message = "drop_invalid_header_fields must be on"
  }
  assert {
    condition     = aws_lb.this.enable_deletion_protection == true
    error_message = "deletion protection must default to on"
  }
  assert {
    condition = (
      aws_lb_target_group.this.health_check[0].path == "/healthz" &&
      aws_lb_target_group.this.health_check[0].matcher == "200" &&
      aws_lb_target_group.this.target_type == "ip" &&
      aws_lb_target_group.this.port == 8080
    )
    error_message = "IP target group on 8080 health-checked on /healthz"
  }
  assert {
    condition     = aws_lb_target_group.this.deregistration_delay == "15"
    error_message = "short deregistration delay (15 s) expected"
  }
  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "forward" && length(aws_lb_listener.https) == 0
    error_message = "without a domain: HTTP forwards, no HTTPS listener"
  }
  assert {
    condition     = toset(keys(aws_vpc_security_group_ingress_rule.alb)) == toset(["80-0.0.0.0/0"])
    error_message = "without a domain the ALB is open on 80 only"
  }

  # Security groups: tasks accept 8080 only, from one rule; egress HTTPS only
  assert {
    condition     = aws_vpc_security_group_ingress_rule.tasks_from_alb.from_port == 8080 && aws_vpc_security_group_ingress_rule.tasks_from_alb.to_port == 8080 && aws_vpc_security_group_ingress_rule.tasks_from_alb.cidr_ipv4 == null
    error_message = "task ingress is 8080 and never from a CIDR"
  }
  assert {
    condition = alltrue(concat(
      [for r in aws_vpc_security_group_egress_rule.tasks_https_endpoints : r.from_port == 443 && r.to_port == 443 && r.ip_protocol == "tcp"],
      [for r in aws_vpc_security_group_egress_rule.tasks_https_prefix_list : r.from_port == 443 && r.to_port == 443 && r.ip_protocol == "tcp"],
    ))
    error_message = "tasks reach out on 443 only"
  }
  # Issue 10, item 9: to the endpoints' SG and the S3 prefix list, not the VPC range.
  assert {
    condition     = length(aws_vpc_security_group_egress_rule.tasks_https_cidr) == 0
    error_message = "without NAT the tasks get no CIDR egress (not even the VPC's range)"
  }
  assert {
    condition = (
      [for r in aws_vpc_security_group_egress_rule.tasks_https_endpoints : r.referenced_security_group_id] == ["sg-0e0d00000000e0d00"] &&
      [for r in aws_vpc_security_group_egress_rule.tasks_https_prefix_list : r.prefix_list_id] == ["pl-6da54004"]
    )
    error_message = "task egress goes to the interface endpoints' security group and the S3 prefix list"
  }

  # Task role: read-only on the documents
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.task.policy).Statement) == 2
    error_message = "task role has exactly two statements"
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.task.policy).Statement :
    s.Effect == "Allow" && s.Action == "s3:GetObject" && s.Resource == "arn:aws:s3:::s3json-documents-test/*"])
    error_message = "task role: s3:GetObject on the bucket's objects"
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.task.policy).Statement :
    s.Effect == "Allow" && s.Action == "s3:ListBucket" && s.Resource == "arn:aws:s3:::s3json-documents-test"])
    error_message = "task role: s3:ListBucket on the bucket"
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.task.policy).Statement :
    contains(["s3:GetObject", "s3:ListBucket"], s.Action) && startswith(s.Resource, "arn:aws:s3:::s3json-documents-test")])
    error_message = "task role: no other action, no other bucket"
  }

  # Trust: only ECS tasks of this account
  assert {
    condition     = jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Principal.Service == "ecs-tasks.amazonaws.com" && jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "task role trusts ecs-tasks.amazonaws.com for this account only"
  }

  # Autoscaling
  assert {
    condition     = aws_appautoscaling_target.this.min_capacity == 2 && aws_appautoscaling_target.this.max_capacity == 6 && aws_appautoscaling_target.this.scalable_dimension == "ecs:service:DesiredCount"
    error_message = "scalable target 2..6 on the service's desired count"
  }
  assert {
    condition = {
      for k, p in aws_appautoscaling_policy.this : k => p.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type
      } == {
      cpu      = "ECSServiceAverageCPUUtilization"
      memory   = "ECSServiceAverageMemoryUtilization"
      requests = "ALBRequestCountPerTarget"
    }
    error_message = "target tracking on CPU, memory and ALB requests per target"
  }
  assert {
    condition = (
      aws_appautoscaling_policy.this["cpu"].target_tracking_scaling_policy_configuration[0].target_value == 60 &&
      aws_appautoscaling_policy.this["memory"].target_tracking_scaling_policy_configuration[0].target_value == 75 &&
      aws_appautoscaling_policy.this["requests"].target_tracking_scaling_policy_configuration[0].target_value == 1000
    )
    error_message = "default targets: CPU 60 %, memory 75 %, 1000 requests per target"
  }
  assert {
    condition     = alltrue([for p in aws_appautoscaling_policy.this : p.policy_type == "TargetTrackingScaling"])
    error_message = "policies are target tracking"
  }

  # Alarms
  assert {
    condition     = toset([for q in aws_cloudwatch_metric_alarm.http_5xx.metric_query : q.metric[0].metric_name if length(q.metric) > 0]) == toset(["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"])
    error_message = "5xx alarm covers load balancer and target 5xx"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.unhealthy_targets.metric_name == "UnHealthyHostCount" && aws_cloudwatch_metric_alarm.unhealthy_targets.threshold == 1
    error_message = "alarm on any unhealthy target"
  }
}

# Keep-alive order (issue 10, item 1): the task must hold an idle connection
# longer than the ALB, else the ALB reuses one the task has just closed (502).
# Issue 14: with the DynamoDB store the task role reads the table and
# nothing else: exactly GetItem, Scan, DescribeTable on its ARN, no S3.
run "dynamodb_store" {
  command = plan

  variables {
    documents_store = "dynamodb"
    bucket_name     = null
    table_name      = "s3json-test-documents"
    table_arn       = "arn:aws:dynamodb:eu-west-1:123456789012:table/s3json-test-documents"
    bucket_prefix   = "v1/"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.task.policy).Statement == [{
      Sid      = "ReadDocumentsTable"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan"]
      Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/s3json-test-documents"
    }]
    error_message = "task role: exactly dynamodb GetItem, Scan and DescribeTable on the table's ARN, and no S3 permission"
  }
  assert {
    condition = {
      for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.name => e.value
      if startswith(e.name, "S3JSON_") && contains(["S3JSON_STORE", "S3JSON_TABLE", "S3JSON_BUCKET", "S3JSON_PREFIX"], e.name)
      } == {
      S3JSON_STORE  = "dynamodb"
      S3JSON_TABLE  = "s3json-test-documents"
      S3JSON_PREFIX = "v1/"
    }
    error_message = "the container gets S3JSON_STORE=dynamodb, S3JSON_TABLE and the prefix, no S3JSON_BUCKET"
  }
  assert {
    condition     = output.task_role_policy == aws_iam_role_policy.task.policy
    error_message = "the task role's policy is an output (the environment's tests read it)"
  }
}

run "s3_store_has_no_table_permission" {
  command = plan

  assert {
    condition     = alltrue([for st in jsondecode(aws_iam_role_policy.task.policy).Statement : !startswith(jsonencode(st.Action), "[\"dynamodb") && !startswith(jsonencode(st.Action), "\"dynamodb")])
    error_message = "with the S3 store the task role has no DynamoDB permission"
  }
}

run "rejects_table_with_s3_store" {
  command = plan

  variables {
    table_name = "s3json-test-documents"
    table_arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/s3json-test-documents"
  }

  expect_failures = [var.table_name, var.table_arn]
}

run "rejects_dynamodb_store_without_table" {
  command = plan

  variables {
    documents_store = "dynamodb"
    bucket_name     = null
  }

  expect_failures = [var.table_name, var.table_arn]
}

run "rejects_unknown_store" {
  command = plan

  variables {
    documents_store = "mongodb"
  }

  expect_failures = [var.documents_store]
}

# Issue 15: bearer-token auth settings from the jwt object.
run "jwt_auth" {
  command = plan

  variables {
    jwt = {
      issuer   = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
      audience = "client123"
      jwks_url = "https://keys.example.com/jwks.json"
    }
  }

  assert {
    condition = {
      for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.name => e.value
      if startswith(e.name, "S3JSON_AUTH") || startswith(e.name, "S3JSON_JWT")
      } == {
      S3JSON_AUTH         = "jwt"
      S3JSON_JWT_ISSUER   = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
      S3JSON_JWT_AUDIENCE = "client123"
      S3JSON_JWT_JWKS_URL = "https://keys.example.com/jwks.json"
    }
    error_message = "S3JSON_AUTH=jwt with the issuer, audience and key set URL"
  }
}

run "rejects_plain_http_issuer" {
  command = plan

  variables {
    jwt = { issuer = "http://login.example.com", audience = "x" }
  }

  expect_failures = [var.jwt]
}

run "keep_alive_exceeds_idle_timeout" {
  command = plan

  assert {
    condition     = try(tonumber(one([for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.value if e.name == "S3JSON_CONNECTION_TIMEOUT_SECONDS"])), 0) > aws_lb.this.idle_timeout
    error_message = "S3JSON_CONNECTION_TIMEOUT_SECONDS must exceed the ALB idle timeout (60)"
  }
  assert {
    condition     = one([for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.value if e.name == "S3JSON_CONNECTION_TIMEOUT_SECONDS"]) == "75"
    error_message = "the task's keep-alive is the ALB idle timeout + 15 s"
  }
}

run "keep_alive_follows_idle_timeout" {
  command = plan

  variables {
    idle_timeout = 300
  }

  assert {
    condition     = aws_lb.this.idle_timeout == 300 && try(tonumber(one([for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.value if e.name == "S3JSON_CONNECTION_TIMEOUT_SECONDS"])), 0) == 315
    error_message = "a longer ALB idle timeout must lengthen the task's keep-alive with it"
  }
}

# The service accepts at most 3600; 3600 + 15 would stop it at start-up.
run "rejects_idle_timeout_beyond_keep_alive" {
  command = plan

  variables {
    idle_timeout = 3600
  }

  expect_failures = [var.idle_timeout]
}

run "defaults_apply" {
  assert {
    condition     = aws_vpc_security_group_ingress_rule.tasks_from_alb.security_group_id == aws_security_group.tasks.id && aws_vpc_security_group_ingress_rule.tasks_from_alb.referenced_security_group_id == aws_security_group.alb.id
    error_message = "task SG ingress must come from the ALB SG"
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.alb_to_tasks.referenced_security_group_id == aws_security_group.tasks.id && aws_vpc_security_group_egress_rule.alb_to_tasks.from_port == 8080
    error_message = "the ALB may only reach the tasks on 8080"
  }
  assert {
    condition = length([for r in aws_vpc_security_group_ingress_rule.alb : r if r.security_group_id == aws_security_group.tasks.id]) == 0 && alltrue([
      for r in aws_vpc_security_group_ingress_rule.alb : r.security_group_id == aws_security_group.alb.id
    ])
    error_message = "client CIDR rules attach to the ALB SG only"
  }
  assert {
    condition     = aws_ecs_service.this.network_configuration[0].security_groups == toset([aws_security_group.tasks.id])
    error_message = "tasks use the tasks SG only"
  }
  assert {
    condition     = aws_lb.this.security_groups == toset([aws_security_group.alb.id])
    error_message = "the ALB uses the ALB SG only"
  }
  assert {
    condition     = one(aws_ecs_service.this.load_balancer).target_group_arn == aws_lb_target_group.this.arn && one(aws_ecs_service.this.load_balancer).container_port == 8080
    error_message = "service registers into the target group"
  }
  assert {
    condition     = aws_appautoscaling_policy.this["requests"].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].resource_label == "app/s3json-test/0123456789abcdef/targetgroup/s3json-test/0123456789abcdef"
    error_message = "requests-per-target policy must point at this ALB's target group"
  }

  # Execution role: ECR pull from this repository, logs to this group, nothing else
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.task_exec.policy).Statement : s.Action])) == toset([
      "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
      "logs:CreateLogStream", "logs:PutLogEvents",
    ])
    error_message = "execution role: ECR pull and logs actions only"
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.task_exec.policy).Statement :
      s.Resource != "*" || s.Action == "ecr:GetAuthorizationToken"
    ])
    error_message = "only GetAuthorizationToken (no resource-level permissions) may use Resource *"
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.task_exec.policy).Statement :
    s.Sid == "EcrPull" && s.Resource == var.repository_arn])
    error_message = "image pull is limited to the repository"
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.task_exec.policy).Statement :
    s.Sid == "Logs" && s.Resource == "${aws_cloudwatch_log_group.this.arn}:*"])
    error_message = "logging is limited to the service's log group"
  }
  assert {
    condition     = aws_ecs_task_definition.this.execution_role_arn == aws_iam_role.task_exec.arn && aws_ecs_task_definition.this.task_role_arn == aws_iam_role.task.arn
    error_message = "task definition uses the two roles"
  }
  assert {
    condition     = output.url == "http://s3json-test-1234567890.eu-west-1.elb.amazonaws.com"
    error_message = "url is the ALB's DNS name over HTTP without a domain"
  }
}

run "https_with_domain" {
  command = plan

  variables {
    domain_name     = "s3json.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].port == 443 && aws_lb_listener.https[0].protocol == "HTTPS"
    error_message = "a domain adds an HTTPS listener"
  }
  assert {
    condition     = aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    error_message = "HTTPS listener uses a TLS 1.3 policy"
  }
  assert {
    condition     = aws_lb_listener.https[0].routing_http_response_strict_transport_security_header_value == "max-age=31536000; includeSubDomains"
    error_message = "HTTPS responses carry HSTS"
  }
  assert {
    condition = (
      aws_lb_listener.http.default_action[0].type == "redirect" &&
      aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http.default_action[0].redirect[0].port == "443" &&
      aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "HTTP redirects permanently to HTTPS"
  }
  assert {
    condition     = aws_acm_certificate.this[0].domain_name == "s3json.example.com" && aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "DNS-validated ACM certificate for the domain"
  }
  assert {
    condition     = toset(keys(aws_vpc_security_group_ingress_rule.alb)) == toset(["80-0.0.0.0/0", "443-0.0.0.0/0"])
    error_message = "with a domain the ALB is open on 80 and 443"
  }
  assert {
    condition     = output.url == "https://s3json.example.com"
    error_message = "url is https://domain"
  }
}

# Service creation waits for the listener that forwards to its target group
# (issue 10, item 7): over HTTP that is the HTTP listener ...
run "service_waits_for_http_listener" {
  override_resource {
    target = aws_lb_listener.http
    values = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/s3json-test/0123456789abcdef/00000000000000a0" }
  }

  assert {
    condition     = aws_ecs_service.this.triggers["listener_arn"] == aws_lb_listener.http.arn && aws_lb_listener.http.default_action[0].target_group_arn == aws_lb_target_group.this.arn
    error_message = "without a domain the service must wait for the HTTP listener, which forwards to its target group"
  }
}

# ... and with a domain the HTTPS listener, which waits for the certificate;
# the HTTP listener only redirects.
run "service_waits_for_https_listener" {
  variables {
    domain_name     = "s3json.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  override_resource {
    target = aws_lb_listener.http
    values = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/s3json-test/0123456789abcdef/00000000000000a0" }
  }
  override_resource {
    target = aws_lb_listener.https
    values = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/s3json-test/0123456789abcdef/0000000000000443" }
  }

  assert {
    condition     = aws_ecs_service.this.triggers["listener_arn"] == aws_lb_listener.https[0].arn && aws_lb_listener.https[0].default_action[0].target_group_arn == aws_lb_target_group.this.arn
    error_message = "with a domain the service must wait for the HTTPS listener, the one that forwards to its target group"
  }
  assert {
    condition     = aws_ecs_service.this.triggers["listener_arn"] != aws_lb_listener.http.arn
    error_message = "the HTTP listener only redirects: waiting for it alone races the certificate's validation"
  }
}

run "https_tls13_only" {
  command = plan

  variables {
    domain_name     = "s3json.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
    ssl_policy      = "ELBSecurityPolicy-TLS13-1-3-2021-06"
  }

  assert {
    condition     = aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    error_message = "ssl_policy is configurable among TLS 1.3 policies"
  }
}

run "domain_requires_zone" {
  command = plan

  variables {
    domain_name = "s3json.example.com"
  }

  expect_failures = [aws_acm_certificate.this]
}

run "rejects_tls12_policy" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.ssl_policy]
}

run "prefix_scoping" {
  command = plan

  variables {
    bucket_prefix = "v1/"
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.task.policy).Statement :
    s.Action == "s3:GetObject" && s.Resource == "arn:aws:s3:::s3json-documents-test/v1/*"])
    error_message = "GetObject is limited to the prefix"
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.task.policy).Statement :
    s.Action == "s3:ListBucket" && jsonencode(try(s.Condition.StringLike["s3:prefix"], null)) == jsonencode(["v1/*"])])
    error_message = "ListBucket is limited to the prefix"
  }
}

run "kms_documents" {
  command = plan

  variables {
    bucket_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.task.policy).Statement :
    s.Action == "kms:Decrypt" && s.Resource == var.bucket_kms_key_arn])
    error_message = "an SSE-KMS bucket adds kms:Decrypt on that key only"
  }
}

run "digest_and_limits" {
  command = plan

  variables {
    image_tag              = null
    image_digest           = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    drain_seconds          = 115
    container_health_check = false
    deletion_protection    = false
    log_retention_days     = 365
    autoscaling            = { min_capacity = 3, max_capacity = 10, cpu_target = 50 }
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3json@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    error_message = "a digest pins the image as repository_url@digest"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout == 120
    error_message = "stopTimeout is capped at Fargate's 120 s"
  }
  assert {
    condition     = !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "healthCheck")
    error_message = "the container health check can be turned off"
  }
  assert {
    condition     = aws_lb.this.enable_deletion_protection == false && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "deletion protection and retention follow the variables"
  }
  assert {
    condition     = aws_appautoscaling_target.this.min_capacity == 3 && aws_appautoscaling_target.this.max_capacity == 10 && aws_appautoscaling_policy.this["cpu"].target_tracking_scaling_policy_configuration[0].target_value == 50
    error_message = "autoscaling bounds and targets follow the variables"
  }
}

run "arm64" {
  command = plan

  variables {
    cpu_architecture = "ARM64"
  }

  assert {
    condition     = aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "ARM64" && aws_ecs_task_definition.this.runtime_platform[0].operating_system_family == "LINUX"
    error_message = "cpu_architecture = ARM64 runs the tasks on Linux/ARM64 (Graviton)"
  }
  assert {
    condition     = output.cpu_architecture == "ARM64"
    error_message = "the cpu_architecture output is the task definition's"
  }
}

run "rejects_lowercase_architecture" {
  command = plan

  variables {
    cpu_architecture = "arm64"
  }

  expect_failures = [var.cpu_architecture]
}

run "rejects_latest" {
  command = plan

  variables {
    image_tag = "latest"
  }

  expect_failures = [var.image_tag]
}

run "rejects_tag_and_digest" {
  command = plan

  variables {
    image_digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }

  expect_failures = [aws_ecs_task_definition.this]
}

run "rejects_no_image" {
  command = plan

  variables {
    image_tag = null
  }

  expect_failures = [aws_ecs_task_definition.this]
}

run "rejects_long_drain" {
  command = plan

  variables {
    drain_seconds = 200
  }

  expect_failures = [var.drain_seconds]
}

run "rejects_bad_autoscaling" {
  command = plan

  variables {
    autoscaling = { min_capacity = 5, max_capacity = 2 }
  }

  expect_failures = [var.autoscaling]
}

run "rejects_bad_retention" {
  command = plan

  variables {
    log_retention_days = 10
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_single_az" {
  command = plan

  variables {
    private_subnet_ids = ["subnet-0priv000000000a"]
  }

  expect_failures = [var.private_subnet_ids]
}

# scripts/deploy computes how long to wait for a deployment from this output:
# it must carry the values the resources are created with.
run "deployment_timing_follows_the_variables" {
  command = plan

  variables {
    health_check_grace_period_seconds = 45
    deregistration_delay              = 20
    drain_seconds                     = 10
    autoscaling                       = { min_capacity = 2, max_capacity = 5 }
  }

  assert {
    condition = output.deployment_timing == {
      max_tasks                    = 5
      health_check_grace_seconds   = 45
      health_check_interval        = 10
      health_check_timeout         = 5
      healthy_threshold            = 2
      unhealthy_threshold          = 3
      deregistration_delay_seconds = 20
      stop_timeout_seconds         = 15
      circuit_breaker_rollback     = true
    }
    error_message = "deployment_timing does not carry the service's timing values"
  }
  assert {
    condition = (
      output.deployment_timing.health_check_interval == aws_lb_target_group.this.health_check[0].interval &&
      output.deployment_timing.unhealthy_threshold == aws_lb_target_group.this.health_check[0].unhealthy_threshold &&
      output.deployment_timing.health_check_grace_seconds == aws_ecs_service.this.health_check_grace_period_seconds &&
      output.deployment_timing.stop_timeout_seconds == jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout
    )
    error_message = "deployment_timing disagrees with the target group, the service or the task definition"
  }
}

run "deployment_timing_without_grace" {
  command = plan

  variables {
    health_check_grace_period_seconds = null
  }

  assert {
    condition     = output.deployment_timing.health_check_grace_seconds == 0
    error_message = "no grace period must count as 0 s"
  }
}

run "refuses_plain_http_by_default" {
  command = plan

  variables {
    allow_plain_http = false
  }

  expect_failures = [var.allow_plain_http]
}

run "https_with_certificate_arn" {
  command = apply

  variables {
    allow_plain_http = false
    certificate_arn  = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-1111-1111-1111-111111111111"
  }

  override_resource {
    target = aws_lb_listener.https
    values = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/s3json-test/0123456789abcdef/0000000000000443" }
  }

  assert {
    condition     = aws_lb_listener.https[0].certificate_arn == var.certificate_arn && length(aws_acm_certificate.this) == 0 && length(aws_route53_record.validation) == 0
    error_message = "an existing certificate is used as given; no certificate is requested"
  }
  assert {
    condition     = aws_lb_listener.https[0].routing_http_response_strict_transport_security_header_value == "max-age=31536000; includeSubDomains"
    error_message = "HTTPS responses carry HSTS for a year"
  }
  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    error_message = "HTTP answers 301 to HTTPS"
  }
  assert {
    condition     = aws_lb_listener_rule.internal_paths.listener_arn == aws_lb_listener.https[0].arn
    error_message = "the internal-path rule sits on the serving (HTTPS) listener"
  }
  assert {
    condition     = output.url == "https://s3json-test-1234567890.eu-west-1.elb.amazonaws.com"
    error_message = "url is https:// on the load balancer's name without a domain"
  }
}

run "internal_paths_not_public" {
  command = apply

  assert {
    condition     = toset(flatten([for c in aws_lb_listener_rule.internal_paths.condition : [for p in c.path_pattern : p.values]])) == toset(["/metrics", "/metrics/*", "/readyz", "/readyz/*"])
    error_message = "/metrics and /readyz (and anything under them) match the rule"
  }
  assert {
    condition = (
      aws_lb_listener_rule.internal_paths.action[0].type == "fixed-response" &&
      aws_lb_listener_rule.internal_paths.action[0].fixed_response[0].status_code == "404" &&
      jsondecode(aws_lb_listener_rule.internal_paths.action[0].fixed_response[0].message_body).error == "not_found"
    )
    error_message = "internal paths answer a JSON 404 at the load balancer"
  }
  assert {
    condition     = aws_lb_listener_rule.internal_paths.listener_arn == aws_lb_listener.http.arn && aws_lb_listener_rule.internal_paths.priority == 1
    error_message = "without TLS the rule sits first on the HTTP listener"
  }
  assert {
    condition     = aws_lb_target_group.this.health_check[0].path == "/healthz"
    error_message = "the health check still reaches the tasks on /healthz"
  }
}

run "hsts_configurable" {
  command = plan

  variables {
    certificate_arn      = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-1111-1111-1111-111111111111"
    hsts_max_age_seconds = 300
  }

  assert {
    condition     = aws_lb_listener.https[0].routing_http_response_strict_transport_security_header_value == "max-age=300; includeSubDomains"
    error_message = "hsts_max_age_seconds sets max-age"
  }
}

run "rejects_bad_certificate_arn" {
  command = plan

  variables {
    certificate_arn = "arn:aws:iam::123456789012:server-certificate/x"
  }

  expect_failures = [var.certificate_arn]
}

run "deployment_alarms_roll_back" {
  command = plan

  variables {
    deployment_alarm_names = ["s3json-test-5xx-rate", "s3json-test-p99-latency"]
    alarm_actions          = ["arn:aws:sns:eu-west-1:123456789012:s3json-test-alarms"]
  }

  assert {
    condition = (
      aws_ecs_service.this.alarms[0].enable && aws_ecs_service.this.alarms[0].rollback &&
      aws_ecs_service.this.alarms[0].alarm_names == toset(["s3json-test-5xx-rate", "s3json-test-p99-latency"])
    )
    error_message = "a deployment that raises the deployment alarms rolls back"
  }
  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.http_5xx, aws_cloudwatch_metric_alarm.unhealthy_targets] :
      a.alarm_actions == toset(var.alarm_actions) && a.ok_actions == toset(var.alarm_actions)
    ])
    error_message = "the service's own alarms notify on alarm and OK"
  }
}

run "lb_logs" {
  command = plan

  variables {
    lb_logs = {
      bucket            = "s3json-test-lb-logs-123456789012-eu-west-1"
      access_prefix     = "access"
      connection_prefix = "connection"
    }
  }

  assert {
    condition = (
      aws_lb.this.access_logs[0].enabled && aws_lb.this.access_logs[0].bucket == var.lb_logs.bucket && aws_lb.this.access_logs[0].prefix == "access" &&
      aws_lb.this.connection_logs[0].enabled && aws_lb.this.connection_logs[0].bucket == var.lb_logs.bucket && aws_lb.this.connection_logs[0].prefix == "connection"
    )
    error_message = "access and connection logs go to the log bucket under their prefixes"
  }
}

run "roles_carry_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/s3json-test-workload-boundary"
  }

  assert {
    condition     = aws_iam_role.task.permissions_boundary == var.permissions_boundary_arn && aws_iam_role.task_exec.permissions_boundary == var.permissions_boundary_arn
    error_message = "the task and execution roles carry the permissions boundary"
  }
}

run "fargate_spot" {
  command = plan
  # A fresh state, as for a new environment.
  state_key = "spot"

  variables {
    fargate_spot = true
  }

  assert {
    condition = (
      one(aws_ecs_service.this.capacity_provider_strategy).capacity_provider == "FARGATE_SPOT" &&
      contains(aws_ecs_cluster_capacity_providers.this.capacity_providers, "FARGATE_SPOT")
    )
    error_message = "fargate_spot runs the tasks through the FARGATE_SPOT capacity provider"
  }
}
