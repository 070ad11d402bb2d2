/* ddb_tool.c -- drives ddb/client from the command line (integration and
 * fault tests of the DynamoDB store)
 *
 *   ddb_tool get KEY [--if-none-match V]     GetItem (KEY = prefix + name)
 *   ddb_tool scan PREFIX [START|- [LIMIT]]   one Scan page (LIMIT 1..1000,
 *                                            default 1000)
 *   ddb_tool describe                        DescribeTable (the probe)
 *
 * Configuration comes from the environment through settings_load, as in
 * s3json itself: S3JSON_STORE=dynamodb, S3JSON_TABLE,
 * AWS_ENDPOINT_URL_DYNAMODB, region, CA bundle, timeouts, credentials.
 * Prints one JSON object on stdout: the outcome ("code", s3_code_name), the
 * diag fields, and the result (body, its SHA-256 and the ETag; or keys and
 * the next start key). Exit status: 0 when the call returned, 2 on a usage
 * or setup error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "aws/credentials.h"
#include "ddb/client.h"
#include "s3/sigv4.h"
#include "settings.h"

static json_t *diag_json(enum s3_code rc, const struct s3_diag *d)
{
  return json_pack(
      "{s:s,s:i,s:i,s:I,s:s,s:s,s:s,s:s}", "code", s3_code_name(rc), "status",
      d->http_status, "attempts", d->attempts, "elapsed_ms",
      (json_int_t)d->elapsed_ms, "error_code", d->error.code, "error_message",
      d->error.message, "detail", d->detail, "request_id", d->request_id);
}

static int print_json(json_t *o)
{
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

  if (!s) {
    fprintf(stderr, "ddb_tool: cannot format the result\n");
    json_decref(o);
    return 2;
  }
  puts(s);
  free(s);
  json_decref(o);
  return 0;
}

static int cmd_get(struct ddb_client *c, int argc, char **argv)
{
  struct s3_conditions cond = {NULL, NULL};
  struct s3_object obj;
  struct s3_diag d;
  enum s3_code rc;
  char hex[SIGV4_HEX_LEN] = "";
  json_t *o;

  if (argc == 5 && !strcmp(argv[3], "--if-none-match"))
    cond.if_none_match = argv[4];
  else if (argc != 3)
    return 2;
  rc = ddb_get_item(c, argv[2], &cond, &obj, &d);
  o = diag_json(rc, &d);
  if (rc == S3_OK || rc == S3_NOT_MODIFIED)
    json_object_set_new(o, "etag", json_string(obj.etag));
  if (rc == S3_OK) {
    sigv4_sha256_hex(obj.body, obj.len, hex);
    json_object_set_new(o, "len", json_integer((json_int_t)obj.len));
    json_object_set_new(o, "sha256", json_string(hex));
    /* NULL (not set) when the body is not UTF-8 */
    json_object_set_new(o, "body", json_stringn(obj.body, obj.len));
  }
  s3_object_free(&obj);
  return print_json(o);
}

static int cmd_scan(struct ddb_client *c, int argc, char **argv)
{
  const char *start = argc > 3 && strcmp(argv[3], "-") ? argv[3] : NULL;
  int limit = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 1000;
  struct s3_list l;
  struct s3_diag d;
  enum s3_code rc;
  json_t *o, *keys;
  size_t i;

  if (argc < 3 || argc > 5)
    return 2;
  rc = ddb_scan(c, argv[2], start, limit, &l, &d);
  o = diag_json(rc, &d);
  if (rc == S3_OK) {
    keys = json_array();
    for (i = 0; i < l.nkeys; i++)
      json_array_append_new(keys, json_string(l.keys[i]));
    json_object_set_new(o, "keys", keys);
    json_object_set_new(o, "next_start",
                        l.next_token ? json_string(l.next_token) : json_null());
  }
  s3_list_free(&l);
  return print_json(o);
}

static int cmd_describe(struct ddb_client *c, int argc)
{
  struct s3_diag d;
  enum s3_code rc;

  if (argc != 2)
    return 2;
  memset(&d, 0, sizeof(d));
  rc = ddb_describe_table(c, &d);
  return print_json(diag_json(rc, &d));
}

static int usage(void)
{
  fprintf(stderr, "usage: ddb_tool get KEY [--if-none-match V]\n"
                  "       ddb_tool scan PREFIX [START|- [LIMIT]]\n"
                  "       ddb_tool describe\n");
  return 2;
}

static struct ddb_client *make_client(struct settings *s,
                                      struct aws_cred_provider **creds)
{
  struct ddb_client_config dc;
  struct ddb_client *c;
  char err[512];

  if (settings_load(s, NULL, err, sizeof(err)) != 0 ||
      s->store != SETTINGS_STORE_DYNAMODB) {
    fprintf(stderr, "ddb_tool: %s\n",
            s->store == SETTINGS_STORE_DYNAMODB ? err
                                                : "set S3JSON_STORE=dynamodb");
    return NULL;
  }
  *creds = aws_cred_provider_new(&s->aws, s->s3_timeout_ms, err, sizeof(err));
  if (!*creds) {
    fprintf(stderr, "ddb_tool: %s\n", err);
    return NULL;
  }
  memset(&dc, 0, sizeof(dc));
  dc.table = s->table;
  dc.region = s->region;
  dc.endpoint_url = s->endpoint_url_dynamodb;
  dc.ca_bundle = s->ca_bundle;
  dc.timeout_ms = s->s3_timeout_ms;
  dc.max_attempts = s->s3_max_attempts;
  dc.max_object_bytes = s->max_object_bytes;
  dc.creds = *creds;
  c = ddb_client_new(&dc, err, sizeof(err));
  if (!c)
    fprintf(stderr, "ddb_tool: %s\n", err);
  return c;
}

int main(int argc, char **argv)
{
  static struct settings s;
  struct aws_cred_provider *creds = NULL;
  struct ddb_client *c;
  int rc = 2;

  if (argc < 2)
    return usage();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  c = make_client(&s, &creds);
  if (c && !strcmp(argv[1], "get") && argc >= 3)
    rc = cmd_get(c, argc, argv);
  else if (c && !strcmp(argv[1], "scan"))
    rc = cmd_scan(c, argc, argv);
  else if (c && !strcmp(argv[1], "describe"))
    rc = cmd_describe(c, argc);
  if (c && rc == 2)
    usage();
  ddb_client_free(c);
  aws_cred_provider_free(creds);
  curl_global_cleanup();
  return rc;
}
