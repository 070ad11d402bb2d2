/* test_xml.c -- s3/xml: ListObjectsV2 results and S3 error documents
 *
 * Well-formed, empty, truncated (every prefix of a real answer), not XML,
 * entities and DTDs, names at and past the limits, error documents, and a
 * deterministic mutation loop that must never crash (run it under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "s3/xml.h"
#include "util/buf.h"

#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static const char list_doc[] =
    HEAD "<ListBucketResult " NS ">"
         "<Name>bucket</Name><Prefix>v1/</Prefix><KeyCount>3</KeyCount>"
         "<MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
         "<ContinuationToken>abc</ContinuationToken>"
         "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
         "</NextContinuationToken>"
         "<Contents><Key>v1/a b.json</Key>"
         "<LastModified>2026-11-24T20:19:47.000Z</LastModified>"
         "<ETag>&quot;0123&quot;</ETag><Size>12</Size>"
         "<StorageClass>STANDARD</StorageClass></Contents>"
         "<Contents><Key>v1/&amp;&lt;&gt;&apos;&#x20AC;+=.json</Key>"
         "<Size>1</Size></Contents>"
         "<Contents><Key><![CDATA[v1/<cdata>.json]]></Key></Contents>"
         "</ListBucketResult>";

static int parse_list_str(const char *s, struct s3_list *l)
{
  return s3_xml_parse_list(s, strlen(s), l);
}

static void test_list_well_formed(void **state)
{
  struct s3_list l;

  assert_int_equal(parse_list_str(list_doc, &l), 0);
  assert_int_equal(l.nkeys, 3);
  assert_string_equal(l.keys[0], "v1/a b.json");
  assert_string_equal(l.keys[1], "v1/&<>'\xe2\x82\xac+=.json");
  assert_string_equal(l.keys[2], "v1/<cdata>.json");
  assert_true(l.truncated);
  assert_string_equal(l.next_token,
                      "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  s3_list_free(&l);
  assert_null(l.keys);
  assert_int_equal(l.nkeys, 0);
  s3_list_free(&l); /* twice is fine */
  s3_list_free(NULL);
}

static void test_list_empty(void **state)
{
  static const char *docs[] = {
      HEAD "<ListBucketResult " NS "><Name>b</Name><Prefix>none/</Prefix>"
           "<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
           "<IsTruncated>false</IsTruncated></ListBucketResult>",
      "<ListBucketResult/>",
      "<ListBucketResult></ListBucketResult>",
  };
  size_t i;

  for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
    struct s3_list l;

    assert_int_equal(parse_list_str(docs[i], &l), 0);
    assert_int_equal(l.nkeys, 0);
    assert_false(l.truncated);
    assert_null(l.next_token);
    s3_list_free(&l);
  }
}

static void test_list_not_truncated_drops_token(void **state)
{
  struct s3_list l;

  assert_int_equal(
      parse_list_str("<ListBucketResult><IsTruncated>false</IsTruncated>"
                     "<NextContinuationToken>x</NextContinuationToken>"
                     "<Contents><Key>k</Key></Contents></ListBucketResult>",
                     &l),
      0);
  assert_null(l.next_token);
  assert_int_equal(l.nkeys, 1);
  s3_list_free(&l);
}

/* Every proper prefix of a real answer is refused, without leaks. */
static void test_list_truncated_every_prefix(void **state)
{
  size_t n = strlen(list_doc), i;

  for (i = 0; i < n; i++) {
    struct s3_list l;

    l.nkeys = 99; /* must be reset */
    assert_int_equal(s3_xml_parse_list(list_doc, i, &l), -1);
    assert_int_equal(l.nkeys, 0);
    assert_null(l.keys);
    assert_null(l.next_token);
  }
}

