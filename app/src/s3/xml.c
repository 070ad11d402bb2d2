/* xml.c -- the two S3 XML documents we read: ListObjectsV2 results and
 * error bodies (expat; pure, no I/O)
 *
 * Both parsers are small state machines over expat's callbacks that keep
 * only the few elements we use. Everything from the network is bounded
 * (document size, depth, key count and lengths), and a document type
 * declaration stops the parse: S3 never sends one, and refusing it closes
 * the door on entity expansion tricks.
 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "../util/buf.h"
#include "xml.h"

#define XML_NS_SEP '\n' /* cannot appear in a namespace URI */

enum list_field {
  FIELD_NONE = 0,
  FIELD_KEY,       /* ListBucketResult/Contents/Key */
  FIELD_TRUNCATED, /* ListBucketResult/IsTruncated */
  FIELD_TOKEN,     /* ListBucketResult/NextContinuationToken */
  FIELD_ENCODING   /* ListBucketResult/EncodingType */
};

struct list_ctx {
  XML_Parser parser;
  struct s3_list *out;
  size_t keys_alloc;
  int depth;
  int in_contents;   /* inside a Contents element */
  int contents_keys; /* Key elements seen in this Contents */
  enum list_field field;
  struct buf text; /* the current field's text */
  int url_encoded; /* EncodingType was "url": keys are to be decoded */
  int failed;
};

/* The local part of an expat namespace-qualified name ("uri\nName"). */
static const char *local_name(const XML_Char *name)
{
  const char *sep = strrchr(name, XML_NS_SEP);

  return sep ? sep + 1 : name;
}

static void list_fail(struct list_ctx *c)
{
  c->failed = 1;
  XML_StopParser(c->parser, XML_FALSE);
}

/* Any DTD is refused: S3 never sends one. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
  struct list_ctx *c = ud;

  list_fail(c);
}

static enum list_field field_of(const struct list_ctx *c, const char *name)
{
  if (c->depth == 2 && c->in_contents && !strcmp(name, "Key"))
    return FIELD_KEY;
  if (c->depth == 1 && !strcmp(name, "IsTruncated"))
    return FIELD_TRUNCATED;
  if (c->depth == 1 && !strcmp(name, "NextContinuationToken"))
    return FIELD_TOKEN;
  if (c->depth == 1 && !strcmp(name, "EncodingType"))
    return FIELD_ENCODING;
  return FIELD_NONE;
}

static size_t field_cap(enum list_field f)
{
  switch (f) {
  case FIELD_KEY:
    return 3 * S3_KEY_MAX; /* every byte may come as "%XX" */
  case FIELD_TOKEN:
    return S3_TOKEN_MAX;
  case FIELD_TRUNCATED:
    return sizeof("false");
  case FIELD_ENCODING:
    return sizeof("url");
  case FIELD_NONE:
    return 0;
  }
  return 0;
}

static void XMLCALL list_start(void *ud, const XML_Char *qname,
                               const XML_Char **attrs)
{
  struct list_ctx *c = ud;
  const char *name = local_name(qname);

  if (c->depth >= S3_XML_MAX_DEPTH ||
      (c->depth == 0 && strcmp(name, "ListBucketResult"))) {
    list_fail(c);
    return;
  }
  if (c->depth == 1 && !strcmp(name, "Contents")) {
    c->in_contents = 1;
    c->contents_keys = 0;
  }
  c->field = field_of(c, name);
  if (c->field != FIELD_NONE) {
    buf_free(&c->text);
    buf_init(&c->text, field_cap(c->field));
  }
  c->depth++;
}

static void XMLCALL list_text(void *ud, const XML_Char *s, int len)
{
  struct list_ctx *c = ud;

  if (c->field != FIELD_NONE && len > 0 &&
      buf_append(&c->text, s, (size_t)len) != BUF_OK)
    list_fail(c);
}

/* Moves the text of a finished Key into the key array. */
static int add_key(struct list_ctx *c)
{
  struct s3_list *l = c->out;
  size_t len;
  char *key;

  if (l->nkeys >= S3_LIST_MAX_KEYS || ++c->contents_keys > 1)
    return -1;
  if (l->nkeys == c->keys_alloc) {
    size_t n = c->keys_alloc ? c->keys_alloc * 2 : 64;
    char **k = realloc(l->keys, n * sizeof(*k));

    if (!k)
      return -1;
    l->keys = k;
    c->keys_alloc = n;
  }
  key = buf_detach(&c->text, &len);
  if (!key)
    return -1;
  l->keys[l->nkeys++] = key;
  return 0;
}

