/* curl_body.c — see curl_body.h. */
#include "curl_body.h"

#include <stdlib.h>
#include <string.h>

size_t sb_curl_body_write(char *data, size_t size, size_t n, void *body)
{
    sb_curl_body_t *b = body;
    size_t add = size * n;
    if (b->len + add + 1 > b->max) {
        b->too_big = true;
        return 0;
    }
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (p == NULL)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

void sb_curl_body_reset(sb_curl_body_t *b)
{
    size_t max = b->max;
    free(b->data);
    memset(b, 0, sizeof *b);
    b->max = max;
}
