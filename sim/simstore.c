/* simstore.c — see simstore.h. */
#include "simstore.h"

#include <stdlib.h>
#include <string.h>

int sb_simstore_recs_push(sb_simstore_recs_t *r, sb_simstore_rec_t rec)
{
    if (r->n == r->cap) {
        if (r->cap >= SB_SIMSTORE_RECORDS_MAX)
            return -1;
        size_t cap = r->cap == 0 ? 16 : r->cap * 2;
        sb_simstore_rec_t *v = realloc(r->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = rec;
    return 0;
}

void sb_simstore_recs_free(sb_simstore_recs_t *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}
