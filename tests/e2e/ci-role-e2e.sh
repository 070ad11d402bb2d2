#!/usr/bin/env bash
# ci-role-e2e.sh -- the CI deploy roles of infra/global/ci, used for real
# against the IAM-enforcing emulator (issue 12 item 7; test step
# tests/steps/61-ci-role-e2e.sh):
#
#   1. start the emulator (python3 -m emulator.emu) and bootstrap the backend
#   2. as the admin, apply global/ecr and infra/global/ci as shipped (OIDC
#      provider, plan and deploy roles, boundaries) for example/s3json
#   3. GitHub OIDC: AssumeRoleWithWebIdentity with tokens carrying GitHub's
#      claims; the trust policies decide (emulator Patch 3c: claims and
#      provider checked, the token's signature is not)
#   4. as the admin, create production's resources (VPC, security group,
#      target group, ECS cluster, KMS key tagged Environment=prod; a log
#      group, alarm, topic and role named s3json-prod-*)
#   5. as s3json-ci-deploy-staging: what staging needs is allowed (tagged
#      create/delete, roles with staging's boundary, staging's state key);
#      production's resources, roles without or with another boundary,
#      removing a boundary, changing the CI roles and passing any role but
#      staging's to an ECS task (iam:PassRole) are refused
#   6. as s3json-ci-deploy-staging: terraform apply of the WHOLE staging root
#      (infra/environments/staging) with staging's state key through the
#      real backend, plan again (no changes but a named emulator gap), destroy
#
# How each request is decided: moto's IAM check with the emulator's
# evaluator (tests/emulator/iam_policy.py) on every call, against the ARNs
# the request names with aws:RequestTag / aws:ResourceTag /
# iam:PermissionsBoundary / iam:PassedToService from the request (IAM, S3,
# EC2: patches 3-3b; ELB, ECS, logs, CloudWatch, SNS, autoscaling, WAFv2,
# KMS: patch 13b, service_auth.py). Staging's defaults leave WAF, ACM and
# Route 53 out of this apply (WAF off, no domain): WAF's scoping is
# unit-tested in tests/emulator/test_emu.py, ACM's and Route 53's by
# step 52-ci-policy only.
# Reports TAP: a line per check and the plan (tests/lib/lib.sh); "done: <step> (Ns)" as comments
# Usage: tests/e2e/ci-role-e2e.sh [-h]
# Env:   CI_ROLE_E2E_DIR  work directory (default build/ci-role-e2e; wiped first)
set -uo pipefail

case ${1:-} in
  -h | --help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1
. tests/lib/lib.sh # ok, ko, eq, skip_all and the TAP plan
work=${CI_ROLE_E2E_DIR:-$repo/build/ci-role-e2e}
rm -rf "$work"
mkdir -p "$work"
log=$work/e2e.log
: >"$log"

needs terraform aws python3 jq openssl
needs_python moto

. scripts/tf-env.sh
export TF_BACKEND_CONFIG=$work/backend.hcl
export TF_DATA_ROOT=$work/tfdata
export TF_BOOTSTRAP_STATE=$work/bootstrap.tfstate
T_EMU=90 T_APPLY=600 T_CLI=60

finish() {
  echo "# log: $log"
  done_testing
  exit $?
}
die() { ko "$*"; tail -n 40 "$log" | sed 's/^/  | /'; finish; }
run() { # LABEL COMMAND...: bounded, output to the log
  echo "--- $1" >>"$log"
  local label=$1
  shift
  local t0=$SECONDS
  timeout "$T_APPLY" "$@" >>"$log" 2>&1 || { echo "failed: $label ($((SECONDS - t0))s)" >>"$log"; return 1; }
  echo "done: $label ($((SECONDS - t0))s)" | tee -a "$log"
}

################################################################################
# 1. Emulator and backend
################################################################################

emu_dir=$work/emu
emu_pid=
stop_emulator() {
  stop_pid "$emu_pid"
  emu_pid=
}
trap stop_emulator EXIT
mkdir -p "$emu_dir"
python3 -m emulator.emu --port 0 --tls --state-dir "$emu_dir" \
  >"$emu_dir/stdout" 2>"$emu_dir/emu.log" </dev/null &
emu_pid=$!
for _ in $(seq 1 $((T_EMU * 10))); do
  [ -s "$emu_dir/ready.json" ] && break
  kill -0 "$emu_pid" 2>/dev/null || break
  sleep 0.1