static int end_field(struct list_ctx *c)
{
  const char *t = c->text.data ? c->text.data : "";
  size_t len;

  switch (c->field) {
  case FIELD_KEY:
    return add_key(c);
  case FIELD_TRUNCATED:
    if (strcmp(t, "true") && strcmp(t, "false"))
      return -1;
    c->out->truncated = !strcmp(t, "true");
    return 0;
  case FIELD_TOKEN:
    if (c->out->next_token)
      return -1;
    c->out->next_token = buf_detach(&c->text, &len);
    return c->out->next_token ? 0 : -1;
  case FIELD_ENCODING:
    if (strcmp(t, "url")) /* the only encoding S3 knows */
      return -1;
    c->url_encoded = 1;
    return 0;
  case FIELD_NONE:
    return 0;
  }
  return 0;
}

static void XMLCALL list_end(void *ud, const XML_Char *qname)
{
  struct list_ctx *c = ud;

  c->depth--;
  if (c->field != FIELD_NONE && end_field(c) != 0) {
    list_fail(c);
    return;
  }
  c->field = FIELD_NONE;
  if (c->depth == 1 && c->in_contents) {
    c->in_contents = 0;
    if (c->contents_keys != 1) /* every object has exactly one Key */
      list_fail(c);
  }
}

void s3_list_free(struct s3_list *l)
{
  size_t i;

  if (!l)
    return;
  for (i = 0; i < l->nkeys; i++)
    free(l->keys[i]);
  free(l->keys);
  free(l->next_token);
  memset(l, 0, sizeof(*l));
}

/* Runs 'p' over the whole document; 0 when it is well-formed. */
static int parse_all(XML_Parser p, const char *xml, size_t len)
{
  /* expat takes an int length; S3 answers are far smaller anyway. */
  if (len > S3_XML_MAX_DOC)
    return -1;
  return XML_Parse(p, xml, (int)len, XML_TRUE) == XML_STATUS_OK ? 0 : -1;
}