static void test_list_rejects(void **state)
{
  static const char *docs[] = {
      "",
      "{\"not\": \"xml\"}",
      "<html><body>502 Bad Gateway</body></html>",
      "<Error><Code>NoSuchBucket</Code></Error>",
      "<ListBucketResult>",
      "<ListBucketResult></ListBucketResult><extra/>",
      "<ListBucketResult><Contents><Key>a</Key></Contents>",
      /* every object has exactly one Key */
      "<ListBucketResult><Contents><Size>1</Size></Contents>"
      "</ListBucketResult>",
      "<ListBucketResult><Contents><Key>a</Key><Key>b</Key></Contents>"
      "</ListBucketResult>",
      /* truncated without a way on */
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
      "<ListBucketResult><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken></NextContinuationToken></ListBucketResult>",
      "<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>",
      "<ListBucketResult><NextContinuationToken>a</NextContinuationToken>"
      "<NextContinuationToken>b</NextContinuationToken>"
      "<IsTruncated>true</IsTruncated></ListBucketResult>",
      /* entities: undefined, DTD-declared, billion laughs */
      "<ListBucketResult><Contents><Key>&foo;</Key></Contents>"
      "</ListBucketResult>",
      "<!DOCTYPE l [<!ENTITY a \"x\">]><ListBucketResult><Contents><Key>&a;"
      "</Key></Contents></ListBucketResult>",
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
      "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
      "<ListBucketResult><Contents><Key>&lol3;</Key></Contents>"
      "</ListBucketResult>",
      "<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><ListBucketResult/>",
      "<ListBucketResult><Contents><Key>&#0;</Key></Contents>"
      "</ListBucketResult>",
      "<ListBucketResult><Contents><Key>\xff\xfe</Key></Contents>"
      "</ListBucketResult>",
  };
  size_t i;

  for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
    struct s3_list l;

    if (parse_list_str(docs[i], &l) != -1)
      fail_msg("accepted doc %zu: %s", i, docs[i]);
    assert_int_equal(l.nkeys, 0);
  }
  assert_int_equal(s3_xml_parse_list(NULL, 0, &(struct s3_list){0}), -1);
  assert_int_equal(s3_xml_parse_list("<ListBucketResult/>", 19, NULL), -1);
}

/* A listing with one key of 'keylen' bytes, or 'nkeys' keys. */
static char *make_list(size_t keylen, size_t nkeys, size_t tokenlen)
{
  struct buf b;
  size_t i, len;

  buf_init(&b, 64 * 1024 * 1024);
  buf_append_str(&b, "<ListBucketResult>");
  if (tokenlen) {
    buf_append_str(&b, "<IsTruncated>true</IsTruncated>"
                       "<NextContinuationToken>");
    for (i = 0; i < tokenlen; i++)
      buf_append_char(&b, 'T');
    buf_append_str(&b, "</NextContinuationToken>");
  }
  for (i = 0; i < nkeys; i++) {
    buf_append_str(&b, "<Contents><Key>");
    if (keylen) {
      size_t j;

      for (j = 0; j < keylen; j++)
        buf_append_char(&b, 'k');
    } else {
      buf_printf(&b, "key-%06zu.json", i);
    }
    buf_append_str(&b, "</Key></Contents>");
  }
  buf_append_str(&b, "</ListBucketResult>");
  return buf_detach(&b, &len);
}