done
[ -s "$emu_dir/ready.json" ] || { cat "$emu_dir/emu.log" >>"$log"; die "emulator did not start within ${T_EMU}s"; }
eval "$(tests/emulator/emulator.sh env "$emu_dir")"
region=$AWS_REGION
account=$(jq -r .account_id "$emu_dir/ready.json")
admin_key=$AWS_ACCESS_KEY_ID admin_secret=$AWS_SECRET_ACCESS_KEY
echo "emulator: $AWS_ENDPOINT_URL" | tee -a "$log"

printf 'region = "%s"\n' "$region" >"$work/global.tfvars"
run "bootstrap backend" scripts/tf-bootstrap.sh -var-file="$work/global.tfvars" || die "bootstrap failed"
state_bucket=$(sed -n 's/^bucket *= *"\(.*\)"$/\1/p' "$TF_BACKEND_CONFIG")

################################################################################
# 2. As the admin: the CI roles, as shipped
################################################################################

# The image repository the staging root reads (data source) and the deploy
# policy names.
run "apply global/ecr (admin)" scripts/tf-root.sh global/ecr apply -input=false -auto-approve -no-color \
  -var-file="$work/global.tfvars" || die "apply global/ecr failed"
gh_repo=example/s3json
printf 'region = "%s"\ngithub_repository = "%s"\n' "$region" "$gh_repo" >"$work/ci.tfvars"
run "apply global/ci (admin)" scripts/tf-root.sh global/ci apply -input=false -auto-approve -no-color \
  -var-file="$work/ci.tfvars" || die "apply global/ci failed"
scripts/tf-root.sh global/ci output -json >"$work/ci.outputs.json" 2>>"$log"
staging_role=$(jq -r .deploy_role_arns.value.staging "$work/ci.outputs.json")
prod_role=$(jq -r .deploy_role_arns.value.prod "$work/ci.outputs.json")
boundary=$(jq -r .boundary_arns.value.staging "$work/ci.outputs.json")
prod_boundary=$(jq -r .boundary_arns.value.prod "$work/ci.outputs.json")
eq "global/ci: staging deploy role" "arn:aws:iam::$account:role/s3json-ci-deploy-staging" "$staging_role"
eq "global/ci: staging boundary" "arn:aws:iam::$account:policy/s3json-staging-workload-boundary" "$boundary"

################################################################################
# 3. GitHub OIDC: the trust policies pick who gets which role
################################################################################

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
token() { # SUB [AUD]: a token with GitHub's claims (unsigned: see Patch 3c)
  printf '%s.%s.sig' "$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)" \
    "$(printf '{"iss":"https://token.actions.githubusercontent.com","aud":"%s","sub":"%s"}' "${2:-sts.amazonaws.com}" "$1" | b64url)"
}
assume() { # ROLE-ARN SUB [AUD] -> JSON credentials on stdout
  timeout "$T_CLI" aws sts assume-role-with-web-identity --no-sign-request --output json \
    --role-arn "$1" --role-session-name ci-role-e2e --web-identity-token "$(token "$2" "${3:-}")" \
    --query Credentials 2>>"$log"
}
refused_assume() { # NAME ROLE SUB [AUD]
  if out=$(assume "$2" "$3" "${4:-}"); then ko "$1 (got $(jq -r .AccessKeyId <<<"$out"))"; else ok "$1"; fi
}
env_sub="repo:$gh_repo:environment:staging"
refused_assume "OIDC: a pull request cannot assume the staging deploy role" "$staging_role" "repo:$gh_repo:pull_request"
refused_assume "OIDC: another repository cannot assume it" "$staging_role" "repo:someone/s3json:environment:staging"
refused_assume "OIDC: a token for another audience cannot" "$staging_role" "$env_sub" "other.example"
refused_assume "OIDC: the staging environment cannot assume the prod role" "$prod_role" "$env_sub"
creds=$(assume "$staging_role" "$env_sub") || die "OIDC: the staging environment cannot assume its deploy role"
ok "OIDC: the staging environment assumes s3json-ci-deploy-staging"
role_key=$(jq -r .AccessKeyId <<<"$creds") role_secret=$(jq -r .SecretAccessKey <<<"$creds")
role_token=$(jq -r .SessionToken <<<"$creds")

as_admin() { AWS_ACCESS_KEY_ID=$admin_key AWS_SECRET_ACCESS_KEY=$admin_secret AWS_SESSION_TOKEN='' \
  timeout "$T_CLI" aws --output text "$@" 2>>"$log"; }
