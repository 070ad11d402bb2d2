/* test_peer.c -- client address from X-Forwarded-For, request id from
 * X-Amzn-Trace-Id (issue 9 item 5: neither may be forged by a client) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/peer.h"

struct xff_case {
  const char *xff;
  unsigned trusted;
  const char *want; /* NULL: refused, the caller uses the TCP peer */
};

static const struct xff_case xff_cases[] = {
    /* The ALB appends the real address on the right; the client's own
     * entries (on the left) are never taken. */
    {"203.0.113.7", 1, "203.0.113.7"},
    {"1.2.3.4, 203.0.113.7", 1, "203.0.113.7"},
    {"1.2.3.4,203.0.113.7", 1, "203.0.113.7"},
    {"forged, 1.2.3.4 ,  203.0.113.7  ", 1, "203.0.113.7"},
    /* Two trusted hops (e.g. CloudFront, then the ALB). */
    {"1.2.3.4, 198.51.100.9, 203.0.113.7", 2, "198.51.100.9"},
    {"203.0.113.7", 2, "203.0.113.7"}, /* shorter: the left-most */
    {"2001:DB8::1", 1, "2001:db8::1"}, /* canonical */
    {"1.2.3.4, 2001:db8:0:0::7", 1, "2001:db8::7"},
    /* Not an address where ours should be: refused. */
    {"1.2.3.4, evil\"}", 1, NULL},
    {"1.2.3.4, ", 1, NULL},
    {"1.2.3.4,,", 1, NULL},
    {"203.0.113.7:443", 1, NULL},
    {"999.1.1.1", 1, NULL},
    {"", 1, NULL},
    {"203.0.113.7", 0, NULL}, /* no proxy: the peer address */
};

static void test_xff_table(void **state)
{
  char out[PEER_TEXT_MAX];

  for (size_t i = 0; i < sizeof(xff_cases) / sizeof(xff_cases[0]); i++) {
    const struct xff_case *c = &xff_cases[i];
    int rc = peer_client_from_xff(c->xff, c->trusted, out, sizeof(out));
    if (!c->want) {
      if (rc != -1)
        fail_msg("\"%s\" (%u) gave \"%s\"", c->xff, c->trusted, out);
      continue;
    }
    if (rc != 0)
      fail_msg("\"%s\" (%u) refused", c->xff, c->trusted);
    assert_string_equal(out, c->want);
  }
  assert_int_equal(peer_client_from_xff(NULL, 1, out, sizeof(out)), -1);
}

struct trace_case {
  const char *trace;
  const char *want; /* NULL: refused, a new id is generated */
};

static const struct trace_case trace_cases[] = {
    {"Root=1-5759e988-bd862e3fe1be46a994272793",
     "1-5759e988-bd862e3fe1be46a994272793"},
    {"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
     "Sampled=1",
     "1-5759e988-bd862e3fe1be46a994272793"},
    {"Self=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb; "
     "Root=1-5759E988-BD862E3FE1BE46A994272793",
     "1-5759E988-BD862E3FE1BE46A994272793"},
    {"Root=1-5759e988-bd862e3fe1be46a99427279", NULL},   /* short */
    {"Root=1-5759e988-bd862e3fe1be46a9942727930", NULL}, /* long */
    {"Root=2-5759e988-bd862e3fe1be46a994272793", NULL},  /* version */
    {"Root=1-5759e98g-bd862e3fe1be46a994272793", NULL},  /* not hex */
    {"Root=1-5759e988_bd862e3fe1be46a994272793", NULL},
    {"Root=\"},{\"forged\":1-aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL},
    {"1-5759e988-bd862e3fe1be46a994272793", NULL}, /* no Root= */
    {"XRoot=1-5759e988-bd862e3fe1be46a994272793", NULL},
    {"", NULL},
};

static void test_trace_table(void **state)
{
  char out[64];

  for (size_t i = 0; i < sizeof(trace_cases) / sizeof(trace_cases[0]); i++) {
    const struct trace_case *c = &trace_cases[i];
    int rc = peer_trace_root(c->trace, out, sizeof(out));
    if (!c->want) {
      if (rc != -1)
        fail_msg("\"%s\" gave \"%s\"", c->trace, out);
      continue;
    }
    if (rc != 0)
      fail_msg("\"%s\" refused", c->trace);
    assert_string_equal(out, c->want);
  }
  assert_int_equal(peer_trace_root(NULL, out, sizeof(out)), -1);
  /* Too small an output buffer is refused, never overrun. */
  assert_int_equal(
      peer_trace_root("Root=1-5759e988-bd862e3fe1be46a994272793", out, 35), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_xff_table),
      cmocka_unit_test(test_trace_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
