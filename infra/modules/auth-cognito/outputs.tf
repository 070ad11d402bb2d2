output "issuer" {
  description = "Token issuer (S3JSON_JWT_ISSUER): https://cognito-idp.<region>.amazonaws.com/<pool id>"
  value       = "https://cognito-idp.${local.region}.amazonaws.com/${aws_cognito_user_pool.this.id}"
}

output "jwks_url" {
  description = "Key set the service fetches (the issuer's /.well-known/jwks.json, S3JSON_JWT_JWKS_URL's default)"
  value       = "https://cognito-idp.${local.region}.amazonaws.com/${aws_cognito_user_pool.this.id}/.well-known/jwks.json"
}

output "token_endpoint" {
  description = "OAuth 2.0 token endpoint for the client credentials grant"
  value       = "https://${aws_cognito_user_pool_domain.this.domain}.auth.${local.region}.amazoncognito.com/oauth2/token"
}

output "user_pool_id" {
  description = "ID of the user pool"
  value       = aws_cognito_user_pool.this.id
}

output "client_id" {
  description = "App client for machine clients (S3JSON_JWT_AUDIENCE: Cognito's access tokens carry it as client_id)"
  value       = aws_cognito_user_pool_client.machine.id
}

output "client_secret" {
  description = "The app client's secret (sensitive: `terraform output -raw client_secret`, or describe-user-pool-client)"
  value       = aws_cognito_user_pool_client.machine.client_secret
  sensitive   = true
}

output "scopes" {
  description = "Scopes the app client may request"
  value       = sort(aws_cognito_user_pool_client.machine.allowed_oauth_scopes)
}