as_role() { AWS_ACCESS_KEY_ID=$role_key AWS_SECRET_ACCESS_KEY=$role_secret AWS_SESSION_TOKEN=$role_token \
  timeout "$T_CLI" aws --output text "$@"; }
eq "the session is the staging deploy role" "arn:aws:sts::$account:assumed-role/s3json-ci-deploy-staging/ci-role-e2e" \
  "$(as_role sts get-caller-identity --query Arn 2>>"$log")"
allowed() { # NAME AWS-ARGS...: the role may
  local name=$1 out
  shift
  if out=$(as_role "$@" 2>&1); then ok "allowed: $name"; else ko "allowed: $name: $out"; fi
  echo "$out" >>"$log"
}
refused() { # NAME AWS-ARGS...: the role is refused with AccessDenied
  local name=$1 out
  shift
  if out=$(as_role "$@" 2>&1); then
    ko "refused: $name: it succeeded"
  elif grep -q 'AccessDenied\|UnauthorizedOperation' <<<"$out"; then
    ok "refused: $name"
  else
    ko "refused: $name: not an access denial: $out"
  fi
}
tags() { echo "ResourceType=$1,Tags=[{Key=Environment,Value=$2}]"; }

################################################################################
# 4. As the admin: production's resources
################################################################################

prod_vpc=$(as_admin ec2 create-vpc --cidr-block 10.90.0.0/16 --tag-specifications "$(tags vpc prod)" --query Vpc.VpcId)
prod_sg=$(as_admin ec2 create-security-group --group-name s3json-prod-e2e --description prod --vpc-id "$prod_vpc" \
  --tag-specifications "$(tags security-group prod)" --query GroupId)
trust_ecs='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
as_admin iam create-role --role-name s3json-prod-e2e-task --assume-role-policy-document "$trust_ecs" \
  --permissions-boundary "$prod_boundary" >/dev/null
[ -n "$prod_sg" ] || die "admin could not create production's security group"
# ... and of the services the emulator now scopes by ARN and tag (Patch 13b)
prod_tags=(--tags "Key=Environment,Value=prod")
prod_tg=$(as_admin elbv2 create-target-group --name s3json-prod-e2e --protocol HTTP --port 80 --target-type ip \
  --vpc-id "$prod_vpc" "${prod_tags[@]}" --query 'TargetGroups[0].TargetGroupArn')
as_admin ecs create-cluster --cluster-name s3json-prod-e2e --tags key=Environment,value=prod >/dev/null
as_admin logs create-log-group --log-group-name /ecs/s3json-prod-e2e
as_admin cloudwatch put-metric-alarm --alarm-name s3json-prod-e2e --metric-name m --namespace n --statistic Sum \
  --period 60 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanThreshold
prod_topic=$(as_admin sns create-topic --name s3json-prod-e2e --query TopicArn)
prod_key=$(as_admin kms create-key --tags TagKey=Environment,TagValue=prod --query KeyMetadata.KeyId)
if [ -z "$prod_tg" ] || [ -z "$prod_topic" ] || [ -z "$prod_key" ]; then die "admin could not create production's services"; fi

################################################################################
# 5. As the staging deploy role: allowed and refused
################################################################################

# EC2: created only tagged staging, changed only when tagged staging.
stg_vpc=$(as_role ec2 create-vpc --cidr-block 10.91.0.0/16 --tag-specifications "$(tags vpc staging)" \
  --query Vpc.VpcId 2>>"$log")
if [ -n "$stg_vpc" ]; then ok "allowed: create a VPC tagged Environment=staging"; else ko "allowed: create a VPC tagged Environment=staging"; fi
stg_sg=$(as_role ec2 create-security-group --group-name s3json-staging-e2e --description staging --vpc-id "$stg_vpc" \
  --tag-specifications "$(tags security-group staging)" --query GroupId 2>>"$log")
if [ -n "$stg_sg" ]; then ok "allowed: create a security group tagged staging"; else ko "allowed: create a security group tagged staging"; fi
allowed "add an ingress rule to staging's security group" ec2 authorize-security-group-ingress --group-id "$stg_sg" \
  --protocol tcp --port 443 --cidr 10.91.0.0/16
refused "create an untagged VPC" ec2 create-vpc --cidr-block 10.92.0.0/16
refused "create a VPC tagged Environment=prod" ec2 create-vpc --cidr-block 10.92.0.0/16 --tag-specifications "$(tags vpc prod)"
refused "open production's security group" ec2 authorize-security-group-ingress --group-id "$prod_sg" \
  --protocol tcp --port 22 --cidr 0.0.0.0/0