static int hex_value(char ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* Decodes S3's encoding-type=url form of 's' in place, as botocore does
 * (unquote_plus): "%XX" is a byte, '+' a space. Returns the decoded
 * length (which may hold a NUL byte), or -1 for a malformed escape. */
static long url_decode(char *s)
{
  size_t i, o = 0;

  for (i = 0; s[i]; i++) {
    if (s[i] == '%') {
      int hi = hex_value(s[i + 1]), lo = hi < 0 ? -1 : hex_value(s[i + 2]);

      if (lo < 0)
        return -1;
      s[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      s[o++] = s[i] == '+' ? ' ' : s[i];
    }
  }
  s[o] = '\0';
  return (long)o;
}

/* Decodes every key when the listing says it is URL-encoded, and checks
 * the length of each. A key that decodes to hold a NUL byte cannot be a
 * document name (nor a C string): it is left out, as routes leaves out any
 * key that is not a document, rather than failing the whole page. */
static int list_keys_final(struct list_ctx *c)
{
  struct s3_list *l = c->out;
  size_t i, kept = 0;

  for (i = 0; i < l->nkeys; i++) {
    char *k = l->keys[i];
    long n = c->url_encoded ? url_decode(k) : (long)strlen(k);

    if (n < 0 || n > S3_KEY_MAX) {
      for (; i < l->nkeys; i++) /* the rest, then the listing fails */
        l->keys[kept++] = l->keys[i];
      l->nkeys = kept;
      return -1;
    }
    if ((size_t)n != strlen(k)) {
      free(k);
      continue;
    }
    l->keys[kept++] = k;
  }
  l->nkeys = kept;
  return 0;
}

/* A truncated listing must say where to go on, else paging stops early. */
static int list_consistent(struct s3_list *l)
{
  if (l->truncated)
    return l->next_token && *l->next_token ? 0 : -1;
  free(l->next_token);
  l->next_token = NULL;
  return 0;
}

int s3_xml_parse_list(const char *xml, size_t len, struct s3_list *out)
{
  struct list_ctx c;
  int rc;

  if (!out)
    return -1;
  memset(out, 0, sizeof(*out));
  if (!xml)
    return -1;
  memset(&c, 0, sizeof(c));
  c.out = out;
  buf_init(&c.text, 0);
  c.parser = XML_ParserCreateNS(NULL, XML_NS_SEP);
  if (!c.parser)
    return -1;
  XML_SetUserData(c.parser, &c);
  XML_SetElementHandler(c.parser, list_start, list_end);
  XML_SetCharacterDataHandler(c.parser, list_text);
  XML_SetStartDoctypeDeclHandler(c.parser, on_doctype);
  rc = parse_all(c.parser, xml, len);
  if (rc == 0 && (c.failed || c.depth != 0))
    rc = -1;
  if (rc == 0)
    rc = list_keys_final(&c);
  if (rc == 0)
    rc = list_consistent(out);
  XML_ParserFree(c.parser);
  buf_free(&c.text);
  if (rc != 0)
    s3_list_free(out);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Error documents                                                         */

struct error_ctx {
  XML_Parser parser;
  struct s3_error_doc *out;
  int depth;
  int is_error;  /* the root is <Error> */
  int code_done; /* </Code> was seen: the code is complete */
  char *field;   /* out->code or out->message while inside one */
  size_t field_size;
  size_t field_len;
};

static void XMLCALL error_doctype(void *ud, const XML_Char *name,
                                  const XML_Char *sysid, const XML_Char *pubid,
                                  int has_internal_subset)
{
  struct error_ctx *c = ud;

  XML_StopParser(c->parser, XML_FALSE);
}

static void XMLCALL error_start(void *ud, const XML_Char *qname,
                                const XML_Char **attrs)
{
  struct error_ctx *c = ud;
  const char *name = local_name(qname);

  if (c->depth >= S3_XML_MAX_DEPTH) {
    XML_StopParser(c->parser, XML_FALSE);
    return;
  }
  if (c->depth == 0)
    c->is_error = !strcmp(name, "Error");
  c->field = NULL;
  if (c->depth == 1 && c->is_error && !strcmp(name, "Code")) {
    c->field = c->out->code;
    c->field_size = sizeof(c->out->code);
  } else if (c->depth == 1 && c->is_error && !strcmp(name, "Message")) {
    c->field = c->out->message;
    c->field_size = sizeof(c->out->message);
  }
  if (c->field) {
    c->field[0] = '\0';
    c->field_len = 0;
  }
  c->depth++;
}

/* Appends what fits; the rest of a long message is cut, never overflows. */
static void XMLCALL error_text(void *ud, const XML_Char *s, int len)
{
  struct error_ctx *c = ud;
  size_t room, n;

  if (!c->field || len <= 0)
    return;
  room = c->field_size - 1 - c->field_len;
  n = (size_t)len < room ? (size_t)len : room;
  memcpy(c->field + c->field_len, s, n);
  c->field_len += n;
  c->field[c->field_len] = '\0';
}

static void XMLCALL error_end(void *ud, const XML_Char *qname)
{
  struct error_ctx *c = ud;

  c->depth--;
  if (c->field == c->out->code)
    c->code_done = 1;
  c->field = NULL;
}

int s3_xml_parse_error(const char *xml, size_t len, struct s3_error_doc *out)
{
  struct error_ctx c;

  if (!out)
    return -1;
  memset(out, 0, sizeof(*out));
  if (!xml || len == 0)
    return -1;
  memset(&c, 0, sizeof(c));
  c.out = out;
  c.parser = XML_ParserCreateNS(NULL, XML_NS_SEP);
  if (!c.parser)
    return -1;
  XML_SetUserData(c.parser, &c);
  XML_SetElementHandler(c.parser, error_start, error_end);
  XML_SetCharacterDataHandler(c.parser, error_text);
  XML_SetStartDoctypeDeclHandler(c.parser, error_doctype);
  /* Lenient on purpose: a complete Code read before a cut-off body still
   * helps the log, so the parse result itself is not checked. */
  (void)parse_all(c.parser, xml, len);
  XML_ParserFree(c.parser);
  if (!c.code_done)
    out->code[0] = '\0';
  return c.is_error && out->code[0] ? 0 : -1;
}
