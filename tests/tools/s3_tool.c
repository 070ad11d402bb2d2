/* s3_tool.c -- drives s3/client from the command line (integration tests)
 *
 *   s3_tool get KEY [--if-none-match V] [--if-modified-since V]
 *   s3_tool list PREFIX [TOKEN [MAX]]       (TOKEN "-" = none)
 *   s3_tool par THREADS COUNT KEY           (COUNT gets on each thread)
 *
 * Configuration comes from the environment through settings_load (bucket,
 * endpoint, region, CA bundle, timeouts, credentials), as in s3json itself.
 * Prints one JSON object on stdout: the outcome ("code", s3_code_name), the
 * diag fields, and the result (body and its SHA-256, or keys and token).
 * Exit status: 0 when the call returned, 2 on a usage or setup error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "aws/credentials.h"
#include "s3/client.h"
#include "s3/sigv4.h"
#include "settings.h"

#define TOOL_MAX_THREADS 64
#define TOOL_MAX_COUNT 10000

struct par_arg {
  struct s3_client *client;
  const char *key;
  long count;
  long ok;
  enum s3_code last;
};

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
    fprintf(stderr, "s3_tool: cannot format the result\n");
    json_decref(o);
    return 2;
  }
  puts(s);
  free(s);
  json_decref(o);
  return 0;
}

static int cmd_get(struct s3_client *c, int argc, char **argv)
{
  struct s3_conditions cond = {NULL, NULL};
  struct s3_object obj;
  struct s3_diag d;
  enum s3_code rc;
  char hex[SIGV4_HEX_LEN] = "";
  json_t *o;
  int i;

  for (i = 3; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--if-none-match"))
      cond.if_none_match = argv[i + 1];
    else if (!strcmp(argv[i], "--if-modified-since"))
      cond.if_modified_since = argv[i + 1];
    else
      return 2;
  }
  rc = s3_get_object(c, argv[2], &cond, &obj, &d);
  o = diag_json(rc, &d);
  if (rc == S3_OK || rc == S3_NOT_MODIFIED) {
    json_object_set_new(o, "etag", json_string(obj.etag));
    json_object_set_new(o, "last_modified", json_string(obj.last_modified));
  }
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

static int cmd_list(struct s3_client *c, int argc, char **argv)
{
  const char *token = argc > 3 && strcmp(argv[3], "-") ? argv[3] : NULL;
  int max = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 0;
  struct s3_list l;
  struct s3_diag d;
  enum s3_code rc;
  json_t *o, *keys;
  size_t i;

  rc = s3_list_objects(c, argv[2], token, max, &l, &d);
  o = diag_json(rc, &d);
  if (rc == S3_OK) {
    keys = json_array();
    for (i = 0; i < l.nkeys; i++)
      json_array_append_new(keys, json_string(l.keys[i]));
    json_object_set_new(o, "keys", keys);
    json_object_set_new(o, "truncated", json_boolean(l.truncated));
    json_object_set_new(o, "next_token",
                        l.next_token ? json_string(l.next_token) : json_null());
  }
  s3_list_free(&l);
  return print_json(o);
}

static void *par_run(void *p)
{
  struct par_arg *a = p;
  long i;

  for (i = 0; i < a->count; i++) {
    struct s3_object obj;
    struct s3_diag d;

    a->last = s3_get_object(a->client, a->key, NULL, &obj, &d);
    if (a->last == S3_OK)
      a->ok++;
    s3_object_free(&obj);
  }
  return NULL;
}

/* Many threads, one client: every get must succeed (run under ASan/TSan). */
static int cmd_par(struct s3_client *c, int argc, char **argv)
{
  long threads = strtol(argv[2], NULL, 10), count = strtol(argv[3], NULL, 10);
  struct par_arg args[TOOL_MAX_THREADS];
  pthread_t tid[TOOL_MAX_THREADS];
  long i, ok = 0;

  if (argc != 5 || threads < 1 || threads > TOOL_MAX_THREADS || count < 1 ||
      count > TOOL_MAX_COUNT)
    return 2;
  for (i = 0; i < threads; i++) {
    args[i] = (struct par_arg){c, argv[4], count, 0, S3_OK};
    if (pthread_create(&tid[i], NULL, par_run, &args[i]) != 0)
      return 2;
  }
  for (i = 0; i < threads; i++) {
    pthread_join(tid[i], NULL);
    ok += args[i].ok;
  }
  return print_json(json_pack("{s:s,s:I,s:I}", "code", "done", "ok",
                              (json_int_t)ok, "failed",
                              (json_int_t)(threads * count - ok)));
}

static int usage(void)
{
  fprintf(stderr, "usage: s3_tool get KEY [--if-none-match V] "
                  "[--if-modified-since V]\n"
                  "       s3_tool list PREFIX [TOKEN|- [MAX]]\n"
                  "       s3_tool par THREADS COUNT KEY\n");
  return 2;
}

static struct s3_client *make_client(struct settings *s,
                                     struct aws_cred_provider **creds)
{
  struct s3_client_config cc;
  struct s3_client *c;
  char err[512];

  if (settings_load(s, NULL, err, sizeof(err)) != 0) {
    fprintf(stderr, "s3_tool: %s\n", err);
    return NULL;
  }
  *creds = aws_cred_provider_new(&s->aws, s->s3_timeout_ms, err, sizeof(err));
  if (!*creds) {
    fprintf(stderr, "s3_tool: %s\n", err);
    return NULL;
  }
  memset(&cc, 0, sizeof(cc));
  cc.bucket = s->bucket;
  cc.region = s->region;
  cc.endpoint_url = s->endpoint_url;
  cc.ca_bundle = s->ca_bundle;
  cc.timeout_ms = s->s3_timeout_ms;
  cc.max_attempts = s->s3_max_attempts;
  cc.max_object_bytes = s->max_object_bytes;
  cc.creds = *creds;
  c = s3_client_new(&cc, err, sizeof(err));
  if (!c)
    fprintf(stderr, "s3_tool: %s\n", err);
  return c;
}

int main(int argc, char **argv)
{
  struct settings s;
  struct aws_cred_provider *creds = NULL;
  struct s3_client *c;
  int rc;

  if (argc < 3)
    return usage();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return 2;
  c = make_client(&s, &creds);
  if (!c)
    rc = 2;
  else if (!strcmp(argv[1], "get"))
    rc = cmd_get(c, argc, argv);
  else if (!strcmp(argv[1], "list"))
    rc = cmd_list(c, argc, argv);
  else if (!strcmp(argv[1], "par"))
    rc = cmd_par(c, argc, argv);
  else
    rc = usage();
  s3_client_free(c);
  aws_cred_provider_free(creds);
  curl_global_cleanup();
  return rc;
}