static void test_list_limits(void **state)
{
  struct s3_list l;
  char *doc;

  doc = make_list(S3_KEY_MAX, 1, 0);
  assert_int_equal(parse_list_str(doc, &l), 0);
  assert_int_equal(strlen(l.keys[0]), S3_KEY_MAX);
  s3_list_free(&l);
  free(doc);
  doc = make_list(S3_KEY_MAX + 1, 1, 0);
  assert_int_equal(parse_list_str(doc, &l), -1);
  free(doc);
  doc = make_list(1000 * 1000, 1, 0); /* huge name: cut off early */
  assert_int_equal(parse_list_str(doc, &l), -1);
  free(doc);

  doc = make_list(0, S3_LIST_MAX_KEYS, 0);
  assert_int_equal(parse_list_str(doc, &l), 0);
  assert_int_equal(l.nkeys, S3_LIST_MAX_KEYS);
  assert_string_equal(l.keys[999], "key-000999.json");
  s3_list_free(&l);
  free(doc);
  doc = make_list(0, S3_LIST_MAX_KEYS + 1, 0);
  assert_int_equal(parse_list_str(doc, &l), -1);
  free(doc);

  doc = make_list(0, 1, S3_TOKEN_MAX);
  assert_int_equal(parse_list_str(doc, &l), 0);
  assert_int_equal(strlen(l.next_token), S3_TOKEN_MAX);
  s3_list_free(&l);
  free(doc);
  doc = make_list(0, 1, S3_TOKEN_MAX + 1);
  assert_int_equal(parse_list_str(doc, &l), -1);
  free(doc);
}

/* encoding-type=url: what S3 answers when asked (EncodingType may come
 * after the keys, as moto sends it). */
static const char url_doc[] =
    HEAD "<ListBucketResult " NS ">"
         "<Name>bucket</Name><Prefix>v1%20%C3%A9+x%2B/</Prefix>"
         "<IsTruncated>false</IsTruncated>"
         "<Contents><Key>v1%20%C3%A9+x%2B/a+b.json</Key></Contents>"
         "<Contents><Key>v1%20%C3%A9+x%2B/odd%01key.json</Key></Contents>"
         "<Contents><Key>v1%20%C3%A9+x%2B/nul%00.json</Key></Contents>"
         "<Contents><Key>v1/caf%c3%a9%2fx%25.json</Key></Contents>"
         "<Contents><Key>plain.json</Key></Contents>"
         "<EncodingType>url</EncodingType>"
         "</ListBucketResult>";

static void test_list_url_encoded(void **state)
{
  struct s3_list l;

  assert_int_equal(parse_list_str(url_doc, &l), 0);
  assert_int_equal(l.nkeys, 4); /* the key with a NUL byte is left out */
  assert_string_equal(l.keys[0], "v1 \xc3\xa9 x+/a b.json");
  assert_string_equal(l.keys[1], "v1 \xc3\xa9 x+/odd\x01key.json");
  assert_string_equal(l.keys[2], "v1/caf\xc3\xa9/x%.json");
  assert_string_equal(l.keys[3], "plain.json");
  assert_false(l.truncated);
  s3_list_free(&l);
}

static void test_list_url_encoded_rejects(void **state)
{
  static const char *const bad[] = {
      "<Contents><Key>a%G1</Key></Contents><EncodingType>url</EncodingType>",
      "<Contents><Key>a%4</Key></Contents><EncodingType>url</EncodingType>",
      "<Contents><Key>a%</Key></Contents><EncodingType>url</EncodingType>",
      "<EncodingType>base64</EncodingType>",
      "<EncodingType>url</EncodingType><EncodingType>urls</EncodingType>",
  };
  struct s3_list l;
  char doc[512];
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(doc, sizeof(doc),
             HEAD "<ListBucketResult>%s<IsTruncated>false</IsTruncated>"
                  "</ListBucketResult>",
             bad[i]);
    if (parse_list_str(doc, &l) != -1)
      fail_msg("accepted: %s", bad[i]);
    assert_null(l.keys);
  }
  /* Without EncodingType, '%' and '+' are the key's own characters. */
  snprintf(doc, sizeof(doc),
           HEAD "<ListBucketResult><Contents><Key>a%%41+b</Key></Contents>"
                "<IsTruncated>false</IsTruncated></ListBucketResult>");
  assert_int_equal(parse_list_str(doc, &l), 0);
  assert_string_equal(l.keys[0], "a%41+b");
  s3_list_free(&l);
}

