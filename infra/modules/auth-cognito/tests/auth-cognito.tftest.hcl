# Cognito module: a pool for machine clients, a domain, the resource server
# `s3json` with one scope per prefix, a client-credentials client with a
# secret that never prints, and the issuer/JWKS/token URLs.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name           = "s3json-test"
  domain_prefix  = "s3json-test-auth"
  scope_prefixes = ["team", "team/platform"]
}

run "pool" {
  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only && aws_cognito_user_pool.this.deletion_protection == "ACTIVE"
    error_message = "no self sign-up; deletion protection on by default"
  }
  assert {
    condition     = aws_cognito_resource_server.this.identifier == "s3json" && toset([for s in aws_cognito_resource_server.this.scope : s.scope_name]) == toset(["read:*", "read:team:*", "read:team:platform:*"])
    error_message = "resource server s3json with read:* and read:<prefix, : for />:* scopes"
  }
  assert {
    condition     = alltrue([for s in aws_cognito_resource_server.this.scope : !strcontains(s.scope_name, "/")])
    error_message = "Cognito scope names cannot hold a slash"
  }
  assert {
    condition = (
      aws_cognito_user_pool_client.machine.generate_secret &&
      aws_cognito_user_pool_client.machine.allowed_oauth_flows == toset(["client_credentials"]) &&
      aws_cognito_user_pool_client.machine.allowed_oauth_flows_user_pool_client &&
      output.scopes == tolist(["s3json/read:*", "s3json/read:team:*", "s3json/read:team:platform:*"])
    )
    error_message = "a machine client: client credentials, a generated secret, the resource server's scopes"
  }
  assert {
    condition = (
      output.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/${aws_cognito_user_pool.this.id}" &&
      output.jwks_url == "${output.issuer}/.well-known/jwks.json" &&
      output.token_endpoint == "https://s3json-test-auth.auth.eu-west-1.amazoncognito.com/oauth2/token" &&
      output.client_id == aws_cognito_user_pool_client.machine.id
    )
    error_message = "issuer, JWKS URL and token endpoint in Cognito's shapes"
  }
}

run "secret_is_sensitive" {
  command = plan

  assert {
    condition     = issensitive(output.client_secret)
    error_message = "the client secret never prints"
  }
}

run "rejects_reserved_domain" {
  command = plan

  variables {
    domain_prefix = "my-cognito-pool"
  }

  expect_failures = [var.domain_prefix]
}

run "rejects_prefix_with_slash_at_end" {
  command = plan

  variables {
    scope_prefixes = ["team/"]
  }

  expect_failures = [var.scope_prefixes]
}
