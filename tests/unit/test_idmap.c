/* The id map against a plain array model, through many inserts and deletes
 * (deletion's backward shift is where such maps go wrong). */
#include "testutil.h"

#include <btcpeerd/idmap.h>

#include <stdlib.h>

static void test_matches_model_under_random_churn(void **state)
{
    (void)state;
    enum { N = 4096 };
    static void *model[N];
    struct idmap m;
    idmap_init(&m);
    uint64_t rng = 42;
    size_t live = 0;
    for (int step = 0; step < 200000; step++) {
        uint8_t r[3];
        test_random_bytes(&rng, r, sizeof r);
        uint64_t key = 1 + ((unsigned)r[0] << 8 | r[1]) % (N - 1);
        if (r[2] & 1) {
            void *v = (void *)(uintptr_t)(step + 1);
            if (!model[key]) live++;
            model[key] = v;
            assert_true(idmap_put(&m, key, v));
        } else {
            void *got = idmap_del(&m, key);
            assert_ptr_equal(got, model[key]);
            if (model[key]) live--;
            model[key] = NULL;
        }
        assert_int_equal(idmap_len(&m), live);
    }
    for (uint64_t k = 1; k < N; k++) assert_ptr_equal(idmap_get(&m, k), model[k]);
    size_t seen = 0, pos = 0;
    uint64_t key;
    void *value;
    while (idmap_next(&m, &pos, &key, &value)) {
        assert_ptr_equal(value, model[key]);
        seen++;
    }
    assert_int_equal(seen, live);
    idmap_free(&m);
}

static void test_zero_key_refused_and_absent_keys_null(void **state)
{
    (void)state;
    struct idmap m;
    idmap_init(&m);
    assert_null(idmap_get(&m, 5));
    assert_null(idmap_del(&m, 5));
    assert_false(idmap_put(&m, 0, &m));
    assert_true(idmap_put(&m, UINT64_MAX, &m));
    assert_ptr_equal(idmap_get(&m, UINT64_MAX), &m);
    idmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_model_under_random_churn),
        cmocka_unit_test(test_zero_key_refused_and_absent_keys_null),
    };
    return test_run_group(tests);
}