/* Limits apply to decoded keys: a 1024-byte key may take 3072 encoded. */
static void test_list_url_encoded_limits(void **state)
{
  struct s3_list l;
  struct buf b;
  size_t i;

  for (int extra = 0; extra <= 1; extra++) {
    buf_init(&b, 64 * 1024);
    assert_int_equal(
        buf_append_str(&b, HEAD "<ListBucketResult><Contents><Key>"), BUF_OK);
    for (i = 0; i < S3_KEY_MAX + (size_t)extra; i++)
      assert_int_equal(buf_append_str(&b, "%C3"), BUF_OK);
    assert_int_equal(
        buf_append_str(&b, "</Key></Contents><IsTruncated>false</IsTruncated>"
                           "<EncodingType>url</EncodingType>"
                           "</ListBucketResult>"),
        BUF_OK);
    assert_int_equal(s3_xml_parse_list(b.data, b.len, &l), extra ? -1 : 0);
    if (!extra)
      assert_int_equal(strlen(l.keys[0]), S3_KEY_MAX);
    s3_list_free(&l);
    buf_free(&b);
  }
}

static void test_list_depth_and_size(void **state)
{
  struct buf b;
  struct s3_list l;
  int i;

  buf_init(&b, 1024 * 1024);
  buf_append_str(&b, "<ListBucketResult>");
  for (i = 0; i < 10000; i++)
    buf_append_str(&b, "<a>");
  assert_int_equal(s3_xml_parse_list(b.data, b.len, &l), -1);
  buf_free(&b);
  /* past S3_XML_MAX_DOC: refused before parsing (no read past 'len' either:
   * only the length is looked at) */
  assert_int_equal(
      s3_xml_parse_list("<ListBucketResult/>", (size_t)S3_XML_MAX_DOC + 1, &l),
      -1);
}

/* Other elements, names with a namespace prefix, whitespace in keys. */
static void test_list_tolerates(void **state)
{
  struct s3_list l;

  assert_int_equal(
      parse_list_str(
          "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/"
          "2006-03-01/\"><s3:CommonPrefixes><s3:Prefix>p/</s3:Prefix>"
          "</s3:CommonPrefixes><s3:Contents><s3:Owner><s3:ID>x</s3:ID>"
          "</s3:Owner><s3:Key> spaced  key </s3:Key></s3:Contents>"
          "<Unknown><Key>not-a-key</Key></Unknown>"
          "</s3:ListBucketResult>",
          &l),
      0);
  assert_int_equal(l.nkeys, 1);
  assert_string_equal(l.keys[0], " spaced  key ");
  s3_list_free(&l);
}

/* ---------------------------------------------------------------------- */

static void test_error_doc(void **state)
{
  struct s3_error_doc e;
  const char *doc =
      HEAD "<Error><Code>NoSuchKey</Code><Message>The specified key does "
           "not exist.</Message><Key>a &amp; b.json</Key>"
           "<RequestId>4442587FB7D0A2F9</RequestId></Error>";

  assert_int_equal(s3_xml_parse_error(doc, strlen(doc), &e), 0);
  assert_string_equal(e.code, "NoSuchKey");
  assert_string_equal(e.message, "The specified key does not exist.");
}

static void test_error_doc_cut(void **state)
{
  struct s3_error_doc e;
  struct buf b;
  int i;

  /* long code and message are cut to fit, never overflow */
  buf_init(&b, 1024 * 1024);
  buf_append_str(&b, "<Error><Code>");
  for (i = 0; i < 1000; i++)
    buf_append_char(&b, 'C');
  buf_append_str(&b, "</Code><Message>");
  for (i = 0; i < 100000; i++)
    buf_append_str(&b, "m&amp;");
  buf_append_str(&b, "</Message></Error>");
  assert_int_equal(s3_xml_parse_error(b.data, b.len, &e), 0);
  assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
  assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
  assert_memory_equal(e.message, "m&m&", 4);
  buf_free(&b);
}

