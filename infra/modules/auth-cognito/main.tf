# An identity provider for s3json's bearer tokens (issue 15): a Cognito user
# pool with a domain (its token endpoint), a resource server `s3json` whose
# scopes follow the document prefixes, and an app client for machine
# clients (OAuth 2.0 client credentials). The service verifies the pool's
# access tokens against its key set:
#   issuer  https://cognito-idp.<region>.amazonaws.com/<pool id>
#   JWKS    <issuer>/.well-known/jwks.json
# Cognito's scope names cannot hold `/`, so `read:team:*` stands for the
# names under `team/` (S3JSON_JWT_SCOPE_PREFIX `s3json/read:`).
# https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-define-resource-servers.html

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  scopes = concat(
    [{ name = "read:*", description = "Read every document" }],
    [for p in var.scope_prefixes : { name = "read:${replace(p, "/", ":")}:*", description = "Read the documents under ${p}/" }],
  )
}

resource "aws_cognito_user_pool" "this" {
  name                = var.name
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # Machine clients only: nobody signs up or signs in with a password here.
  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  tags = var.tags
}

# The domain serves the token endpoint (client credentials need it).
resource "aws_cognito_user_pool_domain" "this" {
  domain       = var.domain_prefix
  user_pool_id = aws_cognito_user_pool.this.id
}

resource "aws_cognito_resource_server" "this" {
  identifier   = "s3json"
  name         = "s3json"
  user_pool_id = aws_cognito_user_pool.this.id

  dynamic "scope" {
    for_each = local.scopes
    content {
      scope_name        = scope.value.name
      scope_description = scope.value.description
    }
  }
}

resource "aws_cognito_user_pool_client" "machine" {
  name         = "${var.name}-machine"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = [for s in local.scopes : "${aws_cognito_resource_server.this.identifier}/${s.name}"]
  supported_identity_providers         = ["COGNITO"]
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"

  access_token_validity = var.access_token_validity_minutes
  token_validity_units {
    access_token = "minutes"
  }
}