refused "delete production's security group" ec2 delete-security-group --group-id "$prod_sg"
eq "production's security group is still there" "$prod_sg" \
  "$(as_admin ec2 describe-security-groups --group-ids "$prod_sg" --query 'SecurityGroups[0].GroupId')"
allowed "delete staging's security group" ec2 delete-security-group --group-id "$stg_sg"

# IAM: roles only with staging's boundary, which stays.
refused "create a role without a permissions boundary" iam create-role --role-name s3json-staging-e2e-free \
  --assume-role-policy-document "$trust_ecs"
refused "create a role with production's boundary" iam create-role --role-name s3json-staging-e2e-free \
  --assume-role-policy-document "$trust_ecs" --permissions-boundary "$prod_boundary"
refused "create a production role (name) with staging's boundary" iam create-role --role-name s3json-prod-e2e-own \
  --assume-role-policy-document "$trust_ecs" --permissions-boundary "$boundary"
allowed "create a staging role with staging's boundary" iam create-role --role-name s3json-staging-e2e-task \
  --assume-role-policy-document "$trust_ecs" --permissions-boundary "$boundary"
refused "remove the boundary of staging's role (DeleteRolePermissionsBoundary)" \
  iam delete-role-permissions-boundary --role-name s3json-staging-e2e-task
refused "swap the boundary for production's" iam put-role-permissions-boundary --role-name s3json-staging-e2e-task \
  --permissions-boundary "$prod_boundary"
eq "staging's role keeps its boundary" "$boundary" \
  "$(as_admin iam get-role --role-name s3json-staging-e2e-task --query Role.PermissionsBoundary.PermissionsBoundaryArn)"
refused "attach AdministratorAccess to staging's role" iam attach-role-policy --role-name s3json-staging-e2e-task \
  --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
refused "delete production's role" iam delete-role --role-name s3json-prod-e2e-task
refused "edit the boundary policy" iam create-policy-version --policy-arn "$boundary" \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' --set-as-default
refused "widen its own trust (UpdateAssumeRolePolicy on s3json-ci-deploy-staging)" iam update-assume-role-policy \
  --role-name s3json-ci-deploy-staging --policy-document "$trust_ecs"
refused "give itself a policy" iam put-role-policy --role-name s3json-ci-deploy-staging --policy-name x \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
allowed "delete staging's role" iam delete-role --role-name s3json-staging-e2e-task

# ELB, ECS, logs, alarms, SNS, KMS: production's resources are out of reach
# (by tag or by name), and a task definition cannot hand a task a role that
# is not staging's (iam:PassRole with iam:PassedToService).
refused "delete production's target group" elbv2 delete-target-group --target-group-arn "$prod_tg"
refused "tag production's target group as staging's" elbv2 add-tags --resource-arns "$prod_tg" \
  --tags Key=Environment,Value=staging
refused "delete production's ECS cluster" ecs delete-cluster --cluster s3json-prod-e2e
refused "create an ECS cluster tagged prod" ecs create-cluster --cluster-name s3json-prod-e2e2 --tags key=Environment,value=prod
refused "delete production's log group" logs delete-log-group --log-group-name /ecs/s3json-prod-e2e
refused "shorten production's log retention" logs put-retention-policy --log-group-name /ecs/s3json-prod-e2e --retention-in-days 1
refused "delete production's alarm" cloudwatch delete-alarms --alarm-names s3json-prod-e2e
refused "change production's alarm topic" sns set-topic-attributes --topic-arn "$prod_topic" \
  --attribute-name DisplayName --attribute-value x
refused "subscribe to production's alarm topic" sns subscribe --topic-arn "$prod_topic" --protocol email \
  --notification-endpoint e2e@example.com
refused "schedule deletion of production's KMS key" kms schedule-key-deletion --key-id "$prod_key" --pending-window-in-days 7
td=(ecs register-task-definition --family s3json-staging-e2e --tags "key=Environment,value=staging"
  --container-definitions '[{"name":"c","image":"i","memory":64}]')
refused "pass production's role to a task" "${td[@]}" --task-role-arn "arn:aws:iam::$account:role/s3json-prod-e2e-task"
refused "pass its own deploy role to a task" "${td[@]}" --execution-role-arn "$staging_role"
as_admin iam create-role --role-name s3json-staging-e2e-task --assume-role-policy-document "$trust_ecs" \
  --permissions-boundary "$boundary" >/dev/null