static void test_error_doc_variants(void **state)
{
  static const struct {
    const char *doc;
    int rc;
    const char *code;
    const char *message;
  } cases[] = {
      {"<Error><Code>SlowDown</Code></Error>", 0, "SlowDown", ""},
      {"<Error><Message>m</Message><Code>AccessDenied</Code></Error>", 0,
       "AccessDenied", "m"},
      /* complete Code, body cut afterwards: still useful */
      {"<Error><Code>InternalError</Code><Mess", 0, "InternalError", ""},
      /* cut inside the Code: not trusted */
      {"<Error><Code>NoSu", -1, "", ""},
      {"<Error><Message>no code</Message></Error>", -1, "", "no code"},
      {"<Error><Code></Code></Error>", -1, "", ""},
      {"<ListBucketResult><Code>X</Code></ListBucketResult>", -1, "", ""},
      {"<Error><Detail><Code>Nested</Code></Detail></Error>", -1, "", ""},
      {"not xml at all", -1, "", ""},
      {"", -1, "", ""},
      {"<!DOCTYPE e [<!ENTITY x \"Boom\">]><Error><Code>&x;</Code></Error>", -1,
       "", ""},
      {"<Error xmlns=\"urn:x\"><Code>Ns</Code></Error>", 0, "Ns", ""},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct s3_error_doc e;

    memset(&e, 'x', sizeof(e));
    if (s3_xml_parse_error(cases[i].doc, strlen(cases[i].doc), &e) !=
        cases[i].rc)
      fail_msg("case %zu: %s", i, cases[i].doc);
    assert_string_equal(e.code, cases[i].code);
    assert_string_equal(e.message, cases[i].message);
  }
  assert_int_equal(s3_xml_parse_error(NULL, 5, &(struct s3_error_doc){0}), -1);
  assert_int_equal(s3_xml_parse_error("<Error/>", 8, NULL), -1);
}

/* Deterministic mutations of real documents: must never crash or leak.
 * The verdict itself does not matter here. */
static void test_mutations_never_crash(void **state)
{
  static const char err_doc[] =
      "<Error><Code>NoSuchKey</Code><Message>m</Message></Error>";
  const char *seeds[] = {list_doc, err_doc};
  uint32_t x = 2463534242u;
  int i;

  for (i = 0; i < 20000; i++) {
    const char *seed = seeds[i & 1];
    size_t n = strlen(seed), j, muts;
    char *doc = malloc(n);
    struct s3_list l;
    struct s3_error_doc e;

    assert_non_null(doc);
    memcpy(doc, seed, n);
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    muts = 1 + x % 8;
    for (j = 0; j < muts; j++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      doc[x % n] = (char)(x >> 24);
    }
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    /* a heap block of exactly the used length: ASan sees any over-read */
    (void)s3_xml_parse_list(doc, n - x % 4, &l);
    s3_list_free(&l);
    (void)s3_xml_parse_error(doc, n - x % 4, &e);
    free(doc);
  }
}

int main(void)
{
  static const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list_well_formed),
      cmocka_unit_test(test_list_empty),
      cmocka_unit_test(test_list_not_truncated_drops_token),
      cmocka_unit_test(test_list_truncated_every_prefix),
      cmocka_unit_test(test_list_rejects),
      cmocka_unit_test(test_list_limits),
      cmocka_unit_test(test_list_url_encoded),
      cmocka_unit_test(test_list_url_encoded_rejects),
      cmocka_unit_test(test_list_url_encoded_limits),
      cmocka_unit_test(test_list_depth_and_size),
      cmocka_unit_test(test_list_tolerates),
      cmocka_unit_test(test_error_doc),
      cmocka_unit_test(test_error_doc_cut),
      cmocka_unit_test(test_error_doc_variants),
      cmocka_unit_test(test_mutations_never_crash),
  };

  return cmocka_run_group_tests_name("s3_xml", tests, NULL, NULL);
}