allowed "pass staging's role to a task" "${td[@]}" --task-role-arn "arn:aws:iam::$account:role/s3json-staging-e2e-task"
refused "pass staging's role to another service (flow logs)" ec2 create-flow-logs --resource-type VPC \
  --resource-ids "$stg_vpc" --traffic-type ALL --log-group-name /vpc/s3json-staging-e2e \
  --deliver-logs-permission-arn "arn:aws:iam::$account:role/s3json-staging-e2e-task"
as_admin iam delete-role --role-name s3json-staging-e2e-task

# State: its own key only.
echo '{}' >"$work/empty.json"
allowed "write staging's state key" s3api put-object --bucket "$state_bucket" \
  --key environments/staging/e2e.json --body "$work/empty.json"
refused "write production's state key" s3api put-object --bucket "$state_bucket" \
  --key environments/prod/terraform.tfstate --body "$work/empty.json"
refused "delete the state bucket's policy" s3api delete-bucket-policy --bucket "$state_bucket"
as_admin s3api delete-object --bucket "$state_bucket" --key environments/staging/e2e.json >/dev/null

################################################################################
# 6. As the staging deploy role: terraform apply and destroy of the WHOLE
#    staging root (infra/environments/staging: network, ALB, ECS, logs,
#    alarms, dashboard, SNS, autoscaling, IAM task roles with the boundary,
#    S3) with staging's state key through the real backend
################################################################################

stg=(scripts/tf-root.sh environments/staging)
image_tag=e2e-$(git rev-parse --short=12 HEAD 2>/dev/null || echo local)
stg_vars=(-var "region=$region" -var "image_tag=$image_tag" -var "permissions_boundary_arn=$boundary")
as_role_tf=(env "AWS_ACCESS_KEY_ID=$role_key" "AWS_SECRET_ACCESS_KEY=$role_secret" "AWS_SESSION_TOKEN=$role_token")
tf_out() { "${as_role_tf[@]}" "${stg[@]}" output -raw "$1" 2>>"$log"; }
if run "apply environments/staging (role)" "${as_role_tf[@]}" "${stg[@]}" apply -input=false -auto-approve -no-color "${stg_vars[@]}"; then
  ok "terraform apply as s3json-ci-deploy-staging: the whole staging root"
  stg_vpc=$(tf_out vpc_id)
  eq "the VPC it made is tagged staging" "staging" \
    "$(as_admin ec2 describe-vpcs --vpc-ids "$stg_vpc" --query 'Vpcs[0].Tags[?Key==`Environment`].Value')"
  # The role can read back everything it made. The one change allowed is
  # the emulator gap infra-e2e names: moto drops the description of
  # security group rules that reference a group or prefix list.
  echo "--- plan environments/staging (role)" >>"$log"
  timeout "$T_APPLY" "${as_role_tf[@]}" "${stg[@]}" plan -input=false -no-color \
    -detailed-exitcode -out="$work/second.tfplan" "${stg_vars[@]}" >>"$log" 2>&1
  rc=$? # 0: no changes, 2: changes (checked below), other: failed
  unexpected=$("${as_role_tf[@]}" "${stg[@]}" show -json "$work/second.tfplan" 2>>"$log" | jq -r '
    .resource_changes[]? | select(.change.actions != ["no-op"] and .change.actions != ["read"])
    | (.change.before // {}) as $b | (.change.after // {}) as $a
    | select(.change.actions != ["update"] or (.type | test("^aws_vpc_security_group_(in|e)gress_rule$") | not)
        or ([($b + $a) | keys[] | select($b[.] != $a[.])] != ["description"]))
    | .address')
  if { [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; } && [ -z "$unexpected" ]; then
    ok "second plan as the role: no changes but the named emulator gap"
  else
    ko "second plan as the role (exit $rc): ${unexpected:-see $log}"
  fi
  refused "delete production's VPC" ec2 delete-vpc --vpc-id "$prod_vpc"
else
  ko "terraform apply as s3json-ci-deploy-staging (see $log)"
fi
grep -E 'AccessDenied|UnauthorizedOperation|not authorized' "$log" | sort -u | head -n 40 | sed 's/^/  | /'
if run "destroy environments/staging (role)" "${as_role_tf[@]}" "${stg[@]}" destroy -input=false -auto-approve -no-color "${stg_vars[@]}"; then
  ok "terraform destroy as the role"
else
  ko "terraform destroy as the role (see $log)"
fi
eq "production's VPC is untouched" "$prod_vpc" "$(as_admin ec2 describe-vpcs --vpc-ids "$prod_vpc" --query 'Vpcs[0].VpcId')"

finish
